"""The ticket's timeline: one vocabulary of what can happen, who is told, and how a fact is recorded.

The workflow records every fact through `record`; the projection, the progress view and the reports read
events by these names, never by string literals. A payload model names the fields readers rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.commands import Actor
from domain.ticket import TicketState, TimelineEvent
from domain.vocabulary import ActorKind


class EventKind(StrEnum):
    # A2, A13, A12, A23: registration and the hotline's own answer
    REGISTERED = "registered"
    RULE_SET_ADOPTED = "rule_set_adopted"  # A33: the first dispatch brought the county's own rules
    EMERGENCY_LINKAGE = "emergency_linkage"
    NOT_ACCEPTED = "not_accepted"
    ANSWERED_AT_ONCE = "answered_at_once"
    CALL_TRANSFERRED = "call_transferred"  # A8: the call went on to a sub-centre
    # A23: linkage with the emergency lines 110/119/120/122 (workflows/linkage.py)
    LINKAGE_HANDED_OVER = "linkage_handed_over"
    LINKAGE_ACKNOWLEDGED = "linkage_acknowledged"
    LINKAGE_ESCALATED = "linkage_escalated"
    LINKAGE_UNREACHABLE = "linkage_unreachable"
    LINKAGE_RESULT_TOLD = "linkage_result_told"
    # A6, A14, A17.3: dispatch and first steps
    DISPATCHED = "dispatched"
    SIGNED_FOR = "signed_for"
    FORWARDED_TO_SUBUNIT = "forwarded_to_subunit"
    EMERGENCY_HANDLED = "emergency_handled"
    ASSISTANCE_RECORDED = "assistance_recorded"  # A14, A14.5: a co-unit's 协办意见
    # A14.1–A14.3, A16: returns and surveys
    SURVEY_STARTED = "survey_started"
    RETURN_APPLIED = "return_applied"
    OVERDUE_RETURN = "overdue_return"
    RETURN_REFUSED = "return_refused"
    RETURN_APPROVED = "return_approved"
    RETURN_SUPERSEDED = "return_superseded"
    # A14.5: disputes and coordination
    DISPUTE_RAISED = "dispute_raised"
    LEAD_DESIGNATED = "lead_designated"
    DESIGNATION_KEPT_RECEIPT = "designation_kept_receipt"
    # A17: extension
    EXTENSION_APPLIED = "extension_applied"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    # A20, A14.4, A18: contact, closure, termination
    CONTACT_ATTEMPTED = "contact_attempted"
    WRITTEN_ANSWER_REQUESTED = "written_answer_requested"  # A20: the requester wants it in writing
    REQUESTER_ANSWERED = "requester_answered"
    CLOSURE_APPLIED = "closure_applied"
    FOUND_NOT_ACCEPTABLE = "found_not_acceptable"
    NOT_ACCEPTABLE_CONFIRMED = "not_acceptable_confirmed"
    CLOSURE_APPROVED = "closure_approved"
    CLOSURE_SENT_BACK = "closure_sent_back"
    TERMINATION_NOTICE_FILED = "termination_notice_filed"  # verdicts 1–2: filed and concluded at once
    TERMINATION_APPLIED = "termination_applied"  # A18, verdicts 3: filed with 12345 for review
    TERMINATION_CONFIRMED = "termination_confirmed"
    TERMINATION_REFUSED = "termination_refused"
    # A24: rating, callback, redo
    RATING_REQUESTED = "rating_requested"
    RATED = "rated"
    RATING_DEFAULTED = "rating_defaulted"
    RATING_REQUEST_RECEIVED = "rating_request_received"  # A24: the window starts at the receipt
    RATING_REQUEST_UNDELIVERABLE = "rating_request_undeliverable"
    CALLBACK_DUE = "callback_due"
    CALLBACK_RECORDED = "callback_recorded"
    REDO_ORDERED = "redo_ordered"
    REDO_REFUSED = "redo_refused"
    # A9: a consultation meeting's decision
    CONSULTATION_DECIDED = "consultation_decided"
    # A21: supplementary answers, then the archive
    CONCLUDED = "concluded"
    REOPENED_FOR_SUPPLEMENT = "reopened_for_supplement"  # A21: an archived ticket takes a supplement
    SUPPLEMENT_APPLIED = "supplement_applied"
    SUPPLEMENT_PERMISSION_GRANTED = "supplement_permission_granted"
    SUPPLEMENT_PERMISSION_REFUSED = "supplement_permission_refused"
    SUPPLEMENT_SUBMITTED = "supplement_submitted"
    SUPPLEMENT_PUBLISHED = "supplement_published"
    SUPPLEMENT_REJECTED = "supplement_rejected"
    ARCHIVED = "archived"
    # A4, A6, A25: the hotline's supervision orders (督办/催办) and the unit's answers
    SUPERVISION_ORDERED = "supervision_ordered"
    SUPERVISION_ANSWERED = "supervision_answered"
    # A17, A22: time passing
    DEADLINES_RECOMPUTED = "deadlines_recomputed"
    CARD_CHANGED = "card_changed"
    # 并案 (A10.6): joined to an earlier ticket; the earlier one learns of it and, concluded, passes its
    # result on (A20), which the joined ticket tells its requester.
    JOINED_TO = "joined_to"
    TICKET_JOINED = "ticket_joined"
    JOINED_RESULTS_SENT = "joined_results_sent"
    JOINED_RESULT = "joined_result"
    # Reaching people: what became of a notice (domain/delivery.py record_report); it tells nobody.
    DELIVERY_REPORTED = "delivery_reported"


# A24: the events that settle a rating round (an answer, or the 24 hours passing without one).
RATING_SETTLED = (EventKind.RATED, EventKind.RATING_DEFAULTED)


# -- who is told ------------------------------------------------------------------------------------------
REQUESTER = "requester"
HOTLINE = "hotline"
SYSTEM = "system"


def unit(unit_id: str) -> str:
    return f"unit:{unit_id}"


def units(unit_ids: Sequence[str | None]) -> list[str]:
    return [unit(u) for u in unit_ids if u]


def linkage(line: str) -> str:
    """A23: an emergency line (110, 119, 120, 122)."""
    return f"linkage:{line}"


def actor_label(actor: Actor) -> str:
    return f"unit:{actor.unit_id}" if actor.kind == ActorKind.UNIT else f"{actor.kind.value}:{actor.id}"


# -- payloads readers rely on -----------------------------------------------------------------------------
class Payload(BaseModel):
    """The fields of an event's data that other code reads; extra fields travel too."""

    model_config = ConfigDict(extra="allow")

    @classmethod
    def key(cls, name: str) -> str:
        """A field's key, checked, for readers that address the JSON directly (SQL reports)."""
        if name not in cls.model_fields:
            raise KeyError(f"{cls.__name__} has no field {name}")
        return name


