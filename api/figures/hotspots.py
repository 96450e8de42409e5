"""Hot spots: tickets counted by matter type, district and week, and which are rising (domain/hotspots.py).

- *Matter type*: the matter's field as the operator registered it (`domain`, e.g. 城市照明); a ticket
  registered without one counts under its category (投诉, 咨询 …), so nothing is left out.
- *District*: the county-level unit (a unit of kind `county`: 武江区人民政府 …) whose place the location
  names (A3 属地: where the matter is); else the county the leading unit belongs to; else none (a city-wide
  department's ticket with no district in its location, listed as `null`, 未识别区县).
- *Week*: Monday to Monday in Asia/Shanghai, by registration time.

One query counts the five weeks (the week judged and the four before) grouped by week, matter, the
district the location names and the lead; the lead's county is filled in from the unit tree in Python
(the tree is a thousand rows at most). Weeks are bucketed with a CASE over instants, so the same SQL runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import in_tree
from api.views import View
from db.api_models import UnitRow
from db.models import TicketRow
from domain.hotspots import (
    BASELINE_WEEKS,
    DEFAULT_MIN_COUNT,
    RISING_FACTOR,
    district_name,
    trend,
    week_of,
    week_start,
    weeks_ending,
)
from domain.labels import label
from domain.vocabulary import Category

COUNTY = "county"
TREND_WEEKS = 53


class HotSpot(BaseModel):
    matter_type: str = Field(description="The registered `domain`, or the category's label when blank.")
    district: str | None = Field(description="The county-level unit's id; null if none is known.")
    district_name: str = Field(description="The district as a place: 武江区; 未识别区县 if none.")
    counts: list[int] = Field(description="Tickets per week in `weeks`, oldest first; the last is this week.")
    this_week: int
    mean_before: float = Field(description=f"The mean of the {BASELINE_WEEKS} weeks before this one.")
    rising: bool = Field(
        description=f"this_week ≥ {RISING_FACTOR} × mean_before and ≥ min_count (a zero mean: ≥ min_count)."
    )
    new: bool = Field(description="Nothing in the weeks before: a rise from a zero mean.")


class HotSpots(View):
    week: date = Field(description="The Monday (Asia/Shanghai) of the week judged.")
    weeks: list[date] = Field(description="The Mondays the counts are for, oldest first.")
    min_count: int
    unit: str | None = Field(description="The unit whose tree the counts are restricted to, if any.")
    total: int = Field(description="Items with a ticket this week (before `limit`).")
    items: list[HotSpot] = Field(description="Rising first, then by this week's count, then by name.")


def _matter(category_labels: dict[str, str]) -> ColumnElement[str]:
    blank = or_(TicketRow.domain.is_(None), func.trim(TicketRow.domain) == "")
    by_category = case(category_labels, value=TicketRow.category, else_=TicketRow.category)
    return case((blank, by_category), else_=TicketRow.domain)


def _place(districts: list[tuple[str, str]]) -> ColumnElement[str | None]:
    """The district the location names (the longest place name first: 曲江区 before a shorter match)."""
    whens = [
        (TicketRow.location.contains(place, autoescape=True), literal(district_id))
        for district_id, place in sorted(districts, key=lambda d: -len(d[1]))
        if place
    ]
    return case(*whens, else_=None) if whens else literal(None)


def _county_of(units: dict[str, tuple[str | None, str]]) -> dict[str, str]:
    """Each unit -> the county-level unit at or above it (A4–A6 tree), where there is one."""
    out: dict[str, str] = {}
    for unit_id in units:
        seen: set[str] = set()
        current: str | None = unit_id
        while current is not None and current in units and current not in seen:
            seen.add(current)
            parent, kind = units[current]
            if kind == COUNTY:
                out[unit_id] = current
                break
            current = parent
    return out


async def hot_spots(
    session: AsyncSession,
    week: date,
    *,
    scope: frozenset[str] | None,
    unit: str | None,
    min_count: int = DEFAULT_MIN_COUNT,
    limit: int = 100,
) -> HotSpots:
    weeks = weeks_ending(week, BASELINE_WEEKS + 1)
    bounds = [week_start(w) for w in weeks] + [week_start(week + timedelta(days=7))]
    unit_rows = (
        await session.execute(select(UnitRow.id, UnitRow.parent_id, UnitRow.kind, UnitRow.name))
    ).all()
    tree = {u.id: (u.parent_id, u.kind) for u in unit_rows}
    districts = [(u.id, district_name(u.name)) for u in unit_rows if u.kind == COUNTY]
    names = {d: place for d, place in districts}
    counts = await _counts(session, weeks, bounds, districts, scope)
    county = _county_of(tree)
    by_item: dict[tuple[str, str | None], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for monday, matter, place, lead, n in counts:
        district = place or (county.get(lead) if lead else None)
        by_item[(matter, district)][monday] += n
    items = []
    for (matter, district), per_week in by_item.items():
        t = trend(per_week, weeks, min_count)
        if t.this_week == 0:
            continue
        items.append(
            HotSpot(
                matter_type=matter,
                district=district,
                district_name=names.get(district, "未识别区县") if district else "未识别区县",
                counts=list(t.counts),
                this_week=t.this_week,
                mean_before=t.mean_before,
                rising=t.rising,
                new=t.new,
            )
        )
    items.sort(key=lambda h: (not h.rising, -h.this_week, h.matter_type, h.district_name))
    return HotSpots(
        week=week, weeks=weeks, min_count=min_count, unit=unit, total=len(items), items=items[:limit]
    )


async def _counts(
    session: AsyncSession,
    weeks: list[date],
    bounds: list[datetime],
    districts: list[tuple[str, str]],
    scope: frozenset[str] | None,
) -> Iterable[tuple[date, str, str | None, str | None, int]]:
    t = TicketRow
    week_index = _week_index(bounds).label("week")
    matter = _matter({c.value: label(c).zh for c in Category}).label("matter")
    place = _place(districts).label("place")
    query = (
        select(week_index, matter, place, t.lead_unit, func.count())
        .where(t.registered_at >= bounds[0], t.registered_at < bounds[-1])
        .group_by(week_index, matter, place, t.lead_unit)
    )
    rows = await session.execute(query.where(*in_tree(scope)))
    return [(weeks[int(i)], m, p, lead, int(n)) for i, m, p, lead, n in rows if i is not None]


def _week_index(bounds: list[datetime]) -> ColumnElement[int | None]:
    """Which of the weeks `bounds` delimit a ticket was registered in (a CASE over instants: portable)."""
    return case(
        *((TicketRow.registered_at < bounds[i + 1], literal(i)) for i in range(len(bounds) - 1)), else_=None
    )


async def weekly_registrations(
    session: AsyncSession, start: datetime, end: datetime, scope: frozenset[str] | None
) -> list[tuple[date, int]]:
    """Tickets registered per week (Asia/Shanghai) over `[start, end)`, each week clipped to it: the trend.
    At most the last `TREND_WEEKS` weeks of a longer period."""
    start = max(
        start, week_start(week_of(end - timedelta(microseconds=1)) - timedelta(weeks=TREND_WEEKS - 1))
    )
    mondays = []
    monday = week_of(start)
    while week_start(monday) < end:
        mondays.append(monday)
        monday += timedelta(days=7)
    bounds = [start] + [week_start(m) for m in mondays[1:]] + [end]
    index = _week_index(bounds).label("week")
    query = (
        select(index, func.count())
        .where(TicketRow.registered_at >= start, TicketRow.registered_at < end, *in_tree(scope))
        .group_by(index)
    )
    counts = {int(i): int(n) for i, n in await session.execute(query) if i is not None}
    return [(m, counts.get(i, 0)) for i, m in enumerate(mondays)]
