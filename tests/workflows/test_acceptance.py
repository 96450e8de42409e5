"""Acceptance at the hotline (A10–A13, A18 screening, A11 restriction, A23 linkage) on the time-skipping server.

Helpers (own server per test, a hand-counted calendar, timed updates) come from tests/workflows/support.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.models import NoticeRow, RestrictedCallerRow, TerminatedMatterRow
from domain.calendar import SHANGHAI
from domain.commands import AnswerAtOnce, Dispatch, FileTerminationNotice, NotAccept, Requester, Review
from domain.rulesets import CITY
from domain.ticket import TicketState
from domain.vocabulary import Card, Category, Channel, NotAcceptedReason, Outcome, Stage
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import (
    act,
    eventually,
    kinds_after,
    load_known_calendar,
    only_event,
    refusal,
    register,
    sign_for,
)
from workflows.ticket import TicketWorkflow

A10_REASONS = [r for r in NotAcceptedReason if r.value.startswith("A10.")]


# ============================================================================================= A12
async def test_a12_a_consultation_is_answered_at_once_and_rated(hotline: Hotline) -> None:
    """A12: a consultation answered from the KB on the spot: outcome answered_at_once; A24 rating requested."""
    h = await register(hotline, Category.CONSULTATION, dispatch_to=None)
    s = await act(
        hotline,
        h,
        TicketWorkflow.answer_at_once,
        AnswerAtOnce(
            actor=OPERATOR,
            answer="Apply at the district service hall with your ID card",
            knowledge_point_id="KB-12",
        ),
    )
    assert (s.outcome, s.stage) == (Outcome.ANSWERED_AT_ONCE, Stage.RATING)
    assert s.answered_at_once == "Apply at the district service hall with your ID card"
    assert (s.assignments, s.clocks) == ([], {})
    answered = only_event(s, "answered_at_once")
    assert (answered.rule, answered.notify, answered.actor, answered.data) == (
        "A12",
        ["requester"],
        "operator:op-1",
        {"knowledge_point_id": "KB-12"},
    )
    [rating] = s.ratings
    assert (rating.round, rating.requested_at, rating.expires_at, rating.final, rating.rated_at) == (
        1,
        answered.at,
        answered.at + timedelta(hours=24),
        False,
        None,
    )
    requested = only_event(s, "rating_requested")
    assert requested.seq == answered.seq + 1
    assert (requested.rule, requested.notify, requested.actor) == ("A24", ["requester"], "system")
    assert datetime.fromisoformat(requested.data["expires_at"]) == answered.at + timedelta(hours=24)
    # Answered: nothing left to dispatch or answer.
    assert await refusal(hotline, h, TicketWorkflow.dispatch, Dispatch(actor=OPERATOR, lead_unit="U1")) == (
        "STAGE_FORBIDS_ACTION",
        "A12",
        "conflict",
    )


@pytest.mark.parametrize(
    "category", [Category.HELP, Category.COMPLAINT, Category.REPORT, Category.SUGGESTION]
)
async def test_a12_only_a_consultation_is_answered_at_once(hotline: Hotline, category: Category) -> None:
    """A12: help, complaint, report and suggestion are dispatched (ONLY_CONSULTATION_ANSWERED_AT_ONCE)."""
    h = await register(hotline, category, dispatch_to=None)
    assert await refusal(
        hotline, h, TicketWorkflow.answer_at_once, AnswerAtOnce(actor=OPERATOR, answer="x")
    ) == ("ONLY_CONSULTATION_ANSWERED_AT_ONCE", "A12", "conflict")
    s = await hotline.state(h)
    assert (s.stage, s.outcome, s.answered_at_once, s.ratings) == (Stage.REGISTERED, None, None, [])


# ============================================================================================= A13
@pytest.mark.parametrize("reason", A10_REASONS, ids=[r.value for r in A10_REASONS])
async def test_a13_the_hotline_refuses_acceptance_for_each_a10_reason(
    hotline: Hotline, reason: NotAcceptedReason
) -> None:
    """A13 with A10.1–A10.7: the requester is told it is not accepted and on what basis; the ticket ends."""
    h = await register(hotline, Category.COMPLAINT, dispatch_to=None)
    basis = f"《韶关市12345热线管理细则》 第十条 ({reason.value})"
    s = await act(
        hotline, h, TicketWorkflow.not_accept, NotAccept(actor=OPERATOR, reason=reason, basis=basis)
    )
    assert (s.stage, s.outcome, s.not_accepted_reason, s.not_accepted_basis) == (
        Stage.NOT_ACCEPTED,
        Outcome.NOT_ACCEPTED,
        reason,
        basis,
    )
    event = only_event(s, "not_accepted")
    assert (event.rule, event.notify, event.actor) == (reason.value, ["requester"], "operator:op-1")
    assert event.data == {"reason": reason.value, "basis": basis, "automatic": False}
    assert s.concluded_at == event.at
    final: TicketState = await hotline.final(h)
    assert (final.stage, final.not_accepted_reason, final.not_accepted_basis) == (
        Stage.NOT_ACCEPTED,
        reason,
        basis,
    )
    assert final.timeline[-1].kind == "not_accepted"


async def test_a13_only_the_hotline_refuses_acceptance_and_only_before_dispatch(hotline: Hotline) -> None:
    """A13: a unit cannot refuse acceptance (that is A14.4); a dispatched ticket is no longer refused at A13."""
    cmd = NotAccept(actor=OPERATOR, reason=NotAcceptedReason.OUTSIDE_JURISDICTION, basis="a Guangzhou matter")
    h = await register(hotline)
    assert await refusal(hotline, h, TicketWorkflow.not_accept, cmd) == (
        "STAGE_FORBIDS_ACTION",
        "A13",
        "conflict",
    )
    assert await refusal(
        hotline, h, TicketWorkflow.not_accept, cmd.model_copy(update={"actor": unit("U1")})
    ) == ("TICKET_NOT_FOUND", None, "not_yours")
    assert (await hotline.state(h)).stage == Stage.DISPATCHED


# ============================================================================ A10/A12 registration, dispatch
async def test_a12_registration_then_dispatch_as_two_steps(hotline: Hotline) -> None:
    """A12: registered first (no unit, no limits), dispatched later: the unit's limits count from the
    dispatch (A17.2 10 WD, sign-for 1 WD), and lead and co-units are told (A14)."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline, Category.REPORT, dispatch_to=None)
    s = await hotline.state(h)
    assert (s.stage, s.assignments, s.clocks, s.lead_unit) == (Stage.REGISTERED, [], {}, None)
    registered = only_event(s, "registered")
    assert (registered.rule, registered.notify, registered.actor) == ("A2", ["requester"], "operator:op-1")
    assert registered.data == {
        "channel": "phone",
        "category": "report",
        "emergency": False,
        "rule_set": CITY.key,
    }
    assert kinds_after(s, registered) == []

    assert await refusal(
        hotline, h, TicketWorkflow.dispatch, Dispatch(actor=OPERATOR, lead_unit="U1", co_units=["U1", "U2"])
    ) == ("LEAD_ALSO_CO_UNIT", "A14", "invalid")
    dispatch_at = cal.working_day_at(s.registration.received_at, 1, 10)
    await hotline.sleep_until(dispatch_at)
    s = await act(
        hotline,
        h,
        TicketWorkflow.dispatch,
        Dispatch(actor=OPERATOR, lead_unit="U1", co_units=["U2"], note="lamp post 14"),
    )
    [assignment] = s.assignments
    t1 = assignment.received_at
    assert dispatch_at <= t1 < dispatch_at + timedelta(minutes=1)
    assert (s.stage, assignment.lead_unit, assignment.co_units, assignment.designated) == (
        Stage.DISPATCHED,
        "U1",
        ["U2"],
        False,
    )
    assert (s.clocks["answer"].due_at, s.clocks["sign_for"].due_at) == (cal.due(t1, 10), cal.due(t1, 1))
    assert s.clocks["answer"].due_at > cal.due(s.registration.received_at, 10)
    assert "handle" not in s.clocks
    dispatched = only_event(s, "dispatched")
    assert (dispatched.rule, dispatched.notify, dispatched.actor) == (
        "A14",
        ["unit:U1", "unit:U2"],
        "operator:op-1",
    )
    assert (dispatched.data["lead_unit"], dispatched.data["co_units"], dispatched.data["note"]) == (
        "U1",
        ["U2"],
        "lamp post 14",
    )
    assert await refusal(hotline, h, TicketWorkflow.dispatch, Dispatch(actor=OPERATOR, lead_unit="U3")) == (
        "STAGE_FORBIDS_ACTION",
        "A12",
        "conflict",
    )
    assert (await sign_for(hotline, h)).stage == Stage.HANDLING


