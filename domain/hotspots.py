"""Hot spots (热点): what many requesters raise at once, by matter type, district and week (issue 15).

Pure: the weeks, the district a location names, and the rule that flags a hot spot as rising; the counts
come from the read model (api/figures/hotspots.py).

- A week is a Monday-to-Sunday week in Asia/Shanghai (the hotline's local time), from Monday 00:00 to the
  next Monday 00:00, half-open. A ticket belongs to the week it was registered in (`received_at`).
- *Rising*: this week's count is at least `RISING_FACTOR` (2) times the mean of the previous
  `BASELINE_WEEKS` (4) weeks, and at least `min_count` tickets. A week before the first ticket counts as 0:
  the read model holds every ticket, so no row means none was registered.
- *A zero mean* (nothing in the four weeks before): 2 × 0 is 0, which every count reaches, so the factor
  alone would flag a single new ticket. Such an item rises only once it reaches `min_count` (default 3), and
  is marked `new`: a matter that has just appeared, told apart from one that doubled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.calendar import SHANGHAI

RISING_FACTOR = 2
BASELINE_WEEKS = 4
DEFAULT_MIN_COUNT = 3
_WEEK = timedelta(days=7)


def week_of(at: datetime) -> date:
    """The Monday (Asia/Shanghai) of the week `at` falls in."""
    local = at.astimezone(SHANGHAI).date()
    return local - timedelta(days=local.weekday())


def week_start(monday: date) -> datetime:
    """Monday 00:00 Asia/Shanghai: where the week begins."""
    return datetime.combine(monday, time(0), tzinfo=SHANGHAI)


def weeks_ending(monday: date, count: int) -> list[date]:
    """`count` consecutive Mondays, oldest first, the last being `monday`."""
    return [monday - _WEEK * (count - 1 - i) for i in range(count)]


@dataclass(frozen=True)
class Trend:
    """One item's counts, oldest week first; the last is the week judged."""

    counts: tuple[int, ...]
    min_count: int = DEFAULT_MIN_COUNT

    @property
    def this_week(self) -> int:
        return self.counts[-1]

    @property
    def baseline(self) -> tuple[int, ...]:
        return self.counts[-1 - BASELINE_WEEKS : -1]

    @property
    def mean_before(self) -> float:
        return sum(self.baseline) / BASELINE_WEEKS

    @property
    def new(self) -> bool:
        return self.this_week > 0 and not any(self.baseline)

    @property
    def rising(self) -> bool:
        # Compared in integers (count × weeks ≥ factor × sum), so 2 × a mean of 0.75 is exactly 1.5.
        doubled = self.this_week * BASELINE_WEEKS >= RISING_FACTOR * sum(self.baseline)
        return doubled and self.this_week >= self.min_count


def trend(counts_by_week: dict[date, int], weeks: Sequence[date], min_count: int) -> Trend:
    if len(weeks) < BASELINE_WEEKS + 1:
        raise ValueError(f"a trend needs the week and the {BASELINE_WEEKS} before it")
    return Trend(tuple(counts_by_week.get(w, 0) for w in weeks), min_count)


def district_name(unit_name: str) -> str:
    """The place a county-level unit governs, as a location names it: 韶关市武江区人民政府 -> 武江区."""
    name = unit_name.strip()
    for suffix in ("人民政府", "政府"):
        name = name.removesuffix(suffix)
    # The city's own name is in front of its districts' (韶关市武江区); a location rarely writes it.
    if "市" in name[:-1]:
        name = name[name.index("市") + 1 :] or name
    return name


def district_in(location: str, districts: Iterable[tuple[str, str]]) -> str | None:
    """The first district (id, place name) that `location` names, longest name first."""
    for district_id, place in sorted(districts, key=lambda d: -len(d[1])):
        if place and place in location:
            return district_id
    return None
