"""Response views: the ticket as staff see it, its list line and the registration's answer (instants in +08:00,
api/views.py). The requester's view is api/public_schemas.py; request bodies are api/bodies.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from api.privacy import Relation, RequesterView, requester_view
from api.repeats import RepeatCandidate
from api.views import View, label_of
from domain.clocks import LimitBasis, basis_of
from domain.commands import DispatchAdvice, FileTerminationNotice, KnowledgePoint
from domain.joining import JoinedResult
from domain.ticket import (
    SIGN_FOR,
    Assignment,
    CallbackRecord,
    Clock,
    ClosureRecord,
    Contact,
    Coordination,
    ExtensionRecord,
    RatingRound,
    ReturnRecord,
    Supplement,
    TicketState,
    TimelineEvent,
)
from domain.vocabulary import (
    OPEN_STAGES,
    Card,
    Category,
    Channel,
    NotAcceptedReason,
    Outcome,
    Stage,
)


# -- provisional, as shown ---------------------------------------------------------------------------------
def provisional_shown(stage: Stage, clocks: Iterable[tuple[bool, object]]) -> bool:
    """Counting time: a limit is provisional while it still runs on a year whose notice is not loaded. A met
    limit, and every limit of a ticket no longer open (concluded, not accepted), is settled: it is never
    recomputed, so it is not shown provisional. `clocks`: (provisional, met_at) per limit.

    TicketState.provisional() (domain/ticket.py) should say the same; until it does, the views decide here."""
    return stage in OPEN_STAGES and any(provisional and met_at is None for provisional, met_at in clocks)


def state_provisional(state: TicketState) -> bool:
    return provisional_shown(state.stage, ((c.provisional, c.met_at) for c in state.clocks.values()))


def row_provisional(stage: str, state: dict[str, Any] | None) -> bool:
    """The same for a read-model row, from the state it stores (TicketState.model_dump(mode="json"))."""
    clocks = ((state or {}).get("clocks") or {}).values()
    return provisional_shown(Stage(stage), ((bool(c.get("provisional")), c.get("met_at")) for c in clocks))


# -- the ticket, as staff see it -----------------------------------------------------------------------
class EndedOutside(View):
    """Set by the reconciler (activities/reconcile.py) from the read model, for a ticket and its list line."""

    ended_outside: str | None = Field(
        None,
        description="The ticket's workflow was ended outside the service (`terminated`, `failed`, `timed_out`, "
        "`canceled`: from Temporal UI or the CLI): its stage is then `archived`, it takes no more actions and "
        "its limits no longer run.",
    )
    ended_outside_at: datetime | None = None


class TicketView(EndedOutside):
    """A ticket as the workflow holds it now, with the requester shown as the caller may see it (A32)."""

    ticket_no: str = Field(examples=["GD12345-20261126-3F9A0C1B"])
    relation: Relation = Field(description="How you stand to this ticket; decides what you see (A32).")
    stage: Stage
    outcome: Outcome | None
    card: Card = Field(description="A22: the worst card of the ticket's time limits.")
    category: Category
    channel: Channel
    emergency: bool
    linkage: list[str]
    requester: RequesterView
    content: str
    request_points: list[str] = Field(description="A20: what a closure must answer point by point.")
    location: str
    domain: str
    attachments: list[str]
    received_at: datetime
    repeat_of: str | None
    dispatch_advice: DispatchAdvice | None = Field(
        None, description="A14: the catalogue's suggested lead at registration and whether it was overridden."
    )
    new_facts: str = Field(
        description="A18: the new facts or reasons the operator recorded for a matter raised again."
    )
    rule_set: str = Field(description="The rule set the ticket keeps for life (A17, A33), `id@version`.")
    rule_set_lapsed: bool = Field(description="A35: registered after its rule set's validity ended.")
    written_answer_requested_at: datetime | None = Field(description="A20: a written answer asked for.")
    lead_unit: str | None
    co_units: list[str]
    forwarded_to: str | None = Field(description="A6: the sub-unit the lead forwarded the ticket to.")
    sign_for_due_at: datetime | None
    answer_due_at: datetime | None = Field(description="A17: when the answer is due (after any extension).")
    provisional: bool = Field(
        description="A limit still running counts days of a year whose holiday notice is not loaded (its "
        "statutory holidays counted, 调休 unknown); never for a met limit or a concluded ticket."
    )
    clocks: dict[str, Clock] = Field(
        description="Each time limit with its due and red instants and card (A22)."
    )
    limit_basis: dict[str, LimitBasis] = Field(
        description="Who set each limit in `clocks`: `statutory`, the regulation itself (A14, A17), or "
        "`office_set`, the hotline office where the regulation fixes none (the sign-for limit); the bulletin "
        "counts their cards apart (A26)."
    )
    assignments: list[Assignment]
    returns: list[ReturnRecord]
    extensions: list[ExtensionRecord]
    closures: list[ClosureRecord]
    contacts: list[Contact]
    requester_informed_at: datetime | None
    coordinations: list[Coordination]
    ratings: list[RatingRound]
    callbacks: list[CallbackRecord]
    redo_count: int
    termination: FileTerminationNotice | None
    supplements: list[Supplement]
    not_accepted_reason: NotAcceptedReason | None
    not_accepted_basis: str
    answered_at_once: str | None
    answered_from: KnowledgePoint | None = Field(
        description="A12 + A29: the knowledge point, and the version of its text, the answer on the spot "
        "relied on (`/knowledge-points/{id}/versions`)."
    )
    concluded_at: datetime | None
    archive_at: datetime | None
    joined_to: str | None = Field(description="并案 (A10.6): the earlier ticket this one was joined to.")
    joined: list[str] = Field(description="并案: the tickets joined to this one; each is told its result.")
    joined_result: JoinedResult | None = Field(description="并案: the result the earlier ticket passed on.")
    timeline: list[TimelineEvent]
    revision: int

    stage_label: ClassVar[Any] = label_of("stage")
    outcome_label: ClassVar[Any] = label_of("outcome")
    card_label: ClassVar[Any] = label_of("card")
    category_label: ClassVar[Any] = label_of("category")
    not_accepted_reason_label: ClassVar[Any] = label_of("not_accepted_reason")

    @classmethod
    def of(cls, state: TicketState, relation: Relation, *, unmasked: bool) -> TicketView:
        reg, assignment = state.registration, state.assignment
        sign_for = state.clocks.get(SIGN_FOR)
        carried = state.model_dump(
            include={
                "ticket_no",
                "stage",
                "outcome",
                "clocks",
                "assignments",
                "returns",
                "extensions",
                "closures",
                "contacts",
                "requester_informed_at",
                "coordinations",
                "ratings",
                "callbacks",
                "redo_count",
                "termination",
                "supplements",
                "not_accepted_reason",
                "not_accepted_basis",
                "answered_at_once",
                "answered_from",
                "concluded_at",
                "archive_at",
                "joined_to",
                "joined",
                "joined_result",
                "timeline",
                "revision",
                "written_answer_requested_at",
            }
        )
        return cls(
            **carried,
            relation=relation,
            card=state.card(),
            category=reg.category,
            channel=reg.channel,
            emergency=reg.emergency,
            linkage=list(reg.linkage),
            requester=requester_view(reg.requester, unmasked=unmasked),
            content=reg.content,
            request_points=reg.points(),
            location=reg.location,
            domain=reg.domain,
            attachments=list(reg.attachments),
            received_at=reg.received_at,
            repeat_of=reg.repeat_of,
            dispatch_advice=reg.dispatch_advice,
            new_facts=reg.new_facts,
            rule_set=state.rule_set.key,
            rule_set_lapsed=state.rule_set_lapsed(),
            lead_unit=state.lead_unit,
            co_units=state.co_units,
            forwarded_to=assignment.forwarded_to if assignment else None,
            sign_for_due_at=sign_for.due_at if sign_for else None,
            answer_due_at=state.answer_due_at(),
            provisional=state_provisional(state),
            limit_basis={name: basis_of(name) for name in state.clocks},
        )


class TicketSummary(EndedOutside):
    """One line of a queue or list, from the SQL read model; the requester is always masked (A32)."""

    ticket_no: str
    category: Category
    channel: Channel
    emergency: bool
    stage: Stage
    outcome: Outcome | None
    card: Card
    lead_unit: str | None
    co_units: list[str]
    forwarded_to: str | None
    sign_for_due_at: datetime | None
    answer_due_at: datetime | None
    provisional: bool
    registered_at: datetime
    concluded_at: datetime | None
    updated_at: datetime = Field(description="When this line last changed: the cursor for `updated_since`.")
    joined_to: str | None = Field(
        None, description="并案 (A10.6): the earlier ticket this one was joined to."
    )
    requester: RequesterView
    location: str
    content: str

    stage_label: ClassVar[Any] = label_of("stage")
    outcome_label: ClassVar[Any] = label_of("outcome")
    card_label: ClassVar[Any] = label_of("card")
    category_label: ClassVar[Any] = label_of("category")


class TicketPage(View):
    total: int = Field(description="How many tickets match, over all pages, counted up to 1,000.")
    total_capped: bool = Field(False, description="More than 1,000 match: `total` stopped counting there.")
    limit: int
    offset: int
    items: list[TicketSummary]


# -- registration ---------------------------------------------------------------------------------------
class RegistrationCreated(View):
    """Shown once: only digests of the secret and the code are kept (A19, A24)."""

    ticket_no: str = Field(examples=["GD12345-20261126-3F9A0C1B"])
    workflow_id: str = Field(examples=["ticket-GD12345-20261126-3F9A0C1B"])
    received_at: datetime
    access_secret: str = Field(
        description="A19: give it to the requester; with the ticket number it opens "
        "`GET /public/tickets/{ticket_no}` (header `X-Access-Secret`)."
    )
    rating_code: str = Field(
        description="A24: the requester's rating code for "
        "`POST /public/tickets/{ticket_no}/rating` (header `X-Rating-Code`)."
    )
    progress_path: str = Field(examples=["/public/tickets/GD12345-20261126-3F9A0C1B"])
    rating_path: str = Field(examples=["/public/tickets/GD12345-20261126-3F9A0C1B/rating"])
    progress_page: str = Field(
        description="A19: the requester's page, for the SMS or to read out: `/t/<token>`, nothing else in "
        "the URL; put the hotline's public address in front. Valid for 90 days.",
        examples=["/t/3q2-Zx9LrT0cVb8mWn4aYs1kPe7uHd6J"],
    )
    caller_restricted_until: datetime | None = Field(
        None,
        description="A11: the requester's number is restricted until then (shown to the operator taking the "
        "call; a phone request is then not accepted, an emergency or a written request still is).",
    )
    repeat_candidates: list[RepeatCandidate] = Field(
        default_factory=list,
        description="A10.6 (operators): earlier tickets this one may repeat, likely repeats first; the same "
        "list as `POST /registrations/repeat-candidates`.",
    )
    ticket: TicketView | None = Field(
        None,
        description="The ticket as opened: dispatched with its deadlines, or not accepted (A11, A18). Null "
        "if the workflow has not opened it within the timeout (read it later with `GET /tickets/{no}`).",
    )