async def test_a12_registration_and_dispatch_in_one_step(hotline: Hotline) -> None:
    """A12: registered with dispatch_to: dispatched at once, limits counting from registration."""
    cal = await load_known_calendar(hotline)
    h = await register(hotline, Category.HELP, co_units=["U2"])
    s = await hotline.state(h)
    [assignment] = s.assignments
    assert (s.stage, assignment.lead_unit, assignment.co_units) == (Stage.DISPATCHED, "U1", ["U2"])
    assert assignment.received_at - s.registration.received_at < timedelta(minutes=1)
    assert s.clocks["answer"].due_at == cal.due(assignment.received_at, 10)
    assert [e.kind for e in s.timeline] == ["registered", "dispatched"]
    assert only_event(s, "dispatched").notify == ["unit:U1", "unit:U2"]


async def test_a12_a_unit_cannot_dispatch(hotline: Hotline) -> None:
    """A12: dispatching is the hotline's; a unit trying it is told the ticket is not found (not_yours)."""
    h = await register(hotline, dispatch_to=None)
    assert await refusal(hotline, h, TicketWorkflow.dispatch, Dispatch(actor=unit("U1"), lead_unit="U1")) == (
        "TICKET_NOT_FOUND",
        None,
        "not_yours",
    )
    s = await hotline.state(h)
    assert (s.stage, s.assignments) == (Stage.REGISTERED, [])


