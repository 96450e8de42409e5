"""Working-day calendar: "Counting time" (《民法典》 Art. 201), A17 time limits, A22 cards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain.calendar import (
    SHANGHAI,
    Deadline,
    WorkingCalendar,
    YearCalendar,
    load_seed,
    parse_notice,
)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(load_seed())


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=SHANGHAI)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=UTC)


# --- A17.2 / "Counting time": the worked example across Mid-Autumn + National Day 2026 ---------------


def test_a17_2_complaint_received_2026_09_30_counts_across_national_day(cal: WorkingCalendar) -> None:
    """A17.2 complaint, 10 WD, received Wed 2026-09-30 10:00 Asia/Shanghai.

    2026 notice (chinesecalendar 1.11.0): Mid-Autumn 09-25..09-27 off; National Day 10-01..10-07 off;
    Sun 09-20 and Sat 10-10 are adjusted working days (调休).
    Day of receipt 09-30 is not counted (Art. 201). 10-01..10-07 holiday, then:
      1 Thu 10-08, 2 Fri 10-09, 3 Sat 10-10 (调休), [Sun 10-11 off],
      4 Mon 10-12, 5 Tue 10-13, 6 Wed 10-14, 7 Thu 10-15, 8 Fri 10-16, [Sat/Sun 10-17/18 off],
      9 Mon 10-19, 10 Tue 10-20.
    Due 24:00 Tue 2026-10-20 Shanghai = 2026-10-21 00:00 +08:00 = 2026-10-20T16:00Z.
    """
    deadline = cal.working_days_deadline(sh(2026, 9, 30, 10), 10)
    assert deadline == Deadline(due_at=utc(2026, 10, 20, 16), provisional=False)
    assert deadline.due_at.tzinfo is UTC
    assert deadline.due_at == sh(2026, 10, 21)
    # The same instant given in another zone gives the same deadline.
    assert cal.working_days_deadline(utc(2026, 9, 30, 2), 10) == deadline
    assert cal.working_days_deadline(datetime(2026, 9, 29, 22, tzinfo=timezone(timedelta(hours=-4))), 10) == (
        deadline
    )


def test_a17_1_consultation_received_friday_evening_due_tuesday_2400(cal: WorkingCalendar) -> None:
    """A17.1 consultation, 2 WD, received Fri 2026-03-06 20:30: Mon 03-09, Tue 03-10 -> 24:00 Tue."""
    deadline = cal.working_days_deadline(sh(2026, 3, 6, 20, 30), 2)
    assert deadline.due_at == sh(2026, 3, 11)
    assert deadline.due_at == utc(2026, 3, 10, 16)
    assert deadline.provisional is False


# --- "Counting time": the local (Asia/Shanghai) date decides, never the UTC date ----------------------


def test_counting_time_uses_shanghai_date_at_the_midnight_boundary(cal: WorkingCalendar) -> None:
    """15:59:59Z is Sun 03-01 23:59:59 in Shanghai; 16:00:00Z is already Mon 03-02 00:00."""
    before, after = utc(2026, 3, 1, 15, 59, 59), utc(2026, 3, 1, 16)
    assert WorkingCalendar.local_date(before) == date(2026, 3, 1)
    assert WorkingCalendar.local_date(after) == date(2026, 3, 2)
    # Received Sunday: Mon 03-02, Tue 03-03. Received Monday: Tue 03-03, Wed 03-04.
    assert cal.working_days_deadline(before, 2).due_at == utc(2026, 3, 3, 16)
    assert cal.working_days_deadline(after, 2).due_at == utc(2026, 3, 4, 16)


def test_naive_datetimes_are_refused(cal: WorkingCalendar) -> None:
    """chinesecalendar truncates a datetime without converting; we refuse to guess a zone."""
    naive = datetime(2026, 3, 1, 23, 59)
    with pytest.raises(ValueError, match="naive"):
        WorkingCalendar.local_date(naive)
    with pytest.raises(ValueError, match="naive"):
        cal.working_days_deadline(naive, 2)
    with pytest.raises(ValueError, match="naive"):
        cal.end_of_working_days_after(naive, 2)
    with pytest.raises(ValidationError):
        Deadline(due_at=naive, provisional=False)
    with pytest.raises(TypeError):
        cal.is_working_day(naive)


# --- Years without a notice: weekends-only assumption, marked provisional ----------------------------


def test_deadline_into_unloaded_2027_is_provisional_until_the_notice_is_merged(cal: WorkingCalendar) -> None:
    """A17.2, 10 WD from Fri 2026-12-25; 2027 has no notice in the seed.

    Unloaded 2027 counts the statutory days the national rule fixes: Fri 01-01 (元旦) is off, so
    12-28..12-31 (4), 01-04..01-08 (5), Mon 01-11 (10) -> 24:00 Mon 01-11, provisional (调休 unknown).
    A (hypothetical) 2027 notice making Fri 01-01..Sun 01-03 holidays confirms it, no longer provisional;
    one that adds a bridging day Mon 01-04 moves it to Tue 01-12.
    """
    assert not cal.is_loaded(2027)
    received = sh(2026, 12, 25, 10)
    before = cal.working_days_deadline(received, 10)
    assert before == Deadline(due_at=utc(2027, 1, 11, 16), provisional=True)

    notice_2027 = parse_notice(2027, ["2027-01-01", "2027-01-02", "2027-01-03"], [], source="test notice")
    merged = cal.merged(notice_2027)
    assert merged.is_loaded(2027)
    assert merged.loaded_years == cal.loaded_years | {2027}
    after = merged.working_days_deadline(received, 10)
    assert after == Deadline(due_at=utc(2027, 1, 11, 16), provisional=False)
    bridged = cal.merged(parse_notice(2027, ["2027-01-01", "2027-01-04"], [], source="test notice"))
    assert bridged.working_days_deadline(received, 10) == Deadline(
        due_at=utc(2027, 1, 12, 16), provisional=False
    )
    # merged() returns a new calendar; the original is unchanged.
    assert not cal.is_loaded(2027)
    assert cal.working_days_deadline(received, 10) == before


def test_provisional_only_when_an_unloaded_day_is_examined(cal: WorkingCalendar) -> None:
    # Ends on 2026-12-31: every examined day is in 2026.
    assert cal.nth_working_day_after(date(2026, 12, 29), 2) == (date(2026, 12, 31), False)
    # n == 0 examines nothing: start itself, not provisional even at the edge of the data.
    assert cal.nth_working_day_after(date(2026, 12, 31), 0) == (date(2026, 12, 31), False)
    # 2027-01-01 (元旦, statutory) is off even unloaded: the first working day is Mon 01-04.
    assert cal.nth_working_day_after(date(2026, 12, 31), 1) == (date(2027, 1, 4), True)
    # An empty calendar is Monday–Friday less the statutory days everywhere, and always provisional:
    # 国庆 Thu 10-01..Sat 10-03, then Sunday.
    assert WorkingCalendar([]).nth_working_day_after(date(2026, 9, 30), 1) == (date(2026, 10, 5), True)
    assert WorkingCalendar([]).nth_working_day_after(date(2026, 3, 2), 1) == (date(2026, 3, 3), True)
    with pytest.raises(ValueError):
        cal.nth_working_day_after(date(2026, 1, 1), -1)


def test_merged_replaces_a_loaded_year(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(date(2026, 10, 1))
    blank_2026 = YearCalendar(year=2026, holidays=[], adjusted_workdays=[], source="blank")
    replaced = cal.merged(blank_2026)
    assert replaced.is_working_day(date(2026, 10, 1))
    assert not replaced.is_working_day(date(2026, 10, 10))
    assert replaced.loaded_years == cal.loaded_years


# --- Adjusted working days (调休) and weekday holidays ---------------------------------------------------


def test_adjusted_saturday_counts_and_weekday_holiday_does_not(cal: WorkingCalendar) -> None:
    """Rule "Counting time": working days follow the notice, not the weekday."""
    assert date(2026, 10, 10).weekday() == 5 and cal.is_working_day(date(2026, 10, 10))  # Sat 调休
    assert date(2026, 9, 20).weekday() == 6 and cal.is_working_day(date(2026, 9, 20))  # Sun 调休
    assert date(2026, 10, 1).weekday() == 3 and not cal.is_working_day(date(2026, 10, 1))  # Thu, National Day
    assert date(2026, 9, 25).weekday() == 4 and not cal.is_working_day(date(2026, 9, 25))  # Fri, Mid-Autumn
    assert not cal.is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert cal.is_working_day(date(2026, 10, 12))  # ordinary Monday
    # Fri 10-09 + 1 WD = Sat 10-10; Wed 09-30 + 1 WD skips the whole holiday to Thu 10-08.
    assert cal.nth_working_day_after(date(2026, 10, 9), 1) == (date(2026, 10, 10), False)
    assert cal.nth_working_day_after(date(2026, 9, 30), 1) == (date(2026, 10, 8), False)


# --- A22: yellow/red cards, counted from a limit that ends at 24:00 ----------------------------------


def test_a22_red_card_from_a_limit_ending_at_local_midnight(cal: WorkingCalendar) -> None:
    """A limit ending 24:00 Tue 2026-03-03 is the instant 00:00 Wed 03-04 Shanghai (16:00Z Tue).

    That instant belongs to 03-03, so "more than 2 WD past it" (A22) starts at 24:00 of the 2nd
    working day after 03-03: Wed 03-04, Thu 03-05 -> 24:00 Thu 03-05.
    """
    limit = cal.working_days_deadline(sh(2026, 3, 1, 9), 2).due_at
    assert limit == utc(2026, 3, 3, 16)
    red = cal.end_of_working_days_after(limit, 2)
    assert red == Deadline(due_at=sh(2026, 3, 6), provisional=False)
    # Any other instant belongs to its own Shanghai date.
    assert cal.end_of_working_days_after(limit - timedelta(seconds=1), 2).due_at == sh(2026, 3, 6)
    assert cal.end_of_working_days_after(limit + timedelta(microseconds=1), 2).due_at == sh(2026, 3, 7)


def test_a22_red_card_across_the_national_day_holiday(cal: WorkingCalendar) -> None:
    """The A17.2 limit from 2026-09-30 ends 24:00 10-20: red at 24:00 Thu 10-22 (10-21, 10-22).

    A limit ending 24:00 Wed 09-30 turns red at 24:00 Fri 10-09 (10-08, 10-09, holiday skipped).
    """
    limit = cal.working_days_deadline(sh(2026, 9, 30, 10), 10).due_at
    assert cal.end_of_working_days_after(limit, 2).due_at == sh(2026, 10, 23)
    assert cal.end_of_working_days_after(sh(2026, 10, 1), 2).due_at == sh(2026, 10, 10)


# --- YearCalendar validation ----------------------------------------------------------------------------


def test_year_calendar_rejects_a_date_outside_its_year() -> None:
    with pytest.raises(ValueError, match="outside year 2026"):
        YearCalendar(year=2026, holidays=[date(2027, 1, 1)], adjusted_workdays=[])
    # The 2007 New Year's 调休 fell on 2006-12-30: it belongs to the 2006 calendar, not 2007.
    with pytest.raises(ValueError, match="outside year 2007"):
        parse_notice(2007, ["2007-01-01"], ["2006-12-30"])


def test_year_calendar_rejects_a_day_both_holiday_and_adjusted_workday() -> None:
    with pytest.raises(ValueError, match="both holiday and adjusted workday: 2026-10-10"):
        parse_notice(2026, ["2026-10-10"], ["2026-10-10"])


def test_year_calendar_rejects_an_adjusted_workday_on_a_weekday() -> None:
    with pytest.raises(ValueError, match=r"Saturday or Sunday: 2026-10-09 \(Friday\)"):
        parse_notice(2026, ["2026-10-01"], ["2026-10-09"])


def test_year_calendar_and_parse_notice_reject_bad_input() -> None:
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_notice(2026, ["2026-10-32"], [])
    with pytest.raises(TypeError):
        parse_notice(2026, [datetime(2026, 10, 1, tzinfo=SHANGHAI)], [])
    with pytest.raises(ValidationError, match="datetimes"):
        YearCalendar(year=2026, holidays=[datetime(2026, 10, 1)], adjusted_workdays=[])
    with pytest.raises(ValueError, match="given twice"):
        WorkingCalendar([parse_notice(2026, [], []), parse_notice(2026, [], [])])


def test_year_calendar_is_frozen_and_canonical() -> None:
    notice = parse_notice(2026, ["2026-10-02", date(2026, 10, 1), "2026-10-01"], ["2026-10-10"], "国办发明电")
    assert notice.holidays == [date(2026, 10, 1), date(2026, 10, 2)]
    assert notice.source == "国办发明电"
    with pytest.raises(ValidationError):
        notice.year = 2027  # type: ignore[misc]
    # Round-trips as data (how the calendar reaches a workflow).
    assert YearCalendar.model_validate_json(notice.model_dump_json()) == notice


# --- Seed: generated from chinesecalendar, equal to it on every day -------------------------------------


def test_seed_covers_2004_to_2026(cal: WorkingCalendar) -> None:
    assert cal.loaded_years == frozenset(range(2004, 2027))
    seed = {y.year: y for y in load_seed()}
    assert seed[2026].source.startswith("chinesecalendar")
    assert seed[2026].adjusted_workdays == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]


def test_seed_equals_chinesecalendar_on_every_day_2004_2026(cal: WorkingCalendar) -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")
    d, end, mismatches = date(2004, 1, 1), date(2026, 12, 31), []
    while d <= end:
        if cal.is_working_day(d) != chinese_calendar.is_workday(d):
            mismatches.append(d)
        d += timedelta(days=1)
    assert mismatches == []
