"""Every limit a ticket keeps, and its lifecycle, as one table (A14, A17, A20, A22, A24).

A limit is planned at a receipt (a dispatch, an approved return, a designation of another unit), met by the
events that answer it, and stopped when the ticket concludes. Adding a limit — a supervision order's, the
hotline's own review limit — is one entry here; the transitions read the table, never a list of names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.commands import Registration
from domain.deadlines import PlanItem, PlannedDeadline
from domain.rulesets import Period, RuleSet
from domain.ticket import (
    ANSWER,
    HANDLE,
    RETURN_WINDOW,
    SIGN_FOR,
    SURVEY_START_WINDOW,
    Clock,
    TicketState,
)
from domain.timeline import HOTLINE, SYSTEM, EventKind, Step, record, unit
from domain.vocabulary import Card


class ChargedTo(StrEnum):
    """Whose card a limit turns: the unit holding the ticket (A22), or the hotline office's own (A23's
    linkage acknowledgement, the office's reviews, its callbacks and its coordinations)."""

    LEAD_UNIT = "lead_unit"
    HOTLINE = "hotline"


class LimitBasis(StrEnum):
    """Who set a limit (A22 cards both, A26 reports them apart): the regulation itself (A14, A17 and its
    emergency limit A17.3), or the hotline office, where the regulation fixes none (the sign-for limit, the
    rule set's own values). A unit sees which of its cards the regulation imposed."""

    STATUTORY = "statutory"  # 法定时限
    OFFICE_SET = "office_set"  # 热线自定时限


@dataclass(frozen=True)
class ClockSpec:
    name: str
    rule: str
    # The limit for this ticket, or None where it has none (HANDLE outside emergencies).
    period: Callable[[RuleSet, Registration], Period | None]
    # A limit with its own card, kept in `state.clocks`; a window (False) lives on the assignment instead.
    carded: bool = True
    # Planned afresh at every receipt; a redo (A24) plans only the limits that restart on a redo.
    planned_at_receipt: bool = True
    restarts_on_redo: bool = False
    # A new receipt keeps this limit as it stands (one that binds whoever holds the ticket).
    survives_redispatch: bool = False
    met_by: frozenset[EventKind] = frozenset()
    reopened_by: frozenset[EventKind] = frozenset()
    charged_to: ChargedTo = ChargedTo.LEAD_UNIT
    # Office-set unless the regulation names the limit: a card is called statutory only where a rule says so.
    basis: LimitBasis = LimitBasis.OFFICE_SET


CLOCKS: tuple[ClockSpec, ...] = (
    # The office's own limit for signing for a ticket (the regulation fixes none; A17.3 for emergencies).
    ClockSpec(
        SIGN_FOR,
        "A17",
        lambda rs, reg: rs.sign_for_limit(reg.emergency),
        met_by=frozenset({EventKind.SIGNED_FOR}),
        basis=LimitBasis.OFFICE_SET,
    ),
    # A17.3: an emergency is handled within 2 hours.
    ClockSpec(
        HANDLE,
        "A17.3",
        lambda rs, reg: rs.emergency_handle if reg.emergency else None,
        met_by=frozenset({EventKind.EMERGENCY_HANDLED}),
        basis=LimitBasis.STATUTORY,
    ),
    # A17.1–A17.3: handled and answered. A24: a redo has the same limit again; A20: a closure sent back
    # reopens it, still counting from the first receipt.
    ClockSpec(
        ANSWER,
        "A17",
        lambda rs, reg: rs.answer_limit(reg.category, reg.emergency),
        restarts_on_redo=True,
        met_by=frozenset(
            {
                EventKind.CLOSURE_APPLIED,
                EventKind.FOUND_NOT_ACCEPTABLE,
                EventKind.TERMINATION_NOTICE_FILED,
                EventKind.TERMINATION_APPLIED,
            }
        ),
        reopened_by=frozenset({EventKind.CLOSURE_SENT_BACK, EventKind.TERMINATION_REFUSED}),
        basis=LimitBasis.STATUTORY,
    ),
    # A14.1: a return is applied for within 1 WD of receipt.
    ClockSpec(
        RETURN_WINDOW,
        "A14.1",
        lambda rs, reg: rs.return_window,
        carded=False,
        restarts_on_redo=True,
        basis=LimitBasis.STATUTORY,
    ),
    # A14.3: a site survey starts within 1 WD of receipt.
    ClockSpec(
        SURVEY_START_WINDOW,
        "A14.3",
        lambda rs, reg: rs.survey_start_window,
        carded=False,
        restarts_on_redo=True,
        basis=LimitBasis.STATUTORY,
    ),
)
SPECS: Mapping[str, ClockSpec] = {spec.name: spec for spec in CLOCKS}
CARDED = tuple(spec.name for spec in CLOCKS if spec.carded)
# A26: the carded limits the regulation imposes; the reports count their cards apart from the office's.
STATUTORY_CARDED = tuple(spec.name for spec in CLOCKS if spec.carded and spec.basis == LimitBasis.STATUTORY)
# A22: a concluded ticket's limits stop; their cards freeze as they stand.
STOPS_EVERY_CLOCK = frozenset({EventKind.CONCLUDED, EventKind.NOT_ACCEPTED, EventKind.JOINED_TO})