# ====================================================================================== A18 screening
async def terminated(hotline: Hotline, matter: str) -> tuple[str, str, datetime]:
    """A18: a ticket on `matter` (repeat_of) ends with a termination notice; wait until the register has it."""
    h = await register(hotline, repeat_of=matter)
    served = (await hotline.now()).replace(microsecond=0)
    ref = f"终结告知书-{matter}"
    s = await act(
        hotline,
        h,
        TicketWorkflow.file_termination_notice,
        FileTerminationNotice(actor=unit("U1"), notice_ref=ref, served_at=served),
    )
    # A18 「在12345热线备案」: filed with the hotline, which confirms it.
    applied = only_event(s, "termination_applied")
    assert (applied.rule, applied.notify) == ("A18", ["hotline"])
    assert s.clocks["answer"].met_at == applied.at
    s = await act(hotline, h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert (s.stage, s.outcome, s.termination.notice_ref if s.termination else None) == (
        Stage.CONCLUDED,
        Outcome.TERMINATED,
        ref,
    )
    confirmed = only_event(s, "termination_confirmed")
    assert (confirmed.rule, confirmed.notify, confirmed.data) == (
        "A18",
        ["unit:U1", "requester"],
        {"notice_ref": ref, "prior_ticket_no": matter},
    )

    async def registered_notice() -> TerminatedMatterRow | None:
        async with hotline.session_maker() as session:
            return await session.get(TerminatedMatterRow, s.ticket_no)

    row = await eventually(registered_notice)
    assert (row.notice_ref, row.served_at) == (ref, served)
    return s.ticket_no, ref, served


def screened_out(s: TicketState, reason: NotAcceptedReason, basis: str) -> None:
    assert (s.stage, s.outcome, s.not_accepted_reason, s.not_accepted_basis) == (
        Stage.NOT_ACCEPTED,
        Outcome.NOT_ACCEPTED,
        reason,
        basis,
    )
    assert (s.assignments, s.clocks) == ([], {})  # dispatch_to is ignored
    event = only_event(s, "not_accepted")
    assert (event.rule, event.notify, event.actor) == (reason.value, ["requester"], "system")
    assert event.data == {"reason": reason.value, "basis": basis, "automatic": True}
    assert [e.kind for e in s.timeline] == ["registered", "not_accepted"]


async def test_a18_a_matter_terminated_by_notice_is_not_accepted_again(hotline: Hotline) -> None:
    """A18: after T1's termination notice is on file, a new request repeating T1 is not accepted (A18)."""
    t1, ref, served = await terminated(hotline, "P0000-earlier")
    h = await register(hotline, repeat_of=t1)
    s = await hotline.until(h, lambda s: s.stage == Stage.NOT_ACCEPTED)
    day = served.astimezone(SHANGHAI).date().isoformat()
    # A18 in its own words, in Chinese: the requester reads it (the public view).
    basis = (
        f"该事项已依法办理完毕，承办单位已出具书面事项终结告知书（{ref}，{day}送达，工单号{t1}），"
        "12345热线不再受理；您如有异议，可向承办单位申请行政复议或提出诉讼。"
    )
    screened_out(s, NotAcceptedReason.TERMINATED_MATTER, basis)
    final: TicketState = await hotline.final(h)
    assert final.stage == Stage.NOT_ACCEPTED
    # A different matter from the same requester is accepted as usual.
    other = await register(hotline, repeat_of="P0000-another")
    assert (await hotline.state(other)).stage == Stage.DISPATCHED


async def test_a18_the_earlier_ticket_of_a_terminated_matter_is_screened_too(hotline: Hotline) -> None:
    """A18: T1 (repeat_of P) was terminated; a request naming P itself is the same matter: not accepted."""
    t1, _, _ = await terminated(hotline, "P0000-earlier")
    async with hotline.session_maker() as session:
        row = await session.get(TerminatedMatterRow, t1)
        assert row is not None and row.prior_ticket_no == "P0000-earlier"
    h = await register(hotline, repeat_of="P0000-earlier")
    s = await hotline.until(h, lambda s: s.stage in (Stage.NOT_ACCEPTED, Stage.DISPATCHED))
    assert s.not_accepted_reason == NotAcceptedReason.TERMINATED_MATTER


# ============================================================================================= A11
async def restrict(hotline: Hotline, phone: str, until: datetime) -> None:
    async with hotline.session_maker.begin() as session:
        session.add(
            RestrictedCallerRow(
                phone=phone,
                until=until,
                reason="threatened an operator",
                created_at=until - timedelta(days=30),
            )
        )


async def test_a11_a_restricted_caller_is_not_accepted(hotline: Hotline) -> None:
    """A11: a caller restricted for 30 days is automatically not accepted (reason A11) while restricted."""
    now = await hotline.now()
    until = now + timedelta(days=29, hours=3)
    await restrict(hotline, "13900000011", until)
    h = await register(hotline, received_at=now, requester=Requester(name="Zhao", phone="13900000011"))
    s = await hotline.until(h, lambda s: s.stage == Stage.NOT_ACCEPTED)
    local = until.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    screened_out(
        s,
        NotAcceptedReason.RESTRICTED_CALLER,
        f"本号码被限制占用12345电话资源至{local}（北京时间）（threatened an operator）；"
        "您可通过网站、APP或小程序反映诉求。",
    )
    assert (await hotline.final(h)).stage == Stage.NOT_ACCEPTED


@pytest.mark.parametrize("ended", [timedelta(minutes=1), timedelta(0)], ids=["a minute ago", "at receipt"])
async def test_a11_an_expired_restriction_is_accepted(hotline: Hotline, ended: timedelta) -> None:
    """A11: once the restriction has ended (at or before receipt) the caller's request is accepted."""
    now = await hotline.now()
    await restrict(hotline, "13900000012", now - ended)
    h = await register(hotline, received_at=now, requester=Requester(name="Zhao", phone="13900000012"))
    s = await hotline.state(h)
    assert (s.stage, s.outcome, s.lead_unit) == (Stage.DISPATCHED, None, "U1")
    assert [e.kind for e in s.timeline] == ["registered", "dispatched"]


@pytest.mark.parametrize(
    "overrides",
    [{"channel": Channel.WECHAT}, {"channel": Channel.WEB}, {"emergency": True, "category": Category.HELP}],
    ids=["mini-program", "website", "an emergency by phone"],
)
async def test_a11_the_restriction_covers_the_phone_line_only_and_never_an_emergency(
    hotline: Hotline, overrides: dict[str, Any]
) -> None:
    """A11 restricts "占用12345电话资源": a restricted person writing through another channel, or calling
    about an emergency (A17.3, A23), is accepted and dispatched."""
    now = await hotline.now()
    await restrict(hotline, "13900000013", now + timedelta(days=10))
    category = overrides.pop("category", Category.COMPLAINT)
    h = await register(
        hotline, category, received_at=now, requester=Requester(name="Zhao", phone="13900000013"), **overrides
    )
    s = await hotline.state(h)
    assert (s.stage, s.outcome, s.lead_unit) == (Stage.DISPATCHED, None, "U1")


# ============================================================================================= A23
async def test_a23_linkage_with_110_and_120_is_recorded_and_notified(hotline: Hotline) -> None:
    """A23: an emergency linked to 110 and 120: an emergency_linkage event, and both lines are notified
    (notices in the read model); A17.3 limits run: handled within 2 hours, concluded within 2 WD."""
    cal = await load_known_calendar(hotline)
    h = await register(
        hotline,
        Category.HELP,
        emergency=True,
        linkage=["110", "120"],
        content="Gas smell in the stairwell, an elderly resident has fainted",
    )
    s = await hotline.state(h)
    registered, linkage = only_event(s, "registered"), only_event(s, "emergency_linkage")
    assert linkage.seq == registered.seq + 1
    assert (linkage.rule, linkage.data, linkage.actor) == ("A23", {"lines": ["110", "120"]}, "operator:op-1")
    notified = set(registered.notify) | set(linkage.notify)
    assert {"linkage:110", "linkage:120"} <= notified and "linkage:119" not in notified
    assert registered.data["emergency"] is True

    async def linkage_notices() -> list[tuple[str, str]] | None:
        async with hotline.session_maker() as session:
            rows = (
                await session.scalars(
                    select(NoticeRow).where(
                        NoticeRow.ticket_no == s.ticket_no, NoticeRow.recipient.like("linkage:%")
                    )
                )
            ).all()
        return sorted((r.recipient, r.kind) for r in rows) or None

    notices = await eventually(linkage_notices)
    assert [recipient for recipient, _ in notices] == ["linkage:110", "linkage:120"]

    t0 = s.assignments[0].received_at
    clocks: dict[str, Any] = {name: (c.due_at, c.card) for name, c in s.clocks.items()}
    linked_at = s.clocks["linkage_ack:110"].anchor_at
    assert clocks == {
        "handle": (t0 + timedelta(hours=2), Card.GREEN),
        "sign_for": (t0 + timedelta(minutes=30), Card.GREEN),
        "answer": (cal.due(t0, 2), Card.GREEN),
        # A23: each line acknowledges within the rule set's 5 minutes (the hotline's limit, not the unit's).
        "linkage_ack:110": (linked_at + timedelta(minutes=5), Card.GREEN),
        "linkage_ack:120": (linked_at + timedelta(minutes=5), Card.GREEN),
    }
