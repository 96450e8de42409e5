"""Counting time: a deadline planned before the year's holiday notice was loaded is provisional (weekends
and the statutory days the national rule fixes, none of which fall in these tests' spans); loading the
notice recomputes the open tickets' deadlines that have not passed yet.

Instants are worked out by hand; calendar helpers live in tests/workflows/support.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete
from temporalio.client import WorkflowHandle

from db.models import CalendarYearRow, TicketRow
from domain.calendar import SHANGHAI, YearCalendar
from domain.holidays import statutory_holidays
from domain.vocabulary import Card, Category
from operations.calendar import load_year_and_replan
from tests.driver import Hotline
from tests.workflows.support import (
    FRIDAY,
    assert_card_changed,
    at_local,
    end_of,
    events,
    next_weekday,
    projected,
    ticket_at,
)


async def forget_this_year_and_next(hotline: Hotline) -> int:
    """No notice for the current year or the next: deadlines fall back to Monday–Friday, provisionally."""
    year = (await hotline.now()).astimezone(SHANGHAI).year
    async with hotline.session_maker.begin() as session:
        await session.execute(delete(CalendarYearRow).where(CalendarYearRow.year.in_([year, year + 1])))
    return year


async def load_notices(hotline: Hotline, first: date, last: date, holidays: Iterable[date]) -> None:
    """Load the notice of every year from `first` to `last` the way the office does (store, then signal the
    open tickets), each with the given holidays that fall in it."""
    holidays = list(holidays)
    for year in range(first.year, last.year + 1):
        notice = YearCalendar(
            year=year,
            holidays=[d for d in holidays if d.year == year],
            adjusted_workdays=[],
            source="test notice",
        )
        assert await load_year_and_replan(hotline.session_maker, hotline.client, notice) >= 1


async def projected_open(hotline: Hotline, h: WorkflowHandle[Any, Any]) -> None:
    """Open tickets are found in SQL: wait until the read model has this one."""
    await projected(hotline, TicketRow, (await hotline.state(h)).ticket_no)


async def friday_clear_of_statutory_days(hotline: Hotline) -> date:
    """The next Friday whose following 30 days hold none of the statutory holidays that an unloaded year still
    counts (domain/holidays.py), so the days worked out by hand below are weekends only."""
    friday = next_weekday(await hotline.now(), FRIDAY)
    while any(
        friday + timedelta(days=n) in statutory_holidays((friday + timedelta(days=n)).year) for n in range(31)
    ):
        friday += timedelta(days=7)
    return friday


def recomputed(event_data: dict[str, Any], clock: str) -> tuple[datetime, bool]:
    entry = event_data["clocks"][clock]
    return datetime.fromisoformat(entry["due_at"]), entry["provisional"]


async def test_loading_the_notice_recomputes_a_provisional_deadline(hotline: Hotline) -> None:
    """Counting time / A17.2: planned on weekends only and marked provisional; the notice adds a holiday
    inside the 10 WD, and the open ticket's limit moves one working day later."""
    await forget_this_year_and_next(hotline)
    friday = await friday_clear_of_statutory_days(hotline)
    h = await ticket_at(hotline, at_local(friday, 10), Category.COMPLAINT)
    s = await hotline.state(h)
    # Weekends only: Mon(1)..Fri(5), Mon(6)..Fri(10) -> 24:00 Friday (friday + 14).
    answer, sign_for = s.clocks["answer"], s.clocks["sign_for"]
    assert (answer.due_at, answer.provisional) == (end_of(friday + timedelta(days=14)), True)
    assert (sign_for.due_at, sign_for.provisional) == (end_of(friday + timedelta(days=3)), True)
    assert s.provisional() and events(s, "dispatched")[0].data["provisional"] is True
    await projected_open(hotline, h)

    holiday = friday + timedelta(days=5)  # a Wednesday
    await load_notices(hotline, friday, friday + timedelta(days=30), [holiday])
    s = await hotline.until(h, lambda s: not s.provisional())
    # Mon(1) Tue(2) [Wed holiday] Thu(3) Fri(4) | Mon(5)..Fri(9) | Mon(10) -> 24:00 Monday (friday + 17).
    new_due = end_of(friday + timedelta(days=17))
    assert s.clocks["answer"].due_at == new_due
    # Red: Tue(1), Wed(2) -> 24:00 Wednesday (friday + 19).
    assert s.clocks["answer"].red_at == end_of(friday + timedelta(days=19))
    # The sign-for limit (Monday) is not touched by a Wednesday holiday, only confirmed.
    sign_for = s.clocks["sign_for"]
    assert (sign_for.due_at, sign_for.provisional) == (end_of(friday + timedelta(days=3)), False)
    replans = events(s, "deadlines_recomputed")
    assert replans and all((e.rule, e.notify) == ("A17", ["unit:U1"]) for e in replans)
    assert recomputed(replans[-1].data, "answer") == (new_due, False)
    row = await projected(hotline, TicketRow, s.ticket_no, until=lambda row: not row.provisional)
    assert row.answer_due_at == new_due


async def test_a_deadline_already_passed_is_not_recomputed(hotline: Hotline) -> None:
    """Counting time / A22: a limit that has passed keeps its instant and its card; the open ones move."""
    await forget_this_year_and_next(hotline)
    friday = await friday_clear_of_statutory_days(hotline)
    h = await ticket_at(hotline, at_local(friday, 10), Category.COMPLAINT)
    sign_for_due = end_of(friday + timedelta(days=3))  # weekends only: Monday
    await hotline.sleep_until(at_local(friday + timedelta(days=4), 10))  # Tuesday: the sign-for limit passed
    s = await hotline.until(h, lambda s: s.clocks["sign_for"].card == Card.YELLOW)
    assert_card_changed(s, "sign_for", Card.GREEN, Card.YELLOW, sign_for_due)
    await projected_open(hotline, h)

    # The notice makes that Monday a holiday (and a Wednesday too).
    monday, wednesday = friday + timedelta(days=3), friday + timedelta(days=5)
    await load_notices(hotline, friday, friday + timedelta(days=30), [monday, wednesday])
    s = await hotline.until(h, lambda s: not s.clocks["answer"].provisional)
    # Answer: [Mon holiday] Tue(1) [Wed holiday] Thu(2) Fri(3) | Mon(4)..Fri(8) | Mon(9) Tue(10):
    # 24:00 Tuesday (friday + 18).
    assert s.clocks["answer"].due_at == end_of(friday + timedelta(days=18))
    # Sign-for: recomputed it would be Tuesday and green again; passed, it stays as it was.
    sign_for = s.clocks["sign_for"]
    assert (sign_for.due_at, sign_for.provisional, sign_for.card) == (sign_for_due, True, Card.YELLOW)
    replans = events(s, "deadlines_recomputed")
    assert replans and all("sign_for" not in e.data["clocks"] for e in replans)
    assert recomputed(replans[-1].data, "answer") == (end_of(friday + timedelta(days=18)), False)
    assert len(events(s, "card_changed", clock="sign_for")) == 1
