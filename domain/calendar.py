"""Working-day calendar for the hotline's time limits ("Counting time", A17, A22).

Pure: no I/O beyond reading the packaged seed file, no environment, no clock. Workflows get a
calendar as data (through an activity) and call these functions with `workflow.now()`.

Rules implemented here (shared/rules/RULES.md, "Counting time"):
- a working-day period does not count the day of receipt (《民法典》 Art. 201); it starts the next day;
- it ends at 24:00 Asia/Shanghai of its last working day;
- working days follow the State Council holiday notice of each year: statutory holidays are off,
  weekend days declared working (调休) are on, otherwise Monday–Friday.

A year with no loaded notice falls back to "Monday–Friday less the statutory holidays the national rule
fixes" (domain/holidays.py: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆); only the notice's 调休 and bridging
days are then unknown, so any deadline that relied on that assumption is marked provisional and recomputed
once the notice is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from domain.holidays import statutory_holidays

SHANGHAI: ZoneInfo = ZoneInfo("Asia/Shanghai")

SEED_FILE = "cn_2004_2026.json"

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday == 0 … Sunday == 6


class YearCalendar(BaseModel):
    """One year's State Council holiday notice (国务院办公厅关于…部分节假日安排的通知)."""

    model_config = ConfigDict(frozen=True)

    year: int
    # Statutory days off: every day of each holiday block; weekend days inside a block may be listed.
    holidays: list[date]
    # Weekend days declared working days (调休).
    adjusted_workdays: list[date]
    # Where the data came from, e.g. "国办发明电〔2025〕7号" or "chinesecalendar 1.11.0".
    source: str = ""

    @field_validator("holidays", "adjusted_workdays", mode="before")
    @classmethod
    def _reject_datetimes(cls, value: object) -> object:
        # A datetime is a date subclass; accepting one would silently drop its time zone, the very
        # truncation bug chinesecalendar has. Callers convert with WorkingCalendar.local_date first.
        if isinstance(value, Iterable) and not isinstance(value, str | bytes):
            items = list(value)
            instants = [item.isoformat() for item in items if isinstance(item, datetime)]
            if instants:
                raise ValueError(f"expected dates, got datetimes: {', '.join(instants)}")
            return items
        return value

    @field_validator("holidays", "adjusted_workdays", mode="after")
    @classmethod
    def _sorted_unique(cls, value: list[date]) -> list[date]:
        # Canonical order so two notices with the same days compare and serialise the same.
        return sorted(set(value))

    @model_validator(mode="after")
    def _check_notice(self) -> Self:
        wrong_year = [d for d in (*self.holidays, *self.adjusted_workdays) if d.year != self.year]
        if wrong_year:
            raise ValueError(
                f"dates outside year {self.year}: {', '.join(d.isoformat() for d in wrong_year)}"
            )
        both = sorted(set(self.holidays) & set(self.adjusted_workdays))
        if both:
            raise ValueError(
                "dates both holiday and adjusted workday: " + ", ".join(d.isoformat() for d in both)
            )
        # 调休 only ever moves work onto a weekend; a weekday "adjusted workday" is a data error.
        weekdays = [d for d in self.adjusted_workdays if d.weekday() < _SATURDAY]
        if weekdays:
            raise ValueError(
                "adjusted workdays must be Saturday or Sunday: "
                + ", ".join(f"{d.isoformat()} ({d.strftime('%A')})" for d in weekdays)
            )
        return self


class Deadline(BaseModel):
    """The instant a working-day period ends, and whether it rests on an assumed calendar."""

    model_config = ConfigDict(frozen=True)

    due_at: datetime  # aware, UTC
    # True when a counted day lies in a year with no loaded notice (Monday–Friday less the statutory
    # holidays assumed, 调休 unknown):
    # recompute once that year's notice is loaded.
    provisional: bool

    @field_validator("due_at", mode="after")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("due_at must be timezone-aware")
        # One representation everywhere (workflow state, DB, API) so equal deadlines compare equal.
        return value.astimezone(UTC)


