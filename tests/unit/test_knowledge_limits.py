"""A28's limits on the knowledge base (domain/knowledge.py), on the 2026 State Council notice: National Day
1–7 October off, Saturday 10 October and Sunday 20 September worked (调休), 25–27 September off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import SHANGHAI, WorkingCalendar, load_seed
from domain.knowledge import (
    ErrorSeverity,
    ReportTiming,
    correction_due,
    policy_lead,
    policy_report_timing,
)

CALENDAR = WorkingCalendar(y for y in load_seed() if y.year == 2026)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("reported_at", "publishes_on", "lead", "timing"),
    [
        # A28.2 counts working days: the National Day week does not count; 2 is fewer than 3 (late).
        (shanghai(2026, 9, 30, 10), date(2026, 10, 9), 2, ReportTiming.LATE),
        # 8, 9, 10 (a Saturday worked) and 12 October: 4, on time.
        (shanghai(2026, 9, 30, 10), date(2026, 10, 12), 4, ReportTiming.ON_TIME),
        # Half past midnight in Shanghai is already 8 October (UTC still says the 7th): 9, 10, 12, 13.
        (shanghai(2026, 10, 8, 0, 30), date(2026, 10, 13), 4, ReportTiming.ON_TIME),
        # Exactly 10 working days ahead is still on time; 11 is early.
        (shanghai(2026, 11, 2, 9), date(2026, 11, 16), 10, ReportTiming.ON_TIME),
        (shanghai(2026, 11, 2, 9), date(2026, 11, 17), 11, ReportTiming.EARLY),
        # Exactly 3 ahead is on time.
        (shanghai(2026, 11, 2, 9), date(2026, 11, 5), 3, ReportTiming.ON_TIME),
        # Reported on the publication day, or after it: late, by the working days it is behind.
        (shanghai(2026, 11, 5, 9), date(2026, 11, 5), 0, ReportTiming.LATE),
        (shanghai(2026, 11, 9, 9), date(2026, 11, 5), -2, ReportTiming.LATE),
    ],
)
def test_a_policy_is_reported_3_to_10_working_days_ahead(
    reported_at: datetime, publishes_on: date, lead: int, timing: ReportTiming
) -> None:
    assert policy_lead(CALENDAR, reported_at, publishes_on) == lead
    assert policy_report_timing(lead) == timing


def test_a_general_error_is_fixed_within_2_working_days_of_the_notice() -> None:
    """A28: noticed on Friday 18 September 2026; Sunday the 20th is worked (调休), so the 2nd working day is
    Monday the 21st, and the fix is due at 24:00 that day (Asia/Shanghai)."""
    due = correction_due(CALENDAR, shanghai(2026, 9, 18, 10), ErrorSeverity.GENERAL)
    assert (due.due_at, due.provisional) == (shanghai(2026, 9, 22, 0), False)
    # Across National Day: noticed on 30 September, due at the end of 9 October.
    assert correction_due(CALENDAR, shanghai(2026, 9, 30, 16), ErrorSeverity.GENERAL).due_at == shanghai(
        2026, 10, 10, 0
    )


def test_a_major_error_is_fixed_within_24_hours_whatever_the_day() -> None:
    """A28: an error touching a major or sudden event counts in hours, holidays included."""
    noticed = shanghai(2026, 10, 1, 15)
    due = correction_due(CALENDAR, noticed, ErrorSeverity.MAJOR)
    assert (due.due_at - noticed, due.provisional) == (timedelta(hours=24), False)


def test_a_year_without_a_notice_makes_the_due_time_provisional() -> None:
    due = correction_due(WorkingCalendar([]), shanghai(2030, 3, 1, 10), ErrorSeverity.GENERAL)
    assert due.provisional and due.due_at == shanghai(2030, 3, 6, 0)  # Mon 4, Tue 5 March
