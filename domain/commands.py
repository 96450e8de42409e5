"""What callers ask of a ticket: registration and every action, validated at the edge (A20, A14, A24 …)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.vocabulary import (
    ActorKind,
    Category,
    Channel,
    ContactChannel,
    ContactPurpose,
    DisputeKind,
    NotAcceptedReason,
    RefusalGround,
    ReturnKind,
)

# C0/C1 control characters other than tab and line breaks, and unpaired surrogates: no clerk writes them,
# PostgreSQL's text cannot hold NUL, and a surrogate cannot be encoded as UTF-8. Let in, either would make
# the ticket's projection fail on every retry; refused at the edge, the caller hears why (422).
#
# Only at the edge (the API's bodies, api/schemas.py body_model, and its own models through `Words`), not
# in the types below: workflows decode these models again on every replay, and a rule added to them
# would make a ticket that already holds such a character undecodable.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def writable(value: str) -> str:
    if _UNWRITABLE.search(value):
        raise ValueError("text may not contain control characters (other than tab and line breaks)")
    return value


# Free text whose length the model's own Field sets (the API's reference data: KB points, units, leaders).
Words = Annotated[str, AfterValidator(writable)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
UnitId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _plausible(value: datetime) -> datetime:
    # An instant the calendar can place in Asia/Shanghai: a year 9999 with a negative offset would
    # overflow in every deadline computation and make an activity retry for ever.
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not 2000 <= year <= 2200:
        raise ValueError("an instant between the years 2000 and 2200, with its offset")
    return value


def _distinct(values: list[str]) -> list[str]:
    # A unit named twice is one co-unit, a line named twice one linkage: kept once, in the order given.
    return list(dict.fromkeys(values))


Distinct = AfterValidator(_distinct)

# Every instant a caller gives: timezone-aware (a naive time cannot be placed in Asia/Shanghai) and plausible.
Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
TICKET_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(Command):
    kind: ActorKind
    id: ShortText
    name: ShortText = ""
    # For unit staff: the unit they act for (A14 "the unit"); the API fills it from the credential.
    unit_id: UnitId | None = None


class Requester(Command):
    name: ShortText = ""
    phone: ShortText = ""
    organisation: ShortText = ""
    # A32: travels through a dedicated channel, seen only by designated staff.
    confidential: bool = False


LINE_PATTERN = r"^(110|119|120|122)$"
Line = Annotated[str, StringConstraints(pattern=LINE_PATTERN)]


class LinkageSource(Command):
    """A23: a matter an emergency line (110, 119, 120, 122) handed to 12345, with that line's reference."""

    line: Line
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Registration(Command):
    """A2/A12: one ticket, whatever the channel. `received_at` is when the hotline received the request."""

    ticket_no: Annotated[str, StringConstraints(pattern=TICKET_NO_PATTERN)]
    channel: Channel
    category: Category
    # A17.3/A23: a matter on the emergency list: handled within 2 hours, concluded within 2 WD.
    emergency: bool = False
    # A23: emergency lines to link with (110 police, 119 fire, 120 ambulance, 122 traffic).
    linkage: Annotated[list[Line], Distinct] = Field(default_factory=list, max_length=4)
    # A23: the emergency-matter list's type (突发事项清单), if the operator chose one.
    matter_type: ShortText = ""
    # A23: a non-emergency matter a line handed over (channel `linkage`); the line is told the result.
    linkage_source: LinkageSource | None = None
    requester: Requester = Requester()
    content: Text = Field(..., min_length=1)
    # A20: a closure answers these point by point; default: the content is one point.
    request_points: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    ] = Field(default_factory=list, max_length=30)
    location: ShortText = ""
    domain: ShortText = ""
    attachments: list[Ref] = Field(default_factory=list, max_length=30)
    received_at: Instant
    registered_by: Actor
    rule_set_id: ShortText | None = None  # None: chosen by channel (A17.4/A17.5) or the city's
    # A18/A10.6: the earlier ticket of the same matter, if the operator knows one.
    repeat_of: Annotated[str, StringConstraints(pattern=TICKET_NO_PATTERN)] | None = None
    # Register and dispatch in one step (the common case for operators).
    dispatch_to: UnitId | None = None
    co_units: Annotated[list[UnitId], Distinct] = Field(default_factory=list, max_length=20)

    def points(self) -> list[str]:
        return list(self.request_points) or [self.content]


