"""What every stage shares: who may act, in which stages, and how a fact is recorded with its clocks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Concatenate, ParamSpec

from domain import clocks
from domain.changes import A24_WINDOW_FROM_RECEIPT
from domain.commands import Actor
from domain.errors import conflict, not_yours
from domain.ticket import Assignment, RatingRound, TicketState, TimelineEvent
from domain.timeline import HOTLINE, REQUESTER, SYSTEM, EventKind, Step, record
from domain.vocabulary import ActorKind, Stage

HANDLING_STAGES = frozenset({Stage.DISPATCHED, Stage.HANDLING})
AFTER_CLOSURE = frozenset({Stage.RATING, Stage.CALLBACK, Stage.CONCLUDED})

P = ParamSpec("P")


# -- who may act -------------------------------------------------------------------------------------
def require_operator(actor: Actor) -> None:
    if actor.kind != ActorKind.OPERATOR:
        raise not_yours("only the hotline office may do this")


def require_lead(state: TicketState, actor: Actor) -> str:
    """The lead unit, or the tier-3 sub-unit it forwarded the ticket to (A6), acts on the ticket."""
    assignment = state.assignment
    acting_units = {state.lead_unit, assignment.forwarded_to if assignment else None} - {None}
    if actor.kind != ActorKind.UNIT or actor.unit_id is None or actor.unit_id not in acting_units:
        raise not_yours("only the lead handling unit may do this")
    return actor.unit_id


def require_stage(
    state: TicketState, allowed: frozenset[Stage] | set[Stage], action: str, rule: str | None = None
) -> None:
    if state.stage not in allowed:
        raise conflict(
            "STAGE_FORBIDS_ACTION", f"cannot {action} while the ticket is {state.stage.value}", rule
        )


# -- recording ----------------------------------------------------------------------------------------
def transition(
    f: Callable[Concatenate[TicketState, P], None],
) -> Callable[Concatenate[TicketState, P], list[TimelineEvent]]:
    """A transition returns the events it recorded, whatever it delegated to on the way."""

    @functools.wraps(f)
    def recorded(state: TicketState, /, *args: P.args, **kwargs: P.kwargs) -> list[TimelineEvent]:
        mark = len(state.timeline)
        f(state, *args, **kwargs)
        return state.timeline[mark:]

    return recorded


def happen(
    state: TicketState,
    step: Step,
    kind: EventKind,
    actor: Actor | str,
    rule: str | None,
    notify: Sequence[str],
    /,
    **data: Any,
) -> TimelineEvent:
    """Record a fact, then let the clock table meet, reopen or stop the limits it concerns."""
    event = record(state, step, kind, actor, rule, notify, **data)
    clocks.on_event(state, kind, step.now)
    return event


def assignment_of(state: TicketState) -> Assignment:
    assignment = state.assignment
    assert assignment is not None
    return assignment


def back_to_handling(state: TicketState) -> None:
    state.stage = Stage.HANDLING if assignment_of(state).signed_for_at else Stage.DISPATCHED


# -- the ends every stage can reach ---------------------------------------------------------------------
def conclude(state: TicketState, step: Step) -> None:
    """A22: the limits stop (the clock table); A21: the ticket stays open for supplementary answers."""
    state.stage, state.concluded_at = Stage.CONCLUDED, step.now
    state.archive_at = step.now + timedelta(days=state.rule_set.supplement_window_days)
    happen(state, step, EventKind.CONCLUDED, SYSTEM, None, [HOTLINE], outcome=state.outcome)


def rating_window(state: TicketState) -> timedelta:
    """A24: how long the requester has to rate (24 natural hours in the city's rules)."""
    window = state.rule_set.rating_window
    return timedelta(hours=window.hours) if window.hours is not None else timedelta(days=1)


def request_rating(state: TicketState, step: Step) -> None:
    """A24: the requester rates within the window (24 hours by default); the second round is final."""
    length = rating_window(state)
    final = state.redo_count > 0 or len(state.ratings) >= 1
    expires_at: datetime = step.now + length
    # A24 (verdicts 3): sent by message, the window waits for the receipt (domain/stages/rating.py).
    awaiting = state.rating_by_message and state.judged_by(A24_WINDOW_FROM_RECEIPT)
    state.ratings.append(
        RatingRound(
            round=len(state.ratings) + 1,
            requested_at=step.now,
            expires_at=expires_at,
            final=final,
            awaiting_receipt=awaiting,
        )
    )
    state.stage = Stage.RATING
    happen(
        state,
        step,
        EventKind.RATING_REQUESTED,
        SYSTEM,
        "A24",
        [REQUESTER],
        round=len(state.ratings),
        expires_at=expires_at,
        final=final,
    )
