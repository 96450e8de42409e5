"""Time limits and cards on the time-skipping server: A17.1–A17.3, the sign-for clock, A22.

Every expected instant is worked out by hand in the test from a test calendar loaded before the ticket
is registered ("Counting time": the day of receipt is not counted; a period ends at 24:00 Asia/Shanghai
of its last working day; A22 yellow from the limit, red more than 2 WD past it).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.worker import Worker

from activities.hotline import HotlineActivities
from activities.units import UnitDirectory
from domain.commands import ApplyExtension, Dispatch, EmergencyResponse, SignFor
from domain.deadlines import PlannedDeadline, PlanRequest
from domain.ticket import ActivityNames, TicketInput, TicketState
from domain.vocabulary import Card, Category, Stage
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    FRIDAY,
    ONE_SECOND,
    TUESDAY,
    assert_card_changed,
    at_local,
    crosses,
    end_of,
    events,
    load_test_calendar,
    next_weekday,
    register,
    search_attributes,
    ticket_at,
    verdict,
)
from worker import build_worker
from workflows import search_attributes as sa
from workflows.ticket import TicketWorkflow, ticket_workflow_id


def stoppable_worker(hotline: Hotline, queue: str) -> Worker:
    """A worker to stop and restart around a boundary. No workflow cache, so the next workflow task goes to
    the task queue, not to the stopped worker's sticky queue; every task then replays the history, so send
    no update to such a ticket (an update right after an empty workflow task may not replay: sdk-rust#1146).
    """
    return build_worker(
        hotline.client,
        hotline.session_maker,
        queue,
        max_cached_workflows=0,
        graceful_shutdown_timeout=timedelta(seconds=5),
    )


async def start_on(
    hotline: Hotline, queue: str, category: Category = Category.COMPLAINT, **overrides: Any
) -> WorkflowHandle[TicketWorkflow, TicketState]:
    """Register a ticket on another task queue than the fixture's worker serves."""
    reg = hotline.registration(category, received_at=await hotline.now(), **overrides)
    h = await hotline.client.start_workflow(
        TicketWorkflow.run,
        TicketInput(registration=reg),
        id=ticket_workflow_id(reg.ticket_no),
        task_queue=queue,
    )
    await hotline.until(h, lambda s: s.revision > 0)
    return h


# -- A17.1, A17.2 and the sign-for clock ----------------------------------------------------------------
async def test_a17_1_dispatched_consultation_is_due_at_2400_of_the_second_working_day(
    hotline: Hotline,
) -> None:
    """A17.1, A12: a consultation not answered at once is dispatched; 2 WD counted from the dispatch day."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=10))
    h = await ticket_at(hotline, at_local(tuesday, 9), Category.CONSULTATION, dispatch_to=None)
    s = await hotline.state(h)
    assert s.stage == Stage.REGISTERED and s.clocks == {}
    # Dispatched at 23:30 on Tuesday: Tuesday is the day of receipt and is not counted.
    await hotline.sleep_until(at_local(tuesday, 23, 30))
    s = await hotline.act(h, TicketWorkflow.dispatch, Dispatch(actor=OPERATOR, lead_unit="U1"))
    # Wednesday = WD1, Thursday = WD2 -> 24:00 Thursday.
    due = end_of(tuesday + timedelta(days=2))
    answer = s.clocks["answer"]
    assert (answer.due_at, answer.provisional, answer.period.working_days) == (due, False, 2)
    # A22: red more than 2 WD past it: Friday = WD1, Monday = WD2 -> 24:00 Monday.
    assert answer.red_at == end_of(tuesday + timedelta(days=6))
    dispatched = events(s, "dispatched")[0]
    assert dispatched.rule == "A14" and dispatched.notify == ["unit:U1"]
    assert datetime.fromisoformat(dispatched.data["deadlines"]["answer"]) == due


async def test_a17_2_complaint_10_wd_and_an_unsigned_ticket_turns_the_sign_for_card_yellow(
    hotline: Hotline,
) -> None:
    """A17.2: help/complaint/report/suggestion within 10 WD; sign-for (rule set default 1 WD) carded (A22)."""
    friday = next_weekday(await hotline.now(), FRIDAY)
    wednesday_holiday = friday + timedelta(days=5)
    await load_test_calendar(
        hotline.session_maker, friday, friday + timedelta(days=30), holidays=[wednesday_holiday]
    )
    h = await ticket_at(hotline, at_local(friday, 10), Category.COMPLAINT)
    s = await hotline.state(h)
    # Answer: Mon(1) Tue(2) [Wed holiday] Thu(3) Fri(4) | Mon(5) Tue(6) Wed(7) Thu(8) Fri(9) | Mon(10):
    # 24:00 on the Monday 17 days after the Friday of receipt.
    answer_due = end_of(friday + timedelta(days=17))
    # Red: Tue(1), Wed(2) -> 24:00 Wednesday (friday + 19).
    answer_red = end_of(friday + timedelta(days=19))
    assert (s.clocks["answer"].due_at, s.clocks["answer"].red_at) == (answer_due, answer_red)
    assert s.clocks["answer"].period.working_days == 10 and not s.clocks["answer"].provisional
    # Sign-for: 1 WD -> 24:00 Monday; red: Tue(1), [Wed holiday], Thu(2) -> 24:00 Thursday.
    sign_for_due = end_of(friday + timedelta(days=3))
    sign_for = s.clocks["sign_for"]
    assert (sign_for.due_at, sign_for.red_at) == (sign_for_due, end_of(friday + timedelta(days=6)))
    assert "handle" not in s.clocks  # no 2-hour clock for an ordinary ticket (A17.3 only)

    s = await crosses(hotline, h, "sign_for", sign_for_due, Card.GREEN, Card.YELLOW)
    assert s.stage == Stage.DISPATCHED
    assert s.clocks["answer"].card == Card.GREEN and s.card() == Card.YELLOW
    assert (await search_attributes(hotline, h))[sa.CARD.name] == "yellow"
    # Signing late meets the sign-for limit: the card stays yellow past its red boundary.
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    assert s.clocks["sign_for"].met_at is not None and s.stage == Stage.HANDLING
    await hotline.sleep_until(s.clocks["sign_for"].red_at + ONE_SECOND)
    s = await hotline.state(h)
    assert s.clocks["sign_for"].card == Card.YELLOW
    assert not events(s, "card_changed", clock="sign_for", after="red")


# -- A17.3 emergencies ------------------------------------------------------------------------------------
async def test_a17_3_emergency_unhandled_turns_sign_for_yellow_at_half_an_hour_and_handle_at_two_hours(
    hotline: Hotline,
) -> None:
    """A17.3: handled within 2 hours of receipt, concluded within 2 WD; emergency sign-for 0.5 h (A22)."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    h = await ticket_at(hotline, at_local(tuesday, 10), Category.HELP, emergency=True)
    s = await hotline.state(h)
    assert s.assignment is not None
    received = s.assignment.received_at  # the dispatch instant: hour limits are natural hours from it
    handle_due, sign_for_due = received + timedelta(hours=2), received + timedelta(minutes=30)
    assert s.clocks["handle"].due_at == handle_due
    assert s.clocks["sign_for"].due_at == sign_for_due
    # Conclude within 2 WD: Wed(1), Thu(2) -> 24:00 Thursday, not the 10 WD of a help request.
    assert s.clocks["answer"].due_at == end_of(tuesday + timedelta(days=2))
    # An hour limit passed on Tuesday turns red at 24:00 of the 2nd WD after Tuesday: Thursday.
    assert s.clocks["handle"].red_at == end_of(tuesday + timedelta(days=2))

    s = await crosses(hotline, h, "sign_for", sign_for_due, Card.GREEN, Card.YELLOW)
    assert s.clocks["handle"].card == Card.GREEN

    s = await crosses(hotline, h, "handle", handle_due, Card.GREEN, Card.YELLOW)
    assert s.clocks["answer"].card == Card.GREEN


async def test_a17_3_emergency_response_within_two_hours_keeps_the_handle_card_green(
    hotline: Hotline,
) -> None:
    """A17.3: the unit reports the emergency handled within 2 hours; the handle clock is met, frozen green."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    h = await ticket_at(hotline, at_local(tuesday, 10), Category.HELP, emergency=True, linkage=["119"])
    s = await hotline.state(h)
    assert s.assignment is not None
    handle_due = s.assignment.received_at + timedelta(hours=2)
    linkage = events(s, "emergency_linkage")
    assert len(linkage) == 1 and linkage[0].rule == "A23" and linkage[0].data["lines"] == ["119"]
    assert linkage[0].notify == ["linkage:119"]  # A23: the fire line is told at once

    await hotline.sleep_until(at_local(tuesday, 10, 10))
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.sleep_until(at_local(tuesday, 11))
    response = EmergencyResponse(actor=unit("U1"), note="Crew on site, road closed")
    s = await hotline.act(h, TicketWorkflow.report_emergency_response, response)
    met_at = s.clocks["handle"].met_at
    assert met_at is not None and at_local(tuesday, 11) <= met_at < handle_due
    handled = events(s, "emergency_handled")
    assert len(handled) == 1 and handled[0].rule == "A17.3" and handled[0].notify == ["hotline"]
    again = await hotline.refused(h, TicketWorkflow.report_emergency_response, response)
    assert verdict(again) == ("ALREADY_REPORTED", "A17.3")

    # Past the 2-hour limit and past its red boundary: the met clock keeps its green card.
    await hotline.sleep_until(handle_due + timedelta(minutes=1))
    s = await hotline.state(h)
    assert s.clocks["handle"].card == Card.GREEN
    await hotline.sleep_until(s.clocks["handle"].red_at + timedelta(minutes=1))
    s = await hotline.state(h)
    assert s.clocks["handle"].card == Card.GREEN
    assert not events(s, "card_changed", clock="handle")


async def test_a17_3_an_ordinary_ticket_has_no_emergency_response(hotline: Hotline) -> None:
    """A17.3: only a matter on the emergency list has the 2-hour handling limit."""
    h = await register(hotline, Category.HELP)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    err = await hotline.refused(
        h, TicketWorkflow.report_emergency_response, EmergencyResponse(actor=unit("U1"), note="on site")
    )
    assert verdict(err) == ("NOT_AN_EMERGENCY", "A17.3")


# -- A22 cards ----------------------------------------------------------------------------------------------
async def test_a22_answer_card_turns_yellow_at_the_limit_and_red_2_wd_later(hotline: Hotline) -> None:
    """A17.1 + A22 across a weekend, a Monday–Tuesday holiday and a Saturday declared a working day."""
    friday = next_weekday(await hotline.now(), FRIDAY)
    monday, tuesday = friday + timedelta(days=3), friday + timedelta(days=4)
    adjusted_saturday = friday + timedelta(days=8)
    await load_test_calendar(
        hotline.session_maker,
        friday,
        friday + timedelta(days=14),
        holidays=[monday, tuesday],
        adjusted_workdays=[adjusted_saturday],
    )
    h = await ticket_at(hotline, at_local(friday, 10), Category.CONSULTATION, sign=True)
    # Sat, Sun off; Mon, Tue holidays; Wed = WD1, Thu = WD2 -> due 24:00 Thursday (friday + 6).
    due = end_of(friday + timedelta(days=6))
    # Red: more than 2 WD past it: Fri = WD1, the adjusted Saturday = WD2 -> 24:00 Saturday (friday + 8).
    red = end_of(adjusted_saturday)
    s = await hotline.state(h)
    assert (s.clocks["answer"].due_at, s.clocks["answer"].red_at) == (due, red)
    assert (await search_attributes(hotline, h))[sa.CARD.name] == "green"

    s = await crosses(hotline, h, "answer", due, Card.GREEN, Card.YELLOW)
    attrs = await search_attributes(hotline, h)
    assert attrs[sa.CARD.name] == "yellow"
    assert attrs[sa.STAGE.name] == "handling"
    assert attrs[sa.LEAD_UNIT.name] == "U1"
    assert attrs[sa.DEADLINE.name] == due
    assert attrs[sa.CATEGORY.name] == "consultation"
    # Issue 18: the limit past due, and the next one not met (the answer limit itself, overdue).
    assert attrs[sa.OVERDUE.name] == ["answer"] and attrs[sa.NEXT_DUE.name] == due

    s = await crosses(hotline, h, "answer", red, Card.YELLOW, Card.RED)
    assert (await search_attributes(hotline, h))[sa.CARD.name] == "red"


async def test_a22_a_limit_met_while_yellow_keeps_its_yellow_card(hotline: Hotline) -> None:
    """A22: a limit met late keeps the card it had when it was met; A20: closure applied meets it."""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    h = await ticket_at(hotline, at_local(tuesday, 10), Category.CONSULTATION, sign=True)
    s = await hotline.state(h)
    # Wed(1), Thu(2) -> due 24:00 Thursday; red: Fri(1), Mon(2) -> 24:00 Monday.
    due, red = end_of(tuesday + timedelta(days=2)), end_of(tuesday + timedelta(days=6))
    assert (s.clocks["answer"].due_at, s.clocks["answer"].red_at) == (due, red)

    await hotline.sleep_until(at_local(tuesday + timedelta(days=3), 9))  # Friday 09:00, 1 WD late
    s = await hotline.until(h, lambda s: s.clocks["answer"].card == Card.YELLOW)
    await hotline.inform_requester(h)
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    assert s.stage == Stage.CLOSURE_REVIEW and s.clocks["answer"].met_at is not None

    await hotline.sleep_until(red + timedelta(hours=1))
    s = await hotline.state(h)
    assert s.clocks["answer"].card == Card.YELLOW and s.card() == Card.YELLOW
    assert not events(s, "card_changed", after="red")
    attrs = await search_attributes(hotline, h)
    assert (attrs[sa.CARD.name], attrs[sa.STAGE.name]) == ("yellow", "closure_review")
    # The answer limit was met (late): nothing is overdue; what falls due next is the office's own review.
    pending = [c.due_at for name, c in s.clocks.items() if c.met_at is None]
    assert attrs[sa.OVERDUE.name] is None and attrs[sa.NEXT_DUE.name] == min(pending)
    assert all(name.startswith("closure_review") for name, c in s.clocks.items() if c.met_at is None)


async def test_a22_card_change_is_stamped_with_the_boundary_even_when_recorded_late(hotline: Hotline) -> None:
    """A22: the card changes at the exact boundary, however late the worker records it: here no worker runs
    when the limit passes, and the one started 3 seconds later stamps the change with the due instant.
    (No update is sent: the restarted worker replays the whole history, see stoppable_worker.)"""
    tuesday = next_weekday(await hotline.now(), TUESDAY)
    await load_test_calendar(hotline.session_maker, tuesday, tuesday + timedelta(days=14))
    await hotline.sleep_until(at_local(tuesday, 10))
    queue = f"late-{uuid.uuid4()}"
    # Consultation: Wed(1), Thu(2) -> 24:00 Thursday. Sign-for: 1 WD -> 24:00 Wednesday, red 24:00 Friday.
    due = end_of(tuesday + timedelta(days=2))
    async with stoppable_worker(hotline, queue):
        h = await start_on(hotline, queue, Category.CONSULTATION)
        assert (await hotline.state(h)).clocks["answer"].due_at == due
        await hotline.sleep_until(due - ONE_SECOND)
        await hotline.until(h, lambda s: s.clocks["sign_for"].card == Card.YELLOW)
    await hotline.sleep_until(due + 3 * ONE_SECOND)  # the limit passes with nobody to record it
    async with stoppable_worker(hotline, queue):
        s = await hotline.until(h, lambda s: s.clocks["answer"].card == Card.YELLOW)
    assert await hotline.now() >= due + 3 * ONE_SECOND
    assert_card_changed(s, "answer", Card.GREEN, Card.YELLOW, due)


class _SlowPlanning(HotlineActivities):
    """The real activities, with deadline planning slowed down to widen the window after "registered"."""

    @activity.defn(name=ActivityNames.PLAN_DEADLINES)
    async def plan_deadlines(self, request: PlanRequest) -> dict[str, PlannedDeadline]:
        await asyncio.sleep(1)
        return await super().plan_deadlines(request)


async def test_an_action_right_after_registration_waits_for_the_dispatch(hotline: Hotline) -> None:
    """A12/A14: a ticket registered with dispatch_to is the unit's as soon as it exists; signing for it
    must not be refused while the dispatch is being planned (regression: it was TICKET_NOT_FOUND)."""
    queue = f"slow-{uuid.uuid4()}"
    acts = _SlowPlanning(hotline.session_maker)
    async with Worker(
        hotline.client,
        task_queue=queue,
        workflows=[TicketWorkflow],
        activities=[
            acts.open_ticket,
            acts.plan_deadlines,
            acts.project_ticket,
            UnitDirectory(hotline.session_maker).describe_units,
        ],
    ):
        reg = hotline.registration(Category.COMPLAINT, received_at=await hotline.now())
        h = await hotline.client.start_workflow(
            TicketWorkflow.run,
            TicketInput(registration=reg),
            id=ticket_workflow_id(reg.ticket_no),
            task_queue=queue,
        )
        # At once, while the opening (a second of planning) is still under way: since the planning runs as a
        # local activity inside the opening's workflow task, the half-opened ticket is not even observable;
        # the update must wait for the opening, not be refused.
        s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
        assert s.stage == Stage.HANDLING


async def test_a17_3_the_emergency_response_is_reported_while_an_extension_waits(hotline: Hotline) -> None:
    """A17.3: the 2-hour limit runs whatever paperwork is under review; the stage stays extension review."""
    h = await register(hotline, Category.HELP, emergency=True)
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.act(
        h,
        TicketWorkflow.apply_extension,
        ApplyExtension(actor=unit("U1"), reason="Parts on order", requester_told=True),
    )
    s = await hotline.act(
        h, TicketWorkflow.report_emergency_response, EmergencyResponse(actor=unit("U1"), note="Crew on site")
    )
    assert (s.stage, s.clocks["handle"].met_at is not None) == (Stage.EXTENSION_REVIEW, True)
