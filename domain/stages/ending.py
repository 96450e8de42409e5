"""How a ticket ends: a termination notice (A18), supplementary answers after conclusion and the archive
(A21)."""

from __future__ import annotations

from datetime import timedelta

from domain.changes import A18_TERMINATION_REVIEWED, A21_PERMISSION_REFUSAL_SAYS_WHY
from domain.commands import ApplySupplement, FileTerminationNotice, ReviewSupplement, SubmitSupplement
from domain.errors import conflict, invalid
from domain.matters import notice_prior_ticket_no, prior_ticket_no, supplement_under_way
from domain.stages.common import (
    AFTER_CLOSURE,
    HANDLING_STAGES,
    conclude,
    happen,
    require_lead,
    require_operator,
    require_stage,
    transition,
)
from domain.ticket import ClosureRecord, Supplement, TicketState, closure_id
from domain.timeline import HOTLINE, REQUESTER, SYSTEM, EventKind, Step, unit
from domain.vocabulary import Outcome, Stage, SupplementStatus


# -- checks ------------------------------------------------------------------------------------------------
def check_termination(state: TicketState, cmd: FileTerminationNotice) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, HANDLING_STAGES, "file a termination notice", "A18")
    if not notice_prior_ticket_no(state.registration, cmd):
        raise invalid(
            "PRIOR_TICKET_REQUIRED",
            "a termination notice concerns a matter already concluded: name its ticket",
            "A18",
        )


def check_apply_supplement(state: TicketState, cmd: ApplySupplement) -> None:
    require_lead(state, cmd.actor)
    require_stage(state, AFTER_CLOSURE, "apply for a supplementary answer", "A21")
    if state.outcome is not None and state.outcome != Outcome.CLOSED:
        raise conflict("NOT_CLOSED", "only a closed ticket takes a supplementary answer", "A21")
    if supplement_under_way(s.status for s in state.supplements):
        raise conflict("SUPPLEMENT_UNDER_WAY", "finish the supplementary answer under way first", "A21")


def _waiting(state: TicketState, supplement_id: str, status: SupplementStatus, action: str) -> None:
    found = next((s for s in state.supplements if s.id == supplement_id), None)
    if found is None or found.status != status:
        raise conflict(
            "NO_SUCH_SUPPLEMENT", f"no supplementary answer {supplement_id} waiting to {action}", "A21"
        )


def check_review_supplement_permission(state: TicketState, cmd: ReviewSupplement) -> None:
    require_operator(cmd.actor)
    _waiting(state, cmd.supplement_id, SupplementStatus.REQUESTED, "be permitted")
    if not cmd.approve and not cmd.reason.strip() and state.judged_by(A21_PERMISSION_REFUSAL_SAYS_WHY):
        raise invalid("REASON_REQUIRED", "say why the supplementary answer is not permitted", "A21")


def check_submit_supplement(state: TicketState, cmd: SubmitSupplement) -> None:
    require_lead(state, cmd.actor)
    _waiting(state, cmd.supplement_id, SupplementStatus.PERMITTED, "be written")


def check_review_supplement_content(state: TicketState, cmd: ReviewSupplement) -> None:
    require_operator(cmd.actor)
    _waiting(state, cmd.supplement_id, SupplementStatus.SUBMITTED, "be reviewed")


# -- transitions -------------------------------------------------------------------------------------------
@transition
def file_termination_notice(state: TicketState, cmd: FileTerminationNotice, step: Step) -> None:
    """A18: the matter was concluded before and the requester raised it again with nothing new. The notice
    is filed with 12345 (「在12345热线备案」), which reviews it like a closure (closure.review_closure)."""
    if state.judged_by(A18_TERMINATION_REVIEWED):
        record = ClosureRecord(id=closure_id(state), applied_at=step.now, termination=cmd)
        state.closures.append(record)
        state.stage = Stage.CLOSURE_REVIEW
        happen(
            state,
            step,
            EventKind.TERMINATION_APPLIED,
            cmd.actor,
            "A18",
            [HOTLINE],
            closure_id=record.id,
            notice_ref=cmd.notice_ref,
            prior_ticket_no=notice_prior_ticket_no(state.registration, cmd),
        )
        return
    # Verdicts 1–2: filed and concluded at once, as those tickets' histories recorded it.
    state.termination = cmd
    state.outcome = Outcome.TERMINATED
    happen(
        state,
        step,
        EventKind.TERMINATION_NOTICE_FILED,
        cmd.actor,
        "A18",
        [HOTLINE, REQUESTER],
        notice_ref=cmd.notice_ref,
        prior_ticket_no=prior_ticket_no(state.registration, cmd.prior_ticket_no),
    )
    conclude(state, step)


