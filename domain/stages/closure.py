"""Contact and closure (A14.4, A20): the unit tells the requester the result, applies to close, or finds
the request not acceptable; the hotline reviews either."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from domain.calendar import WorkingCalendar
from domain.changes import (
    A20_ANONYMOUS_CLOSURE_SAYS_WHY,
    A20_CONTACT_AFTER_RECEIPT,
    A20_HANDLED_AT_IN_RANGE,
    A20_PHONE_CALLS_TELL_THE_RESULT,
    A20_WRITTEN_ANSWER_IN_UNIT_NAME,
)
from domain.commands import ApplyClosure, ContactAttempt, FindNotAcceptable, Review
from domain.errors import conflict, invalid
from domain.matters import notice_prior_ticket_no
from domain.stages.common import (
    HANDLING_STAGES,
    assignment_of,
    conclude,
    happen,
    request_rating,
    require_lead,
    require_operator,
    require_stage,
    transition,
)
from domain.ticket import ClosureRecord, Contact, TicketState, closure_id
from domain.timeline import HOTLINE, REQUESTER, EventKind, Step, unit
from domain.vocabulary import (
    NEEDS_EXPLANATORY_MATERIAL,
    ContactChannel,
    ContactPurpose,
    Decision,
    Outcome,
    Stage,
)


# -- checks ------------------------------------------------------------------------------------------------
def check_contact(state: TicketState, cmd: ContactAttempt, now: datetime) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, HANDLING_STAGES | {Stage.CLOSURE_REVIEW}, "record a contact attempt", "A20")
    if cmd.at > now + timedelta(minutes=5):
        raise invalid("CONTACT_IN_FUTURE", "a contact attempt cannot lie in the future", "A20")
    assignment = state.assignment
    if (
        assignment is not None
        and cmd.at < assignment.received_at
        and state.judged_by(A20_CONTACT_AFTER_RECEIPT)
    ):
        # Only contacts since this unit received the ticket count (A20); an earlier one is a typo.
        raise invalid(
            "CONTACT_BEFORE_RECEIPT", "a contact attempt comes after the unit received the ticket", "A20"
        )
    if cmd.channel in NEEDS_A_NUMBER and anonymous(state) and state.judged_by(A20_ANONYMOUS_CLOSURE_SAYS_WHY):
        # A20 「连续 2 天拨打诉求人联系电话」: with no number on record there is nobody to call or text.
        raise conflict("NO_PHONE_ON_RECORD", "the requester left no phone number to call", "A20")
    if cmd.written_answer_requested and not cmd.reached:
        raise invalid("WRITTEN_ANSWER_ASKED_UNREACHED", "only a requester reached can ask for it", "A20")


# A20: the channels that reach a requester only at the number they gave.
NEEDS_A_NUMBER = frozenset({ContactChannel.PHONE, ContactChannel.SMS})


def anonymous(state: TicketState) -> bool:
    """A20: the requester left no contact details (no number): the result cannot be told by phone."""
    return not state.registration.requester.phone.strip()


def requester_deemed_answered(
    contacts: list[Contact], *, phone_calls_for_the_result: bool = True
) -> datetime | None:
    """A20: told the result once, or failed calls to tell it on two consecutive days with no success between.

    "连续 2 天拨打诉求人联系电话（手机）均未果": only phone calls count as failed attempts; an unanswered SMS,
    web message, letter or visit does not. A contact made to ask for details (A14) tells no result."""
    failed_days: list[datetime] = []
    for c in sorted(contacts, key=lambda c: c.at):
        # Verdicts 1 (domain/changes.py): any contact counted, reached or failed, whatever its channel.
        if phone_calls_for_the_result and c.purpose != ContactPurpose.RESULT:
            continue
        if c.reached:
            return c.at
        if phone_calls_for_the_result and c.channel != ContactChannel.PHONE:
            continue
        failed_days.append(c.at)
        days = sorted({WorkingCalendar.local_date(a) for a in failed_days})
        if any((b - a).days == 1 for a, b in itertools.pairwise(days)):
            return c.at
    return None


def check_closure(state: TicketState, cmd: ApplyClosure, now: datetime) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, {Stage.HANDLING}, "apply for closure", "A20")
    if not state.registration.received_at <= cmd.handled_at <= now + timedelta(minutes=5) and state.judged_by(
        A20_HANDLED_AT_IN_RANGE
    ):
        # A20(2) "办理时间": the matter was handled after it was registered and not later than now.
        raise invalid(
            "HANDLED_AT_OUT_OF_RANGE", "the matter was handled between its registration and now", "A20"
        )
    _check_told(state, cmd)
    if state.judged_by(A20_WRITTEN_ANSWER_IN_UNIT_NAME):
        _check_written_answer(state, cmd)
    points = state.registration.points()
    answered = [a.point.strip() for a in cmd.answers]
    missing = [p for p in points if p.strip() not in answered]
    if missing or len(cmd.answers) < len(points):
        # A20(1): every point answered, nothing omitted or dodged.
        raise invalid("POINTS_UNANSWERED", f"answer every point of the request; missing: {missing}", "A20")
    if cmd.long_running and not cmd.progress.strip():
        raise invalid("PROGRESS_REQUIRED", "a long-running matter states its progress", "A20")


def _check_told(state: TicketState, cmd: ApplyClosure) -> None:
    """A20: the requester told the result (or deemed answered); one who left no contact details cannot
    be, and the closure says why nobody was told (verdicts 4) instead of waiting for a contact."""
    if state.requester_informed_at is not None:
        return
    if anonymous(state) and state.judged_by(A20_ANONYMOUS_CLOSURE_SAYS_WHY):
        if not cmd.no_contact_reason.strip():
            raise invalid(
                "NO_CONTACT_REASON_REQUIRED",
                "the requester left no contact details: say why they could not be told the result",
                "A20",
            )
        return
    raise conflict(
        "REQUESTER_NOT_INFORMED",
        "tell the requester the result first (or two consecutive days of failed calls)",
        "A20",
    )


def _check_written_answer(state: TicketState, cmd: ApplyClosure) -> None:
    """A20 「若诉求人要求提供书面答复材料，则须以本单位名义予以答复」: asked for, the written answer is part of
    the closure, issued in the name of the unit handling the ticket (the lead, or the sub-unit acting for it)."""
    written = cmd.written_answer
    if written is None:
        if state.written_answer_requested_at is not None:
            raise invalid(
                "WRITTEN_ANSWER_REQUIRED",
                "the requester asked for a written answer: give its document",
                "A20",
            )
        return
    assignment = assignment_of(state)
    if written.issuing_unit not in {assignment.lead_unit, assignment.forwarded_to}:
        raise invalid(
            "WRITTEN_ANSWER_NOT_IN_UNIT_NAME",
            "a written answer is issued in the name of the unit handling the ticket",
            "A20",
        )


def check_not_acceptable(state: TicketState, cmd: FindNotAcceptable) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, HANDLING_STAGES, "find the request not acceptable", "A14.4")
    if not cmd.requester_told:
        raise invalid("REQUESTER_NOT_TOLD", "tell the requester why it is not acceptable", "A14.4")
    if cmd.reason in NEEDS_EXPLANATORY_MATERIAL and not cmd.material_refs:
        raise invalid(
            "EXPLANATORY_MATERIAL_REQUIRED",
            "give the hotline explanatory material for litigation/petition matters",
            "A14.4",
        )


def check_review_closure(state: TicketState, cmd: Review) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.CLOSURE_REVIEW}, "review a closure", "A20")
    if not cmd.approve and not cmd.reason.strip():
        raise invalid("REASON_REQUIRED", "say why the closure is sent back", "A20")


# -- transitions -------------------------------------------------------------------------------------------
@transition
def record_contact(state: TicketState, cmd: ContactAttempt, step: Step) -> None:
    state.contacts.append(Contact.of(cmd))
    happen(
        state,
        step,
        EventKind.CONTACT_ATTEMPTED,
        cmd.actor,
        "A20",
        [],
        at=cmd.at,
        channel=cmd.channel,
        reached=cmd.reached,
        purpose=cmd.purpose,
    )
    if cmd.written_answer_requested and state.written_answer_requested_at is None:
        state.written_answer_requested_at = cmd.at
        happen(state, step, EventKind.WRITTEN_ANSWER_REQUESTED, cmd.actor, "A20", [HOTLINE], at=cmd.at)
    if state.requester_informed_at is not None:
        return
    since = assignment_of(state).received_at
    informed = requester_deemed_answered(
        [c for c in state.contacts if c.at >= since],
        phone_calls_for_the_result=state.judged_by(A20_PHONE_CALLS_TELL_THE_RESULT),
    )
    if informed is not None:
        state.requester_informed_at = informed
        happen(
            state,
            step,
            EventKind.REQUESTER_ANSWERED,
            cmd.actor,
            "A20",
            [HOTLINE],
            deemed=not cmd.reached,
            at=informed,
        )


@transition
def apply_closure(state: TicketState, cmd: ApplyClosure, step: Step) -> None:
    """A20: the answer goes to the hotline for review; the answer limit is met (the clock table)."""
    state.closures.append(ClosureRecord(id=closure_id(state), applied_at=step.now, closure=cmd))
    state.stage = Stage.CLOSURE_REVIEW
    extra: dict[str, object] = {}
    if cmd.written_answer is not None:
        extra["written_answer"] = cmd.written_answer.model_dump()
    if state.requester_informed_at is None and cmd.no_contact_reason.strip():
        extra["no_contact_reason"] = cmd.no_contact_reason
    happen(
        state,
        step,
        EventKind.CLOSURE_APPLIED,
        cmd.actor,
        "A20",
        [HOTLINE],
        closure_id=state.closures[-1].id,
        **extra,
    )


@transition
def find_not_acceptable(state: TicketState, cmd: FindNotAcceptable, step: Step) -> None:
    """A14.4: the unit finds the request not acceptable (litigation, petition, …); the hotline reviews it."""
    record = ClosureRecord(id=closure_id(state), applied_at=step.now, not_acceptable=cmd)
    state.closures.append(record)
    state.stage = Stage.CLOSURE_REVIEW
    happen(
        state,
        step,
        EventKind.FOUND_NOT_ACCEPTABLE,
        cmd.actor,
        "A14.4",
        [HOTLINE],
        closure_id=record.id,
        reason=cmd.reason,
        explanation=cmd.explanation,
        material_refs=cmd.material_refs,
    )


@transition
def review_closure(state: TicketState, cmd: Review, step: Step) -> None:
    record = state.pending_closure()
    assert record is not None
    record.decided_at, record.reason = step.now, cmd.reason
    lead = unit(state.lead_unit or "")
    if record.termination is not None:
        _review_termination(state, cmd, step, record)
        return
    if not cmd.approve:
        # A20: sent back; the limit still counts from the first receipt (the clock table reopens it).
        record.decision = Decision.REFUSED
        state.stage = Stage.HANDLING
        happen(state, step, EventKind.CLOSURE_SENT_BACK, cmd.actor, "A20", [lead], reason=cmd.reason)
        return
    record.decision = Decision.APPROVED
    if record.not_acceptable is not None:
        state.outcome = Outcome.NOT_ACCEPTABLE_BY_UNIT
        happen(
            state,
            step,
            EventKind.NOT_ACCEPTABLE_CONFIRMED,
            cmd.actor,
            "A14.4",
            [lead, REQUESTER],
            reason=record.not_acceptable.reason,
        )
        conclude(state, step)
        return
    state.outcome = Outcome.CLOSED
    happen(state, step, EventKind.CLOSURE_APPROVED, cmd.actor, "A20", [lead, REQUESTER])
    request_rating(state, step)


def _review_termination(state: TicketState, cmd: Review, step: Step, record: ClosureRecord) -> None:
    """A18: the hotline confirms the earlier matter was concluded by law and the requester brings nothing new
    (the ticket ends as terminated, the requester told with the remedies the law gives), or sends it back
    to be handled (the answer limit reopens, counting from the first receipt)."""
    notice = record.termination
    assert notice is not None
    lead = unit(state.lead_unit or "")
    prior = notice_prior_ticket_no(state.registration, notice)
    if not cmd.approve:
        record.decision = Decision.REFUSED
        state.stage = Stage.HANDLING
        happen(
            state,
            step,
            EventKind.TERMINATION_REFUSED,
            cmd.actor,
            "A18",
            [lead],
            reason=cmd.reason,
            prior_ticket_no=prior,
        )
        return
    record.decision = Decision.APPROVED
    state.termination = notice
    state.outcome = Outcome.TERMINATED
    happen(
        state,
        step,
        EventKind.TERMINATION_CONFIRMED,
        cmd.actor,
        "A18",
        [lead, REQUESTER],
        notice_ref=notice.notice_ref,
        prior_ticket_no=prior,
    )
    conclude(state, step)
