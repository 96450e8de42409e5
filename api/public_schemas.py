"""The requester's view of a ticket (A19, A20, A24): the progress, the answer, the rating; never a staff member,
the requester masked nowhere because it is theirs. Staff views are api/schemas.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from api.schemas import state_provisional
from api.views import View, label_of
from domain.commands import ApplyClosure, PointAnswer
from domain.labels import event_label, rule_citation
from domain.ticket import (
    ANSWER,
    TicketState,
)
from domain.timeline import REQUESTER, EventKind
from domain.vocabulary import (
    Category,
    Decision,
    NotAcceptedReason,
    Outcome,
    Stage,
    SupplementStatus,
)

# -- the requester's view (A19) ---------------------------------------------------------------------------
# A19: the requester follows the ticket by themself: besides what they were told (notify "requester"), the
# milestones of its handling: sent to a unit, taken up, passed down, sent back for a redo, ended. Which unit
# holds it is the unit's business with the requester (A14: it contacts them); the view names no unit.
PROGRESS_MILESTONES = frozenset(
    {
        EventKind.DISPATCHED,
        EventKind.SIGNED_FOR,
        EventKind.FORWARDED_TO_SUBUNIT,
        EventKind.LEAD_DESIGNATED,
        EventKind.REDO_ORDERED,
        EventKind.CONCLUDED,
    }
)


class ProgressEvent(View):
    at: datetime
    kind: str = Field(examples=["closure_approved"])
    rule: str | None

    kind_label: ClassVar[Any] = label_of("kind", event_label)
    rule_label: ClassVar[Any] = label_of("rule", rule_citation)


class PublicAnswer(View):
    """A20: the approved closure: point-by-point answers, how and when, the result and its basis."""

    answers: list[PointAnswer]
    handled_at: datetime
    process: str
    result: str
    basis: str
    long_running: bool
    progress: str
    answered_by: str | None = Field(None, description="A20: the unit that answered, by name (no staff).")
    written_answer: str | None = Field(None, description="A20: the written answer's document reference.")


class PublicExtension(View):
    """A17: the requester is told why and until when."""

    extended_to: datetime | None
    reason: str


class PublicSupplement(View):
    """A21: a supplementary answer, once the hotline published it."""

    content: str
    published_at: datetime | None


class PublicRating(View):
    round: int
    expires_at: datetime
    rated: bool
    final: bool


class PublicTicketView(View):
    """What the requester may see of their own ticket: progress, limits and answers, no unit internals."""

    ticket_no: str
    stage: Stage
    category: Category
    received_at: datetime
    answer_due_at: datetime | None
    provisional: bool
    outcome: Outcome | None
    not_accepted_reason: NotAcceptedReason | None
    not_accepted_basis: str
    answered_at_once: str | None
    joined_to: str | None = Field(
        description="并案 (A10.6): your request was joined to this earlier ticket on the same matter; its "
        "result is yours (`joined_result`, and `answer` once it is closed)."
    )
    joined_result: str | None
    extension: PublicExtension | None
    answer: PublicAnswer | None
    supplements: list[PublicSupplement]
    rating: PublicRating | None = Field(description="A24: the rating round waiting for, or given by, you.")
    progress: list[ProgressEvent] = Field(
        description="The events you were told of and the milestones of the handling, oldest first (A19)."
    )

    stage_label: ClassVar[Any] = label_of("stage")
    outcome_label: ClassVar[Any] = label_of("outcome")
    category_label: ClassVar[Any] = label_of("category")
    not_accepted_reason_label: ClassVar[Any] = label_of("not_accepted_reason")

    @classmethod
    def of(cls, state: TicketState, unit_names: Mapping[str, str] | None = None) -> PublicTicketView:
        """`unit_names`: the units register's names (A20: the answering unit is named, never its staff). A
        joined ticket (并案) shows the earlier ticket's result once it has concluded."""
        approved = state.approved_closure() or (state.joined_result.answer if state.joined_result else None)
        extension = next((e for e in state.extensions if e.decision == Decision.APPROVED), None)
        rating = state.current_rating()
        answer_clock = state.clocks.get(ANSWER)
        return cls(
            ticket_no=state.ticket_no,
            stage=state.stage,
            category=state.registration.category,
            received_at=state.registration.received_at,
            answer_due_at=answer_clock.due_at if answer_clock else None,
            provisional=state_provisional(state),
            outcome=state.outcome,
            not_accepted_reason=state.not_accepted_reason,
            not_accepted_basis=state.not_accepted_basis,
            answered_at_once=state.answered_at_once,
            joined_to=state.joined_to,
            joined_result=state.joined_result.result if state.joined_result else None,
            extension=PublicExtension(extended_to=extension.extended_to, reason=extension.application.reason)
            if extension
            else None,
            answer=PublicAnswer(**_public_answer(approved, state, unit_names or {})) if approved else None,
            supplements=[
                PublicSupplement(content=s.content, published_at=s.published_at)
                for s in state.supplements
                if s.status == SupplementStatus.PUBLISHED
            ],
            rating=PublicRating(
                round=rating.round,
                expires_at=rating.expires_at,
                rated=rating.rated_at is not None,
                final=rating.final,
            )
            if rating
            else None,
            progress=[
                ProgressEvent(at=e.at, kind=e.kind, rule=e.rule)
                for e in state.timeline
                if REQUESTER in e.notify or e.kind in PROGRESS_MILESTONES
            ],
        )


def _public_answer(closure: ApplyClosure, state: TicketState, names: Mapping[str, str]) -> dict[str, Any]:
    unit_id = state.answering_unit()
    return closure.model_dump(
        include={"answers", "handled_at", "process", "result", "basis", "long_running", "progress"}
    ) | {
        "answered_by": names.get(unit_id) if unit_id else None,
        "written_answer": closure.written_answer.document_ref if closure.written_answer else None,
    }
