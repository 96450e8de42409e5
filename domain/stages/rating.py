"""Rating, callback and redo (A24): the requester rates both stages within the window, a dissatisfied
rating is called back, and the hotline may order one redo with the original limit and no extension."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from domain import clocks
from domain.changes import A24_REDO_GOES_BACK, A24_REDO_NAMES_ITS_UNIT
from domain.commands import Actor, DecideRedo, Rate, RecordCallback
from domain.deadlines import PlanItem, PlannedDeadline
from domain.delivery import DeliveryReport, DeliveryStatus
from domain.errors import conflict, invalid
from domain.stages import dispatch
from domain.stages.common import conclude, happen, rating_window, require_operator, require_stage, transition
from domain.ticket import CallbackRecord, RatingRound, StageRating, TicketState
from domain.timeline import HOTLINE, REQUESTER, SYSTEM, EventKind, Step, unit
from domain.vocabulary import DEFAULTED_RATING, DISSATISFIED, ActorKind, Decision, RatingOption, Stage

# Whether a dissatisfied *final* rating is called back too (workflows/patches.py CALLBACK_AFTER_FINAL_RATING):
# asked only when it matters, because asking records the decision in the ticket's history.
CallsBackFinal = Callable[[], bool]


# -- checks ------------------------------------------------------------------------------------------------
def read_rating(raw: list[str]) -> StageRating:
    """A24: exactly one valid option counts; none, several or an invalid one = basically satisfied."""
    valid = {o.value for o in RatingOption}
    if len(raw) == 1 and raw[0] in valid:
        return StageRating(option=RatingOption(raw[0]))
    why = "no answer" if not raw else "several options" if len(raw) > 1 else "invalid option"
    return StageRating(option=DEFAULTED_RATING, defaulted_because=why)


def check_rate(state: TicketState, cmd: Rate, now: datetime) -> None:
    rating = state.current_rating()
    if rating is None:
        raise conflict("NO_RATING_REQUESTED", "nothing to rate yet", "A24")
    # The specific reasons first: a given or expired rating has already moved the ticket on.
    expired_unanswered = rating.rated_at is not None and rating.rated_at >= rating.expires_at
    # A24: a window that waits for the request's receipt has not started, so it cannot have closed.
    if (now >= rating.expires_at and not rating.awaiting_receipt) or expired_unanswered:
        raise conflict("RATING_WINDOW_CLOSED", "the 24-hour rating window has closed", "A24")
    if rating.rated_at is not None:
        raise conflict("ALREADY_RATED", "this rating was already given", "A24")
    require_stage(state, {Stage.RATING}, "rate", "A24")


def check_callback(state: TicketState, cmd: RecordCallback) -> None:
    require_operator(cmd.actor)
    require_stage(state, {Stage.CALLBACK}, "record a callback", "A24")


def check_redo(state: TicketState, cmd: DecideRedo) -> None:
    require_operator(cmd.actor)
    callback = state.callbacks[-1] if state.callbacks else None
    if callback is None:
        require_stage(state, {Stage.CALLBACK}, "decide on a redo", "A24")
        raise conflict("CALLBACK_FIRST", "call the requester back before deciding on a redo", "A24")
    if cmd.approve and state.redo_count >= state.rule_set.max_redos:
        raise conflict("REDO_ALREADY_USED", "a ticket is redone once only", "A24")
    if cmd.approve and not callback.wants_redo:
        raise conflict("REQUESTER_DID_NOT_ASK", "a redo follows the requester's request", "A24")
    if callback.redo_decision != Decision.PENDING:
        raise conflict("REDO_ALREADY_DECIDED", "the redo was already decided", "A24")
    require_stage(state, {Stage.CALLBACK}, "decide on a redo", "A24")
    if not cmd.approve:
        return
    rating = state.current_rating()
    if rating is None or rating.handling is None or rating.handling.option not in DISSATISFIED:
        raise conflict("HANDLING_NOT_DISSATISFIED", "a redo follows a dissatisfied handling rating", "A24")
    if state.lead_unit is None and not cmd.lead_unit and state.judged_by(A24_REDO_NAMES_ITS_UNIT):
        # A12: the hotline answered it on the spot; what it could not answer goes to a unit.
        raise invalid(
            "REDO_UNIT_REQUIRED", "the hotline answered this itself: name the unit for the redo", "A24"
        )
    if (
        state.lead_unit is not None
        and cmd.lead_unit
        and cmd.lead_unit != state.lead_unit
        and state.judged_by(A24_REDO_GOES_BACK)
    ):
        raise invalid("REDO_GOES_BACK_TO_THE_UNIT", f"a redo goes back to {state.lead_unit}", "A24")


# -- transitions -------------------------------------------------------------------------------------------
@transition
def rate(state: TicketState, cmd: Rate, step: Step, calls_back_final: CallsBackFinal) -> None:
    rating = state.current_rating()
    assert rating is not None
    rating.acceptance, rating.handling = read_rating(cmd.acceptance), read_rating(cmd.handling)
    rating.resolved = cmd.resolved
    rating.rated_at = step.now
    happen(
        state,
        step,
        EventKind.RATED,
        Actor(kind=ActorKind.REQUESTER, id="requester"),
        "A24",
        [HOTLINE],
        round=rating.round,
        acceptance=rating.acceptance.model_dump(),
        handling=rating.handling.model_dump(),
        resolved=cmd.resolved,
        via=cmd.via,
    )
    _after_rating(state, step, rating, calls_back_final)


@transition
def rating_window_passes(state: TicketState, step: Step, calls_back_final: CallsBackFinal) -> None:
    """A24: no answer within the window reads as basically satisfied."""
    rating = state.current_rating()
    if state.stage != Stage.RATING or rating is None or rating.rated_at is not None:
        return
    if rating.awaiting_receipt or step.now < rating.expires_at:
        return
    rating.acceptance = rating.handling = read_rating([])
    # Stamped with the end of the window, however late the worker got to it.
    rating.rated_at = rating.expires_at
    happen(
        state,
        step,
        EventKind.RATING_DEFAULTED,
        SYSTEM,
        "A24",
        [HOTLINE],
        stamped_at=rating.expires_at,
        round=rating.round,
    )
    _after_rating(state, step, rating, calls_back_final)


def _after_rating(
    state: TicketState, step: Step, rating: RatingRound, calls_back_final: CallsBackFinal
) -> None:
    """A24: every dissatisfied rating is called back (the final one too, since CALLBACK_AFTER_FINAL_RATING)."""
    dissatisfied = any(
        r is not None and r.option in DISSATISFIED for r in (rating.acceptance, rating.handling)
    )
    if dissatisfied and (not rating.final or calls_back_final()):
        call_back(state, step, rating)
    else:
        conclude(state, step)


@transition
def record_callback(state: TicketState, cmd: RecordCallback, step: Step) -> None:
    state.callbacks.append(
        CallbackRecord(
            at=step.now,
            by=cmd.actor.id,
            channel=cmd.channel,
            reached=cmd.reached,
            wants_redo=cmd.wants_redo,
            note=cmd.note,
        )
    )
    happen(
        state,
        step,
        EventKind.CALLBACK_RECORDED,
        cmd.actor,
        "A24",
        [],
        channel=cmd.channel,
        reached=cmd.reached,
        wants_redo=cmd.wants_redo,
    )
    rating = state.current_rating()
    # A24: after the final rating the callback closes the matter; there is no second redo.
    if not cmd.wants_redo or (rating is not None and rating.final):
        conclude(state, step)


def redo_plan(state: TicketState, cmd: DecideRedo, now: datetime) -> list[PlanItem]:
    """A24: the same limit as the original, once: planned before the redo is ordered."""
    return clocks.receipt_plan(state, now, redo=True) if cmd.approve else []


@transition
def decide_redo(
    state: TicketState, cmd: DecideRedo, step: Step, planned: Mapping[str, PlannedDeadline]
) -> None:
    callback = state.callbacks[-1]
    callback.redo_reason = cmd.reason
    if not cmd.approve:
        callback.redo_decision = Decision.REFUSED
        happen(state, step, EventKind.REDO_REFUSED, cmd.actor, "A24", [REQUESTER], reason=cmd.reason)
        conclude(state, step)
        return
    callback.redo_decision = Decision.APPROVED
    state.redo_count += 1
    state.outcome = None
    # A24: back to the lead unit; a consultation answered on the spot (A12) to the unit named.
    lead = state.lead_unit or cmd.lead_unit or ""
    happen(state, step, EventKind.REDO_ORDERED, cmd.actor, "A24", [unit(lead)], reason=cmd.reason)
    # A24: the same limit as the original, once, and no extension.
    dispatch.receive(
        state, step, planned, lead=lead, co_units=state.co_units, actor=cmd.actor, redo=True, note="redo"
    )


# -- A24: the rating request's receipt -----------------------------------------------------------------------
REACHED = frozenset({DeliveryStatus.SENT, DeliveryStatus.ACKNOWLEDGED})
UNDELIVERABLE = frozenset({DeliveryStatus.DEAD_LETTERED, DeliveryStatus.NO_CHANNEL})


@transition
def request_delivered(state: TicketState, report: DeliveryReport, step: Step) -> None:
    """A24 「自收到满意度评价信息之日起24小时内」: the window runs from the receipt of the rating request (the
    gateway's acceptance, or the requester's own confirmation). A request that cannot be delivered is not read
    as basically satisfied: it is flagged, and the hotline calls the requester back and decides."""
    rating = state.current_rating()
    if rating is None or not rating.awaiting_receipt or report.recipient != REQUESTER:
        return
    if report.event_id != _request_event_id(state, rating.round):
        return
    if report.status in REACHED:
        rating.awaiting_receipt, rating.reached_at = False, report.at
        rating.expires_at = report.at + rating_window(state)
        happen(
            state,
            step,
            EventKind.RATING_REQUEST_RECEIVED,
            SYSTEM,
            "A24",
            [],
            round=rating.round,
            reached_at=report.at,
            expires_at=rating.expires_at,
        )
    elif report.status in UNDELIVERABLE and state.stage == Stage.RATING:
        rating.awaiting_receipt, rating.undeliverable = False, True
        happen(
            state,
            step,
            EventKind.RATING_REQUEST_UNDELIVERABLE,
            SYSTEM,
            "A24",
            [HOTLINE],
            round=rating.round,
            status=report.status,
            detail=report.detail,
        )
        call_back(state, step, rating)


def _request_event_id(state: TicketState, round_no: int) -> str | None:
    return next(
        (
            e.id
            for e in reversed(state.timeline)
            if e.kind == EventKind.RATING_REQUESTED and e.data.get("round") == round_no
        ),
        None,
    )


def call_back(state: TicketState, step: Step, rating: RatingRound) -> None:
    """A24: the hotline calls the requester back (a dissatisfied rating, or a request that never reached them)."""
    state.stage = Stage.CALLBACK
    happen(
        state, step, EventKind.CALLBACK_DUE, SYSTEM, "A24", [HOTLINE], round=rating.round, final=rating.final
    )
