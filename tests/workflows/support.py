"""Helpers shared by the workflow tests: test calendars and instants, tickets registered and acted on,
events, verdicts and refusals, the read model polled.

Each test gets a time-skipping server of its own (tests/driver.py own_time_skipping_server: a leftover
ticket's timer stalls a shared server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import SearchAttributes, WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.converter import decode_typed_search_attributes
from temporalio.exceptions import ApplicationError

from db.seed import load_calendar_year
from domain.calendar import SHANGHAI, WorkingCalendar, YearCalendar, load_seed
from domain.commands import Actor, ApplyReturn, FiledSignatory, SignFor, SignOff
from domain.ticket import TicketState, TimelineEvent
from domain.vocabulary import Card, Category, ReturnKind
from tests.driver import Hotline, unit
from workflows import search_attributes as sa
from workflows.ticket import TicketWorkflow

# -- calendars, instants, tickets, events and verdicts (A17, A22) -----------------------------------------
ONE_SECOND = timedelta(seconds=1)
# The workflow wakes for a boundary a few milliseconds after its timer fires; what it records at the
# wake-up time (not at the boundary) is checked within this.
WAKE_UP = timedelta(seconds=1)
MONDAY, TUESDAY, FRIDAY = 0, 1, 4


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


async def load_test_calendar(
    session_maker: async_sessionmaker[AsyncSession],
    first: date,
    last: date,
    holidays: Iterable[date] = (),
    adjusted_workdays: Iterable[date] = (),
) -> None:
    """Replace every year from `first` to `last` with a test notice holding only the given days, so the
    span is fully known (not provisional) and no real holiday interferes."""
    holidays, adjusted_workdays = list(holidays), list(adjusted_workdays)
    for year in range(first.year, last.year + 1):
        await load_calendar_year(
            session_maker,
            YearCalendar(
                year=year,
                holidays=[d for d in holidays if d.year == year],
                adjusted_workdays=[d for d in adjusted_workdays if d.year == year],
                source="test notice",
            ),
        )


def events(state: TicketState, kind: str, **data: Any) -> list[TimelineEvent]:
    return [e for e in state.timeline if e.kind == kind and all(e.data.get(k) == x for k, x in data.items())]


def verdict(err: ApplicationError, *, kind: bool = False) -> tuple[str | None, ...]:
    """A refused action's code and rule (and its kind: conflict, invalid, not_yours)."""
    details = err.details[0]
    return (err.type, details["rule"], details["kind"]) if kind else (err.type, details["rule"])


def card_change(state: TicketState, clock: str, after: Card) -> TimelineEvent:
    found = events(state, "card_changed", clock=clock, after=after.value)
    assert len(found) == 1, [e.data for e in state.timeline if e.kind == "card_changed"]
    return found[0]


def assert_card_changed(
    state: TicketState, clock: str, before: Card, after: Card, boundary: datetime
) -> None:
    """A22: one card_changed event for the clock, stamped with the exact boundary it crossed."""
    event = card_change(state, clock, after)
    assert (event.rule, event.data["before"], event.at) == ("A22", before.value, boundary)
    if after != Card.GREEN:
        assert set(event.notify) == {f"unit:{state.lead_unit}", "hotline"}


async def crosses(
    hotline: Hotline, h: WorkflowHandle[Any, Any], clock: str, boundary: datetime, before: Card, after: Card
) -> TicketState:
    """A22: the clock's card is `before` a second before the boundary and turns `after` there; the change
    is stamped with the boundary."""
    await hotline.sleep_until(boundary - ONE_SECOND)
    assert (await hotline.state(h)).clocks[clock].card == before
    await hotline.sleep_until(boundary + ONE_SECOND)
    s = await hotline.until(h, lambda s: s.clocks[clock].card == after)
    assert_card_changed(s, clock, before, after, boundary)
    return s


async def register(
    hotline: Hotline, category: Category = Category.COMPLAINT, **overrides: Any
) -> WorkflowHandle[TicketWorkflow, TicketState]:
    """`hotline.register`, then wait until the ticket has opened (its first published revision, as the API
    waits): the driver returns at the "registered" event, before the dispatch is planned, so a query
    right after it may show no unit and no clocks yet."""
    h = await hotline.register(category, **overrides)
    await hotline.until(h, lambda s: s.revision > 0)
    return h


async def ticket_at(
    hotline: Hotline,
    at: datetime,
    category: Category = Category.COMPLAINT,
    *,
    sign: bool = False,
    **overrides: Any,
) -> WorkflowHandle[TicketWorkflow, TicketState]:
    """Register (and dispatch to U1) at a chosen instant, with the test calendar loaded before; `sign`:
    U1 signs for it at once."""
    await hotline.sleep_until(at)
    h = await register(hotline, category, **overrides)
    if sign:
        await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    return h


async def projected(
    hotline: Hotline, model: Any, ticket_no: str, until: Callable[[Any], bool] = lambda row: True
) -> Any:
    """Poll the SQL read model (written by the project_ticket activity) for a ticket's row."""
    for _ in range(200):
        async with hotline.session_maker() as session:
            row = await session.scalar(select(model).where(model.ticket_no == ticket_no))
        if row is not None and until(row):
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"no such {model.__tablename__} row for {ticket_no}")