class NotAccept(Command):
    """A13: the hotline tells the requester it is not accepted and why."""

    actor: Actor
    reason: NotAcceptedReason
    basis: Text = Field(..., min_length=1)


class AnswerAtOnce(Command):
    """A12: a consultation answered immediately from the knowledge base."""

    actor: Actor
    answer: Text = Field(..., min_length=1)
    knowledge_point_id: ShortText = ""


class Dispatch(Command):
    actor: Actor
    lead_unit: UnitId
    co_units: Annotated[list[UnitId], Distinct] = Field(default_factory=list, max_length=20)
    note: Text = ""


class ForwardToSubunit(Command):
    """A6: a tier-2 unit forwards the ticket to its own tier-3 sub-unit, which handles and reports upward.

    The API checks the sub-unit really is a descendant of the lead (the unit hierarchy lives in SQL)."""

    actor: Actor
    sub_unit: UnitId
    note: Text = ""


class SignFor(Command):
    actor: Actor


class EmergencyResponse(Command):
    """A17.3: the emergency was handled (on site / in hand) within 2 hours."""

    actor: Actor
    note: Text = Field(..., min_length=1)


class SignOff(Command):
    """A15: the unit's leader in charge or an authorised person signs every return."""

    name: ShortText = Field(..., min_length=1)
    title: ShortText = Field(..., min_length=1)


class SurveyStart(Command):
    """A14.3: the unit organises a site survey within 1 WD of receipt."""

    actor: Actor
    note: Text = ""


class SurveyRecord(Command):
    record_ref: Ref
    photo_refs: list[Ref] = Field(..., min_length=1, max_length=30)


class ApplyReturn(Command):
    """A14.1–A14.3. Reason and basis may be empty: such a return is refused automatically (A16.2)."""

    actor: Actor
    kind: ReturnKind
    reason: Text = ""
    basis: Text = ""
    suggested_unit: UnitId | None = None
    signed_off_by: SignOff
    # A14.2 identity withheld: what the requester must supply, listed once.
    missing_items: list[ShortText] = Field(default_factory=list, max_length=20)
    # A14.3: the survey record and photos.
    survey: SurveyRecord | None = None


class KnowledgePoint(Command):
    id: ShortText = Field(..., min_length=1)
    uploaded_at: Instant
    # A29 corrections rewrite a point in place: the version a refusal relies on dates from the last one.
    corrected_at: Instant | None = None

    def applicable_since(self) -> datetime:
        """A16.6 "适用知识点上传时间": when the point's current text entered the KB (its upload, or its
        last correction if later). A correction after registration means the hotline could not have
        answered with this text when the ticket came in."""
        return max(self.uploaded_at, self.corrected_at or self.uploaded_at)


class ReviewReturn(Command):
    actor: Actor
    return_id: ShortText
    approve: bool
    # Approved: the unit the ticket goes to (defaults to the suggested unit).
    redispatch_to: UnitId | None = None
    # Refused: one of A16.1–A16.7 with reasons (A16).
    ground: RefusalGround | None = None
    reason: Text = ""
    # A16.6: the knowledge point the refusal relies on.
    knowledge_point: KnowledgePoint | None = None
    hotline_could_not_answer_directly: bool = False


class RaiseDispute(Command):
    """A14.5: several units, contested jurisdiction or contested law -> coordination."""

    actor: Actor
    kind: DisputeKind
    units: Annotated[list[UnitId], Distinct] = Field(..., min_length=1, max_length=20)
    reason: Text = Field(..., min_length=1)