class WorkingCalendar:
    """Working days per loaded notices; for years without one, Monday–Friday less the statutory holidays."""

    def __init__(self, years: Iterable[YearCalendar]) -> None:
        by_year: dict[int, YearCalendar] = {}
        for year in years:
            if year.year in by_year:
                # Two notices for one year is ambiguous; use merged() to replace one deliberately.
                raise ValueError(f"year {year.year} given twice")
            by_year[year.year] = year
        self._years = by_year
        self._holidays: frozenset[date] = frozenset(d for y in by_year.values() for d in y.holidays)
        self._adjusted_workdays: frozenset[date] = frozenset(
            d for y in by_year.values() for d in y.adjusted_workdays
        )

    def __repr__(self) -> str:
        years = sorted(self._years)
        span = f"{years[0]}..{years[-1]}" if years else "none"
        return f"WorkingCalendar(years={span}, count={len(years)})"

    @property
    def loaded_years(self) -> frozenset[int]:
        return frozenset(self._years)

    @property
    def years(self) -> tuple[YearCalendar, ...]:
        """The loaded notices in year order (to hand the calendar to a workflow as data)."""
        return tuple(self._years[y] for y in sorted(self._years))

    def is_loaded(self, year: int) -> bool:
        return year in self._years

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):
            # Same reason as YearCalendar: never truncate an instant to a date without converting.
            raise TypeError("is_working_day takes a date; use local_date() for a datetime")
        if d.year in self._years:
            if d in self._holidays:
                return False
            if d in self._adjusted_workdays:
                return True
        elif d in statutory_holidays(d.year):
            # No notice yet (provisional): the days the national rule itself fixes are off all the same.
            return False
        # Loaded year on an ordinary day, or a year with no notice yet on any other day.
        return d.weekday() < _SATURDAY

    @staticmethod
    def local_date(at: datetime) -> date:
        """The calendar date of an instant in Asia/Shanghai ("Counting time": 24:00 Asia/Shanghai)."""
        return _to_shanghai(at).date()

    def nth_working_day_after(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day strictly after `start`, and whether it is provisional.

        `start` never counts (《民法典》 Art. 201: the day of receipt is not counted). n == 0 returns
        `start` itself (nothing examined, so not provisional). Provisional is True when any day
        examined (start+1 .. result) lies in a year with no loaded notice.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = start
        provisional = False
        remaining = n
        while remaining > 0:
            day += _ONE_DAY
            if day.year not in self._years:
                provisional = True
            if self.is_working_day(day):
                remaining -= 1
        return day, provisional

    @staticmethod
    def end_of_day(d: date) -> datetime:
        """24:00 Asia/Shanghai of `d`, i.e. 00:00 Shanghai of the next day, as an aware UTC datetime."""
        return datetime.combine(d + _ONE_DAY, time(0), tzinfo=SHANGHAI).astimezone(UTC)

    def working_days_deadline(self, received_at: datetime, working_days: int) -> Deadline:
        """End of a period of `working_days` WD from receipt (A17.1 = 2 WD, A17.2 = 10 WD, …).

        "Counting time": the day of receipt (Asia/Shanghai) is not counted; the period ends at 24:00
        Asia/Shanghai of its last working day.
        """
        return self._deadline_after(self.local_date(received_at), working_days)

    def end_of_working_days_after(self, moment: datetime, working_days: int) -> Deadline:
        """24:00 of the n-th working day after the day an instant belongs to (A22 yellow/red cards).

        A limit that ends at 24:00 of day D is stored as 00:00 of D+1; that instant belongs to D,
        so red (more than 2 WD past the limit, A22) starts at 24:00 of the 2nd working day after D,
        not after D+1. Any other instant belongs to its own Shanghai date.
        """
        local = _to_shanghai(moment)
        base = local.date()
        if local.time() == time(0):
            base -= _ONE_DAY
        return self._deadline_after(base, working_days)

    def merged(self, year: YearCalendar) -> WorkingCalendar:
        """A new calendar with `year`'s notice added, or replacing the one loaded for that year."""
        others = (y for y in self._years.values() if y.year != year.year)
        return WorkingCalendar([*others, year])

    def _deadline_after(self, base: date, working_days: int) -> Deadline:
        last, provisional = self.nth_working_day_after(base, working_days)
        return Deadline(due_at=self.end_of_day(last), provisional=provisional)


def _to_shanghai(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        # A naive value has no defined instant; guessing UTC or local time would shift the date
        # by a day for anything received between 00:00 and 08:00 Shanghai.
        raise ValueError(f"naive datetime {at.isoformat()}: a timezone-aware datetime is required")
    return at.astimezone(SHANGHAI)


def parse_notice(
    year: int,
    holidays: Iterable[str | date],
    adjusted_workdays: Iterable[str | date],
    source: str = "",
) -> YearCalendar:
    """A YearCalendar from a State Council notice; ISO date strings ("2027-01-01") accepted.

    Ranges ("10月1日至7日") are expanded by the caller; validation is YearCalendar's.
    """
    return YearCalendar(
        year=year,
        holidays=[_parse_day(d) for d in holidays],
        adjusted_workdays=[_parse_day(d) for d in adjusted_workdays],
        source=source,
    )


def _parse_day(value: str | date) -> date:
    if isinstance(value, datetime):
        raise TypeError(f"expected a date, got a datetime {value.isoformat()}; use local_date()")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


class _SeedYear(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    holidays: list[date]
    adjusted_workdays: list[date]


class _SeedFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    years: list[_SeedYear]


@lru_cache(maxsize=1)
def _seed() -> tuple[YearCalendar, ...]:
    # The seed is generated from chinesecalendar by scripts/generate_calendar_seed.py; the library
    # itself is never imported here (it covers 2004–2026 only and truncates datetimes).
    text = (resources.files(__package__ or "domain") / "calendar_data" / SEED_FILE).read_text("utf-8")
    seed = _SeedFile.model_validate(json.loads(text))
    return tuple(
        YearCalendar(
            year=y.year, holidays=y.holidays, adjusted_workdays=y.adjusted_workdays, source=seed.source
        )
        for y in seed.years
    )


def load_seed() -> list[YearCalendar]:
    """The packaged notices for 2004–2026 (from chinesecalendar), one YearCalendar per year."""
    return list(_seed())