async def search_attributes(hotline: Hotline, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The ticket's search attributes by name, as the server holds them (None: not set).

    Read from the raw description: the time-skipping server keeps an unset attribute as a null payload, which
    the SDK's `describe()` cannot decode as a Datetime (the dev server and a cluster drop it)."""
    raw = await hotline.client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=hotline.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    fields = raw.workflow_execution_info.search_attributes.indexed_fields
    set_fields = {k: v for k, v in fields.items() if v.metadata.get("encoding") != b"binary/null"}
    typed = decode_typed_search_attributes(SearchAttributes(indexed_fields=set_fields))
    return {key.name: typed.get(key) for key in sa.ALL}


# -- returns, acceptance and coordination (A13–A16) -------------------------------------------------------
T = TypeVar("T")
ONE_DAY = timedelta(days=1)
# An update completes in well under a second; one that hangs (a failing workflow task) fails the test.
UPDATE_TIMEOUT = 5.0


@dataclass(frozen=True)
class KnownCalendar:
    """The working days the test DB holds, counted by hand ("Counting time", 《民法典》 Art. 201)."""

    holiday: date
    adjusted_workday: date
    reference: WorkingCalendar  # the same notices through the production code, as a cross-check

    def is_working_day(self, d: date) -> bool:
        return d != self.holiday and (d == self.adjusted_workday or d.weekday() < 5)

    def nth_working_day_after(self, start: date, n: int) -> date:
        day = start
        while n > 0:
            day += ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def due(self, received_at: datetime | None, working_days: int) -> datetime:
        """24:00 Asia/Shanghai of the n-th working day after the (Shanghai) day of receipt."""
        assert received_at is not None
        last = self.nth_working_day_after(received_at.astimezone(SHANGHAI).date(), working_days)
        expected = datetime.combine(last + ONE_DAY, time(0), tzinfo=SHANGHAI)
        reference = self.reference.working_days_deadline(received_at, working_days)
        assert (reference.due_at, reference.provisional) == (expected, False), (reference, expected)
        return expected

    def working_day_at(self, after: datetime, n: int, hour: int) -> datetime:
        """`hour`:00 Shanghai on the n-th working day after the day of `after`."""
        day = self.nth_working_day_after(after.astimezone(SHANGHAI).date(), n)
        return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


async def load_known_calendar(hotline: Hotline) -> KnownCalendar:
    """Replace the notices of the next two months' years BEFORE any ticket registers.

    Holiday: the first Monday–Friday after today (Shanghai). 调休: the first Saturday after that holiday.
    """
    today = (await hotline.now()).astimezone(SHANGHAI).date()
    holiday = today + ONE_DAY
    while holiday.weekday() >= 5:
        holiday += ONE_DAY
    adjusted = holiday + timedelta(days=5 - holiday.weekday())
    last = today + timedelta(days=60)
    await load_test_calendar(hotline.session_maker, today, last, [holiday], [adjusted])
    reference = WorkingCalendar(load_seed())
    for y in range(today.year, last.year + 1):
        reference = reference.merged(
            YearCalendar(
                year=y,
                holidays=[d for d in (holiday,) if d.year == y],
                adjusted_workdays=[d for d in (adjusted,) if d.year == y],
            )
        )
    return KnownCalendar(holiday=holiday, adjusted_workday=adjusted, reference=reference)


def only_event(state: TicketState, kind: str) -> TimelineEvent:
    found = events(state, kind)
    assert len(found) == 1, [e.kind for e in state.timeline]
    return found[0]


def kinds_after(state: TicketState, event: TimelineEvent) -> list[str]:
    return [e.kind for e in state.timeline if e.seq > event.seq]


async def eventually(probe: Callable[[], Awaitable[T | None]], attempts: int = 200) -> T:
    """Poll (e.g. the read model, written asynchronously by the projector) until `probe` returns a value."""
    for _ in range(attempts):
        value = await probe()
        if value is not None:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("the value never appeared")


async def act(hotline: Hotline, h: WorkflowHandle[Any, Any], update: Any, cmd: Any) -> TicketState:
    return await asyncio.wait_for(hotline.act(h, update, cmd), UPDATE_TIMEOUT)


async def refusal(
    hotline: Hotline, h: WorkflowHandle[Any, Any], update: Any, cmd: Any
) -> tuple[str, Any, Any]:
    """(code, rule, kind) of an update that must be rejected."""
    err = await asyncio.wait_for(hotline.refused(h, update, cmd), UPDATE_TIMEOUT)
    details = err.details[0]
    assert details["code"] == err.type
    return err.type, details["rule"], details["kind"]


# A15 (verdicts 4): the signer as the API finds them on the unit's register (A5).
SIGNED = SignOff(
    name="Wang Qiang",
    title="deputy director in charge",
    filed=FiledSignatory(person_id=1, role="leader_in_charge"),
)


def a_return(
    kind: ReturnKind = ReturnKind.NOT_OUR_DUTY, actor: Actor | None = None, **overrides: Any
) -> ApplyReturn:
    data: dict[str, Any] = {
        "actor": actor or unit("U1"),
        "kind": kind,
        "reason": "street lighting is the power company's duty",
        "basis": "城市照明管理规定 第五条",
        "suggested_unit": "U2",
        "signed_off_by": SIGNED,
    }
    return ApplyReturn(**(data | overrides))


async def sign_for(hotline: Hotline, h: WorkflowHandle[Any, Any], unit_id: str = "U1") -> TicketState:
    return await act(hotline, h, TicketWorkflow.sign_for, SignFor(actor=unit(unit_id)))
