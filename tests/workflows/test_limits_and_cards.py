"""Time limits and cards on the time-skipping server: A17.1–A17.3, the sign-for clock, A22.

Every expected instant is worked out by hand in the test from a test calendar loaded before the ticket
is registered ("Counting time": the day of receipt is not counted; a period ends at 24:00 Asia/Shanghai
of its last working day; A22 yellow from the limit, red more than 2 WD past it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle

from db.seed import load_calendar_year
from domain.calendar import SHANGHAI, YearCalendar
from domain.commands import Dispatch, EmergencyResponse, SignFor
from domain.ticket import TicketState, TimelineEvent
from domain.vocabulary import Card, Category, Stage
from tests.driver import OPERATOR, Hotline, unit
from workflows import search_attributes as sa
from workflows.ticket import TicketWorkflow

ONE_SECOND = timedelta(seconds=1)
FRIDAY, TUESDAY = 4, 1


# -- calendar helpers shared by the workflow tests of this folder --------------------------------------
def next_weekday(after: datetime, weekday: int, min_days: int = 2) -> date:
    """The first `weekday` (Monday == 0) at least `min_days` after `after`'s Shanghai date."""
    day = after.astimezone(SHANGHAI).date() + timedelta(days=min_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at_local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A wall-clock instant in Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    """24:00 Asia/Shanghai of `day` (= 00:00 of the next day): where a working-day period ends."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


async def load_test_calendar(session_maker: async_sessionmaker[AsyncSession], first: date, last: date,
                             holidays: Iterable[date] = (), adjusted_workdays: Iterable[date] = ()) -> None:
    """Replace every year from `first` to `last` with a test notice holding only the given days, so the
    span is fully known (not provisional) and no real holiday interferes."""
    holidays, adjusted_workdays = list(holidays), list(adjusted_workdays)
    for year in range(first.year, last.year + 1):
        await load_calendar_year(session_maker, YearCalendar(
            year=year, holidays=[d for d in holidays if d.year == year],
            adjusted_workdays=[d for d in adjusted_workdays if d.year == year], source="test notice"))


def events(state: TicketState, kind: str, **data: Any) -> list[TimelineEvent]:
    return [e for e in state.timeline if e.kind == kind and all(e.data.get(k) == x for k, x in data.items())]


def card_change(state: TicketState, clock: str, after: Card) -> TimelineEvent:
    found = events(state, "card_changed", clock=clock, after=after.value)
    assert len(found) == 1, [e.model_dump() for e in state.timeline if e.kind == "card_changed"]
    return found[0]


async def search_attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    described = await handle.describe()
    return {key.name: described.typed_search_attributes.get(key) for key in sa.ALL}


# -- A17.1 / A17.2 / sign-for --------------------------------------------------------------------------
async def test_a17_1_dispatched_consultation_is_due_at_2400_of_the_second_working_day(hotline: Hotline) -> None:
    """A17.1: a consultation not answered at once is dispatched; 2 WD counted from the dispatch day."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=10))
    await hotline.sleep_until(at_local(tuesday, 9))
    h = await hotline.register(Category.CONSULTATION, dispatch_to=None)
    s = await hotline.state(h)
    assert s.stage == Stage.REGISTERED and s.clocks == {}
    # Dispatched late on Tuesday: Tuesday is the day of receipt and is not counted.
    await hotline.sleep_until(at_local(tuesday, 23, 30))
    s = await hotline.act(h, TicketWorkflow.dispatch, Dispatch(actor=OPERATOR, lead_unit="U1"))
    # Wednesday = WD1, Thursday = WD2 -> 24:00 Thursday.
    due = end_of(tuesday + timedelta(days=2))
    answer = s.clocks["answer"]
    assert answer.due_at == due and not answer.provisional
    assert answer.period.working_days == 2
    dispatched = events(s, "dispatched")[0]
    assert dispatched.rule == "A14" and "unit:U1" in dispatched.notify
    assert datetime.fromisoformat(dispatched.data["deadlines"]["answer"]) == due


async def test_a22_answer_card_turns_yellow_at_the_limit_and_red_2_wd_later(hotline: Hotline) -> None:
    """A17.1 + A22 across a weekend, a Monday–Tuesday holiday and a Saturday declared a working day."""
    friday = next_weekday(await hotline.now(), FRIDAY)
    monday, tuesday = friday + timedelta(days=3), friday + timedelta(days=4)
    adjusted_saturday = friday + timedelta(days=8)
    await load_test_calendar(hotline.session_maker, friday, friday + timedelta(days=14),
                             holidays=[monday, tuesday], adjusted_workdays=[adjusted_saturday])
    await hotline.sleep_until(at_local(friday, 10))
    h = await hotline.register(Category.CONSULTATION)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    # Sat, Sun off; Mon, Tue holidays; Wed = WD1, Thu = WD2 -> due 24:00 Thursday (friday + 6).
    due = end_of(friday + timedelta(days=6))
    # Red: more than 2 WD past it: Fri = WD1, the adjusted Saturday = WD2 -> 24:00 Saturday (friday + 8).
    red = end_of(adjusted_saturday)
    s = await hotline.state(h)
    assert (s.clocks["answer"].due_at, s.clocks["answer"].red_at) == (due, red)

    await hotline.sleep_until(due - ONE_SECOND)
    s = await hotline.state(h)
    assert s.clocks["answer"].card == Card.GREEN
    await hotline.sleep_until(due)
    s = await hotline.until(h, lambda s: s.clocks["answer"].card == Card.YELLOW)
    yellow = card_change(s, "answer", Card.YELLOW)
    assert (yellow.at, yellow.rule, yellow.data["before"]) == (due, "A22", "green")
    assert set(yellow.notify) == {"unit:U1", "hotline"}
    attrs = await search_attributes(h)
    assert attrs[sa.CARD.name] == "yellow"
    assert attrs[sa.STAGE.name] == "handling"
    assert attrs[sa.LEAD_UNIT.name] == "U1"
    assert attrs[sa.DEADLINE.name] == due

    await hotline.sleep_until(red - ONE_SECOND)
    assert (await hotline.state(h)).clocks["answer"].card == Card.YELLOW
    await hotline.sleep_until(red)
    s = await hotline.until(h, lambda s: s.clocks["answer"].card == Card.RED)
    turned_red = card_change(s, "answer", Card.RED)
    assert (turned_red.at, turned_red.rule, turned_red.data["before"]) == (red, "A22", "yellow")
    assert (await search_attributes(h))[sa.CARD.name] == "red"