class Designation(Command):
    """A14.5: the hotline designates the lead; co-handling units must assist."""

    actor: Actor
    lead_unit: UnitId
    co_units: Annotated[list[UnitId], Distinct] = Field(default_factory=list, max_length=20)
    note: Text = ""


class ApplyExtension(Command):
    """A17: applied in time, with the reason; the requester is told why and until when."""

    actor: Actor
    reason: Text = Field(..., min_length=1)
    requester_told: bool


class Review(Command):
    actor: Actor
    approve: bool
    reason: Text = ""


class ContactAttempt(Command):
    """A20: the requester told the result, or two consecutive days of failed phone calls to tell it."""

    actor: Actor
    at: Instant
    channel: ContactChannel = ContactChannel.PHONE
    # A20 counts contacts made to tell the result; the A14 first contact that asks for details does not.
    purpose: ContactPurpose = ContactPurpose.RESULT
    reached: bool
    note: Text = ""


class PointAnswer(Command):
    point: Text = Field(..., min_length=1)
    answer: Text = Field(..., min_length=1)


class ApplyClosure(Command):
    """A20: point-by-point answer, when and how handled, the result and its legal/policy basis."""

    actor: Actor
    answers: list[PointAnswer] = Field(..., min_length=1, max_length=30)
    handled_at: Instant
    process: Text = Field(..., min_length=1)
    result: Text = Field(..., min_length=1)
    basis: Text = Field(..., min_length=1)
    # A20(2): a long-running matter states its progress and explains.
    long_running: bool = False
    progress: Text = ""
    written_answer_ref: Ref | None = None


class FindNotAcceptable(Command):
    """A14.4: the unit finds the request not acceptable and tells the requester why."""

    actor: Actor
    reason: NotAcceptedReason
    explanation: Text = Field(..., min_length=1)
    requester_told: bool
    material_refs: list[Ref] = Field(default_factory=list, max_length=30)


class FileTerminationNotice(Command):
    """A18: a written termination notice for a concluded matter raised again without new facts."""

    actor: Actor
    notice_ref: Ref
    prior_ticket_no: Annotated[str, StringConstraints(pattern=TICKET_NO_PATTERN)] | None = None
    served_at: Instant


class Rate(Command):
    """A24: the requester's answer, raw: several or invalid options are read as basically satisfied."""

    acceptance: list[ShortText] = Field(default_factory=list, max_length=10)
    handling: list[ShortText] = Field(default_factory=list, max_length=10)
    # A24 是否解决: whether the matter was resolved, as the requester sees it; optional, so an older client
    # (and a history recorded before the question) rates without it.
    resolved: bool | None = Field(
        None, description="是否解决: the requester says the matter was resolved (true) or not (false)."
    )
    via: ShortText = "link"


class RecordCallback(Command):
    """A24: the hotline calls the dissatisfied requester back."""

    actor: Actor
    channel: ContactChannel
    reached: bool
    wants_redo: bool = False
    note: Text = ""


class RecordConsultation(Command):
    """A9: a consultation meeting decided this major or difficult matter; the decision joins the ticket."""

    actor: Actor
    meeting: ShortText = Field(min_length=1, description="The meeting, e.g. its minutes' reference.")
    held_on: date
    decision: Text = Field(min_length=1)


class DecideRedo(Command):
    actor: Actor
    approve: bool
    reason: Text = ""
    # A12 + A24: a consultation the hotline answered itself has no unit to send the redo back to; an
    # approved redo of it names the unit that handles it. Otherwise the redo goes back to the lead.
    lead_unit: UnitId | None = None


class ApplySupplement(Command):
    """A21: new progress after closure."""

    actor: Actor
    reason: Text = Field(..., min_length=1)


class ReviewSupplement(Command):
    actor: Actor
    supplement_id: ShortText
    approve: bool
    reason: Text = ""


class SubmitSupplement(Command):
    actor: Actor
    supplement_id: ShortText
    content: Text = Field(..., min_length=1)