class Dispatched(Payload):
    lead_unit: str
    co_units: list[str]
    designated: bool
    redo: bool


class CardChanged(Payload):
    clock: str
    before: str
    after: str
    # Absent for the lead unit's limits; "hotline" for the office's own (A23 linkage acknowledgement).
    charged_to: str | None = None


class StageRatingPayload(Payload):
    option: str


class Rated(Payload):
    round: int
    acceptance: StageRatingPayload
    handling: StageRatingPayload
    # A24 是否解决: whether the requester says the matter was resolved; None when not asked (older clients,
    # ratings recorded before the question).
    resolved: bool | None = None


class SupervisionOrdered(Payload):
    order_id: str
    kind: str  # domain/vocabulary.py SupervisionKind
    unit: str  # the unit the order binds, the lead when it was issued
    reason: str
    respond_within: dict[str, Any]  # a Period: {"hours": …} or {"working_days": …}
    due_at: str


class SupervisionAnswered(Payload):
    order_id: str
    unit: str
    answer: str
    late: bool  # answered after the order's limit had passed (its card stays as it turned)


class DeliveryReported(Payload):
    event_id: str  # the event whose notice it was
    recipient: str
    delivery_id: str
    status: str  # domain/delivery.py DeliveryStatus


PAYLOADS: dict[EventKind, type[Payload]] = {
    EventKind.DISPATCHED: Dispatched,
    EventKind.CARD_CHANGED: CardChanged,
    EventKind.RATED: Rated,
    EventKind.DELIVERY_REPORTED: DeliveryReported,
    EventKind.SUPERVISION_ORDERED: SupervisionOrdered,
    EventKind.SUPERVISION_ANSWERED: SupervisionAnswered,
}


# -- recording ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """The instant a transition happens and where event ids come from (the workflow's replay-safe uuid4)."""

    now: datetime
    new_id: Callable[[], str]


def record(
    state: TicketState,
    step: Step,
    kind: EventKind,
    actor: Actor | str,
    rule: str | None,
    notify: Sequence[str],
    /,
    *,
    stamped_at: datetime | None = None,
    **data: Any,
) -> TimelineEvent:
    """Append one fact to the ticket's timeline. Positional-only, so data may carry its own `kind`."""
    payload = jsonable(data)
    if kind in PAYLOADS:
        PAYLOADS[kind].model_validate(payload)  # a writer that drops a field readers need fails its tests
    event = TimelineEvent(
        id=step.new_id(),
        seq=len(state.timeline) + 1,
        at=stamped_at or step.now,
        kind=kind.value,
        actor=actor if isinstance(actor, str) else actor_label(actor),
        rule=rule,
        data=payload,
        notify=list(notify),
    )
    state.timeline.append(event)
    return event


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Timeline data travels as JSON: enums to values, datetimes to ISO strings."""
    return {key: _plain(value) for key, value in data.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, dict | list):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(x) for x in value]
    return value