def receipt_periods(state: TicketState, *, redo: bool) -> dict[str, Period]:
    """The limits a new receipt plans, in the table's order."""
    rs, reg = state.rule_set, state.registration
    periods = {}
    for spec in CLOCKS:
        if not (spec.restarts_on_redo if redo else spec.planned_at_receipt):
            continue
        period = spec.period(rs, reg)
        if period is not None:
            periods[spec.name] = period
    return periods


def receipt_plan(state: TicketState, now: datetime, *, redo: bool) -> list[PlanItem]:
    return [PlanItem(name=n, anchor_at=now, period=p) for n, p in receipt_periods(state, redo=redo).items()]


def clocks_at_receipt(
    state: TicketState, now: datetime, planned: Mapping[str, PlannedDeadline], *, redo: bool
) -> dict[str, Clock]:
    """The ticket's clocks after a receipt: those the receipt planned, and those it keeps. A redo keeps the
    earlier, met limits for the record; any receipt keeps a limit that survives re-dispatch."""
    periods = receipt_periods(state, redo=redo)
    kept = {
        name: clock
        for name, clock in state.clocks.items()
        if name not in periods and (redo or _spec(name).survives_redispatch)
    }
    fresh = {
        name: Clock(
            name=name,
            period=periods[name],
            anchor_at=now,
            due_at=p.due_at,
            red_at=p.red_at,
            provisional=p.provisional,
        )
        for name, p in planned.items()
        if name in periods and _spec(name).carded
    }
    return kept | fresh


def on_event(state: TicketState, kind: EventKind, at: datetime) -> None:
    """Apply the table to one fact: meet, reopen or stop the limits it concerns."""
    for name, clock in state.clocks.items():
        spec = _spec(name)
        if kind in STOPS_EVERY_CLOCK or kind in spec.met_by:
            if clock.met_at is None:
                clock.met_at = at
        elif kind in spec.reopened_by:
            clock.met_at = None


def running_deadlines(state: TicketState) -> dict[str, datetime]:
    """The limits still running and when each falls due, as a receipt's event records them."""
    return {name: clock.due_at for name, clock in state.clocks.items() if clock.met_at is None}


def plan_item(clock: Clock) -> PlanItem:
    return PlanItem(
        name=clock.name,
        anchor_at=clock.anchor_at,
        period=clock.period,
        after_limit=clock.after_limit,
        then=list(clock.then),
    )


# Kinds of office limit that settle what the office was asked (domain/stages/office.py starts them).
REVIEW_SETTLED = {
    "return_review": frozenset(
        {EventKind.RETURN_APPROVED, EventKind.RETURN_REFUSED, EventKind.RETURN_SUPERSEDED}
    ),
    "extension_review": frozenset({EventKind.EXTENSION_APPROVED, EventKind.EXTENSION_REFUSED}),
    "closure_review": frozenset(
        {
            EventKind.CLOSURE_APPROVED,
            EventKind.CLOSURE_SENT_BACK,
            EventKind.NOT_ACCEPTABLE_CONFIRMED,
            EventKind.TERMINATION_CONFIRMED,
            EventKind.TERMINATION_REFUSED,
        }
    ),
    "callback": frozenset({EventKind.CALLBACK_RECORDED}),
    "coordination": frozenset({EventKind.LEAD_DESIGNATED, EventKind.DESIGNATION_KEPT_RECEIPT}),
}


def _office_limit(family: str, rule: str, period: Callable[[RuleSet, Registration], Period]) -> ClockSpec:
    """The hotline office's own limit (the regulation fixes none; the rule set holds the office's value):
    charged to the hotline, kept by any re-dispatch (the office's duty does not move with the ticket)."""
    return ClockSpec(
        family,
        rule,
        period,
        planned_at_receipt=False,
        survives_redispatch=True,
        met_by=REVIEW_SETTLED[family],
        charged_to=ChargedTo.HOTLINE,
    )