def _supplement(state: TicketState, supplement_id: str) -> Supplement:
    return next(s for s in state.supplements if s.id == supplement_id)


@transition
def apply_supplement(state: TicketState, cmd: ApplySupplement, step: Step) -> None:
    supplement = Supplement(
        id=f"S{len(state.supplements) + 1}",
        unit=state.lead_unit or "",
        reason=cmd.reason,
        applied_at=step.now,
    )
    state.supplements.append(supplement)
    happen(
        state,
        step,
        EventKind.SUPPLEMENT_APPLIED,
        cmd.actor,
        "A21",
        [HOTLINE],
        supplement_id=supplement.id,
        reason=cmd.reason,
    )


@transition
def review_supplement_permission(state: TicketState, cmd: ReviewSupplement, step: Step) -> None:
    supplement = _supplement(state, cmd.supplement_id)
    supplement.status = SupplementStatus.PERMITTED if cmd.approve else SupplementStatus.PERMISSION_REFUSED
    supplement.review_note = cmd.reason
    kind = EventKind.SUPPLEMENT_PERMISSION_GRANTED if cmd.approve else EventKind.SUPPLEMENT_PERMISSION_REFUSED
    happen(
        state,
        step,
        kind,
        cmd.actor,
        "A21",
        [unit(supplement.unit)],
        supplement_id=supplement.id,
        reason=cmd.reason,
    )


@transition
def submit_supplement(state: TicketState, cmd: SubmitSupplement, step: Step) -> None:
    supplement = _supplement(state, cmd.supplement_id)
    supplement.status, supplement.content = SupplementStatus.SUBMITTED, cmd.content
    happen(
        state, step, EventKind.SUPPLEMENT_SUBMITTED, cmd.actor, "A21", [HOTLINE], supplement_id=supplement.id
    )


@transition
def review_supplement_content(state: TicketState, cmd: ReviewSupplement, step: Step) -> None:
    supplement = _supplement(state, cmd.supplement_id)
    supplement.review_note = cmd.reason
    if cmd.approve:
        # A21: published only after the hotline reviewed the content.
        supplement.status, supplement.published_at = SupplementStatus.PUBLISHED, step.now
        happen(
            state,
            step,
            EventKind.SUPPLEMENT_PUBLISHED,
            cmd.actor,
            "A21",
            [REQUESTER, unit(supplement.unit)],
            supplement_id=supplement.id,
            content=supplement.content,
        )
        return
    supplement.status = SupplementStatus.CONTENT_REJECTED
    happen(
        state,
        step,
        EventKind.SUPPLEMENT_REJECTED,
        cmd.actor,
        "A21",
        [unit(supplement.unit)],
        supplement_id=supplement.id,
        reason=cmd.reason,
    )


# A21: an archived ticket reopened for a supplementary answer archives again this long after, unless a
# supplement is under way then (the unit's application arrives with the reopening, api/temporal.py).
REOPENED_GRACE = timedelta(hours=1)


def may_reopen(state: TicketState) -> bool:
    """A21: only a closed ticket takes a supplementary answer, so only a closed, archived one reopens."""
    return state.stage == Stage.ARCHIVED and state.outcome == Outcome.CLOSED


@transition
def reopen_for_supplement(state: TicketState, step: Step) -> None:
    """A21 「已办结的事项有新进展情况的，可申请补充答复」 sets no time limit: the archive closes the ticket's
    workflow, not the door. Reopened, the ticket is concluded again, its outcome and conclusion unchanged, and
    archives again once no supplementary answer is under way."""
    if not may_reopen(state):
        return
    state.stage, state.archive_at = Stage.CONCLUDED, step.now + REOPENED_GRACE
    happen(state, step, EventKind.REOPENED_FOR_SUPPLEMENT, SYSTEM, "A21", [HOTLINE])


@transition
def archive_when_due(state: TicketState, step: Step) -> None:
    """A21: archived at the archive date, unless a supplementary answer keeps the ticket open past it."""
    if state.stage != Stage.CONCLUDED or state.archive_at is None or step.now < state.archive_at:
        return
    if supplement_under_way(s.status for s in state.supplements):
        return
    state.stage = Stage.ARCHIVED
    stamped = step.now if state.supplements else state.archive_at
    happen(state, step, EventKind.ARCHIVED, SYSTEM, "A21", [], stamped_at=stamped)
