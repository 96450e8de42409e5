"""Request bodies and response views.

A request body is the domain command without the fields the server fills: the `actor` (always from the
credential), ids taken from the path, defaults such as "now". Bodies are derived from the commands in
domain/commands.py so a rule added there (a length, a required field) holds at the API at once; every
datetime in a body must carry its offset (a naive time has no instant, and would break the read model).
"""

from __future__ import annotations

from copy import copy
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from api.errors import invalid
from api.privacy import Relation, RequesterView, requester_view
from domain.commands import ApplyClosure, Command, FileTerminationNotice, Instant, PointAnswer, writable
from domain.ticket import (
    ANSWER,
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
    Card,
    Category,
    Channel,
    Decision,
    NotAcceptedReason,
    Outcome,
    Stage,
    SupplementStatus,
)

BODY_CONFIG = ConfigDict(extra="forbid", frozen=True)


def _aware(annotation: Any) -> Any:
    # The commands' own instant type: aware and plausible (domain/commands.py).
    if annotation is datetime:
        return Instant
    if get_origin(annotation) in (UnionType, Union) and datetime in get_args(annotation):
        return Instant | None
    return annotation


def body_model(
    command: type[Command],
    name: str,
    *,
    drop: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    add: dict[str, tuple[Any, Any]] | None = None,
    example: dict[str, Any] | None = None,
) -> type[BaseModel]:
    """The body for `command`: its fields minus `actor` and `drop`, `optional` ones defaulting to None
    (the server fills them), plus `add`. Datetimes must be timezone-aware."""
    fields: dict[str, Any] = {}
    for field_name, info in command.model_fields.items():
        if field_name == "actor" or field_name in drop:
            continue
        info = copy(info)
        annotation = _aware(info.annotation)
        if field_name in optional:
            # The field's constraints and validators (e.g. Instant's plausibility check) hold for a value,
            # not for the None that asks the server to fill it in.
            if info.metadata:
                annotation, info.metadata = Annotated[(annotation, *info.metadata)], []
            annotation, info.default, info.default_factory = annotation | None, None, None
        fields[field_name] = (annotation, info)
    fields.update(add or {})
    config = BODY_CONFIG | ({"json_schema_extra": {"examples": [example]}} if example else {})
    model: type[BaseModel] = create_model(
        name,
        __config__=config,
        __doc__=command.__doc__,
        # pydantic accepts its decorator proxies here; its stubs ask for plain callables.
        __validators__={"_writable": model_validator(mode="before")(_writable_body)},  # type: ignore[dict-item]
        **fields,
    )
    return model


def require_writable(data: Any) -> None:
    """`check_writable` for a body that is a domain model itself (a rule set): 422 INVALID_INPUT."""
    try:
        check_writable(data)
    except ValueError as err:
        raise invalid("INVALID_INPUT", str(err)) from None


def _writable_body(cls: type[BaseModel], data: Any) -> Any:
    """The generated bodies' validator (before their fields are read): 422 INVALID_INPUT through pydantic."""
    check_writable(data)
    return data