# Limits of which a ticket may hold several, one per party or per application, named `<family>:<which>`.
FAMILIES: Mapping[str, ClockSpec] = {
    # A4, A6, A25: a supervision order (督办/催办), answered within the time the order sets (so no rule-set
    # period), charged to the unit holding the ticket; met by that order's answer only (several may run,
    # domain/stages/supervision.py), lapsed by a new receipt (the order bound the unit it was issued to).
    "supervision": ClockSpec("supervision", "A25", lambda rs, reg: None, planned_at_receipt=False),
    # The office's own limits: reviewing a return (A14.1), an extension (A17), a closure (A20; its finding
    # A14.4 and termination notice A18 alike); calling back a dissatisfied requester (A24); coordinating a
    # dispute (A14.5). Their periods are the rule set's (domain/rulesets.py), set by the office.
    "return_review": _office_limit("return_review", "A14.1", lambda rs, reg: rs.return_review),
    "extension_review": _office_limit("extension_review", "A17", lambda rs, reg: rs.extension_review),
    "closure_review": _office_limit("closure_review", "A20", lambda rs, reg: rs.closure_review),
    "callback": _office_limit("callback", "A24", lambda rs, reg: rs.callback),
    "coordination": _office_limit("coordination", "A14.5", lambda rs, reg: rs.coordination),
    # A23: a line acknowledges a hand-over in time, or the hotline's duty officer is alerted; charged to the
    # hotline, kept by any re-dispatch (the line's limit does not follow the lead unit).
    "linkage_ack": ClockSpec(
        "linkage_ack",
        "A23",
        lambda rs, reg: None,
        planned_at_receipt=False,
        survives_redispatch=True,
        charged_to=ChargedTo.HOTLINE,
    ),
}


def spec_of(name: str) -> ClockSpec:
    """The table's entry for a clock, a family member (`linkage_ack:110`) included."""
    return _spec(name)


def basis_of(name: str) -> LimitBasis:
    """Who set the limit a clock of this name keeps (LimitBasis)."""
    return _spec(name).basis


def _spec(name: str) -> ClockSpec:
    spec = SPECS.get(name) or FAMILIES.get(name.partition(":")[0])
    if spec is None:
        # A clock only a later version of this table knows: it keeps counting, untouched by what it
        # cannot name (and survives re-dispatch, so it never silently disappears).
        return ClockSpec(name, "", lambda rs, reg: None, survives_redispatch=True)
    return spec


def rule_of(name: str) -> str:
    """The rule a clock enforces, for what a person reads ("A17", "A23")."""
    return _spec(name).rule


# -- time passing (A17, A22) --------------------------------------------------------------------------------
def refresh_cards(state: TicketState, step: Step) -> None:
    """A22: a card turns at the boundary it crossed; the lead and the hotline are told of yellow and red."""
    for clock in state.clocks.values():
        card = clock.card_now(step.now)
        if card == clock.card:
            continue
        before, clock.card = clock.card, card
        # Stamped with the boundary the card crossed, however late the worker records it.
        crossed = {Card.YELLOW: clock.due_at, Card.RED: clock.red_at}.get(card, step.now)
        record(
            state,
            step,
            EventKind.CARD_CHANGED,
            SYSTEM,
            "A22",
            [unit(str(state.lead_unit)), HOTLINE] if card != Card.GREEN else [],
            stamped_at=crossed,
            clock=clock.name,
            before=before,
            after=card,
            due_at=clock.due_at,
            **({"charged_to": clock.charged_to} if clock.charged_to != ChargedTo.LEAD_UNIT else {}),
        )


def unpassed(state: TicketState, now: datetime) -> list[Clock]:
    """The limits still running and not yet passed: the ones a newly loaded calendar may move (A17)."""
    return [c for c in state.clocks.values() if c.met_at is None and c.due_at > now]


def replan_plan(state: TicketState, now: datetime) -> list[PlanItem]:
    return [plan_item(c) for c in unpassed(state, now)]


def replan(state: TicketState, step: Step, planned: Mapping[str, PlannedDeadline]) -> None:
    """A year's holidays were loaded: the limits not yet passed follow the new calendar."""
    changed = {}
    for clock in unpassed(state, step.now):
        before = (clock.due_at, clock.provisional)
        clock.replan(planned[clock.name])
        if before != (clock.due_at, clock.provisional):
            changed[clock.name] = {"due_at": clock.due_at, "provisional": clock.provisional}
    if changed:
        record(
            state,
            step,
            EventKind.DEADLINES_RECOMPUTED,
            SYSTEM,
            "A17",
            [unit(str(state.lead_unit))],
            clocks=changed,
        )