def check_writable(data: Any) -> None:
    """Every string a body carries, nested ones too, is text a clerk could write (domain.commands.writable):
    checked here, at the edge, and not in the domain models that workflows decode on replay."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            writable(value)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)


# -- the ticket, as staff see it -----------------------------------------------------------------------
class TicketView(BaseModel):
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
    rule_set: str = Field(description="The rule set the ticket keeps for life (A17, A33), `id@version`.")
    lead_unit: str | None
    co_units: list[str]
    forwarded_to: str | None = Field(description="A6: the sub-unit the lead forwarded the ticket to.")
    sign_for_due_at: datetime | None
    answer_due_at: datetime | None = Field(description="A17: when the answer is due (after any extension).")
    provisional: bool = Field(description="A deadline counts days of a year whose holidays are not loaded.")
    clocks: dict[str, Clock] = Field(
        description="Each time limit with its due and red instants and card (A22)."
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
    concluded_at: datetime | None
    archive_at: datetime | None
    timeline: list[TimelineEvent]
    revision: int

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
                "concluded_at",
                "archive_at",
                "timeline",
                "revision",
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
            rule_set=state.rule_set.key,
            lead_unit=state.lead_unit,
            co_units=state.co_units,
            forwarded_to=assignment.forwarded_to if assignment else None,
            sign_for_due_at=sign_for.due_at if sign_for else None,
            answer_due_at=state.answer_due_at(),
            provisional=state.provisional(),
        )


class TicketSummary(BaseModel):
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
    requester: RequesterView
    location: str
    content: str


class TicketPage(BaseModel):
    total: int = Field(description="How many tickets match, over all pages.")
    limit: int
    offset: int
    items: list[TicketSummary]


# -- registration ---------------------------------------------------------------------------------------
class RegistrationCreated(BaseModel):
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
    ticket: TicketView | None = Field(
        None,
        description="The ticket as opened: dispatched with its deadlines, or not accepted (A11, A18). Null "
        "if the workflow has not opened it within the timeout (read it later with `GET /tickets/{no}`).",
    )


# -- the requester's view (A19) ---------------------------------------------------------------------------
# A19: the requester follows the ticket by themself: besides what they were told (notify "requester"), the
# milestones of its handling: sent to a unit, taken up, passed down, sent back for a redo, ended. Which unit
# holds it is the unit's business with the requester (A14: it contacts them); the view names no unit.
PROGRESS_MILESTONES = frozenset(
    {"dispatched", "signed_for", "forwarded_to_subunit", "lead_designated", "redo_ordered", "concluded"}
)


class ProgressEvent(BaseModel):
    at: datetime
    kind: str = Field(examples=["closure_approved"])
    rule: str | None


class PublicAnswer(BaseModel):
    """A20: the approved closure: point-by-point answers, how and when, the result and its basis."""

    answers: list[PointAnswer]
    handled_at: datetime
    process: str
    result: str
    basis: str
    long_running: bool
    progress: str


class PublicExtension(BaseModel):
    """A17: the requester is told why and until when."""

    extended_to: datetime | None
    reason: str


class PublicSupplement(BaseModel):
    """A21: a supplementary answer, once the hotline published it."""

    content: str
    published_at: datetime | None


class PublicRating(BaseModel):
    round: int
    expires_at: datetime
    rated: bool
    final: bool


class PublicTicketView(BaseModel):
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
    extension: PublicExtension | None
    answer: PublicAnswer | None
    supplements: list[PublicSupplement]
    rating: PublicRating | None = Field(description="A24: the rating round waiting for, or given by, you.")
    progress: list[ProgressEvent] = Field(
        description="The events you were told of and the milestones of the handling, oldest first (A19)."
    )

    @classmethod
    def of(cls, state: TicketState) -> PublicTicketView:
        approved = next(
            (
                c.closure
                for c in reversed(state.closures)
                if c.decision == Decision.APPROVED and c.closure is not None
            ),
            None,
        )
        extension = next((e for e in state.extensions if e.decision == Decision.APPROVED), None)
        rating = state.current_rating()
        answer_clock = state.clocks.get(ANSWER)
        return cls(
            ticket_no=state.ticket_no,
            stage=state.stage,
            category=state.registration.category,
            received_at=state.registration.received_at,
            answer_due_at=answer_clock.due_at if answer_clock else None,
            provisional=state.provisional(),
            outcome=state.outcome,
            not_accepted_reason=state.not_accepted_reason,
            not_accepted_basis=state.not_accepted_basis,
            answered_at_once=state.answered_at_once,
            extension=PublicExtension(extended_to=extension.extended_to, reason=extension.application.reason)
            if extension
            else None,
            answer=PublicAnswer(**_public_answer(approved)) if approved else None,
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
                if "requester" in e.notify or e.kind in PROGRESS_MILESTONES
            ],
        )


def _public_answer(closure: ApplyClosure) -> dict[str, Any]:
    return closure.model_dump(
        include={"answers", "handled_at", "process", "result", "basis", "long_running", "progress"}
    )
