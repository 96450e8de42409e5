"""What callers ask of a ticket: registration and every action, validated at the edge (A20, A14, A24 …)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from domain.command_base import Actor, Command
from domain.fields import (
    TICKET_NO_PATTERN,
    Distinct,
    Instant,
    Ref,
    ShortText,
    Text,
    UnitId,
    Words,
    writable,
)
from domain.follow_up_commands import (
    AnswerSupervisionOrder,
    ApplySupplement,
    DecideRedo,
    IssueSupervisionOrder,
    Rate,
    RecordCallback,
    RecordConsultation,
    ReviewSupplement,
    SubmitSupplement,
)
from domain.rulesets import RuleSet
from domain.vocabulary import (
    Category,
    Channel,
    ContactChannel,
    ContactPurpose,
    DispatchDecision,
    DisputeKind,
    NotAcceptedReason,
    RefusalGround,
    ReturnKind,
)

# The field types (domain/fields.py), the base (domain/command_base.py) and the follow-up commands
# (domain/follow_up_commands.py), named here too, where every caller has always imported them.
__all__ = [
    "TICKET_NO_PATTERN",
    "Actor",
    "AnswerSupervisionOrder",
    "ApplySupplement",
    "Command",
    "DecideRedo",
    "Distinct",
    "Instant",
    "IssueSupervisionOrder",
    "Rate",
    "RecordCallback",
    "RecordConsultation",
    "Ref",
    "ReviewSupplement",
    "ShortText",
    "SubmitSupplement",
    "Text",
    "UnitId",
    "Words",
    "writable",
]


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


class DispatchAdvice(Command):
    """A14 派单目录: the lead the dispatch catalogue suggested at registration and what the operator did with
    it (the lead chosen is the registration's `dispatch_to`). Set by the API from its stored suggestion."""

    suggestion_id: ShortText
    matter_code: ShortText
    area_id: ShortText | None = None
    suggested_lead: UnitId | None = None
    suggested_co_units: list[UnitId] = Field(default_factory=list, max_length=20)
    decision: DispatchDecision
    catalogue_revision: int = 0


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
    # A20 「若诉求人要求提供书面答复材料」: the requester asked for a written answer when registering.
    written_answer_requested: bool = False
    # A18: the new facts or reasons (新情况、新理由) the operator heard in a matter raised again; with them the
    # automatic A18 screen at registration (api/repeats.py) lets the request through.
    new_facts: Text = ""
    # Register and dispatch in one step (the common case for operators).
    dispatch_to: UnitId | None = None
    co_units: Annotated[list[UnitId], Distinct] = Field(default_factory=list, max_length=20)
    # A14: the catalogue's suggestion and the operator's choice; None for a registration made without one.
    dispatch_advice: DispatchAdvice | None = None
    # A8 「专业问题通过电话转接……转分中心办理」: the call was transferred to the sub-centre `dispatch_to`,
    # which handles the request as its lead (rated and assessed like a unit, 「参与全市热线工作考评」).
    transferred_by_call: bool = False

    def points(self) -> list[str]:
        return list(self.request_points) or [self.content]


class NotAccept(Command):
    """A13: the hotline tells the requester it is not accepted and why."""

    actor: Actor
    reason: NotAcceptedReason
    basis: Text = Field(..., min_length=1)


class KnowledgePoint(Command):
    id: ShortText = Field(..., min_length=1)
    uploaded_at: Instant
    # A29: the point's last correction when it was cited.
    corrected_at: Instant | None = None
    # A29: the version of the text relied on, and when that text entered the knowledge base (its upload
    # for version 1, else the correction that wrote it). Absent where cited before versions were kept.
    version: int | None = Field(None, ge=1)
    version_written_at: Instant | None = None

    def applicable_since(self) -> datetime:
        """A16.6 "适用知识点上传时间": when the point's current text entered the KB (its upload, or its
        last correction if later). A correction after registration means the hotline could not have
        answered with this text when the ticket came in."""
        return max(self.uploaded_at, self.corrected_at or self.uploaded_at)


class AnswerAtOnce(Command):
    """A12: a consultation answered immediately from the knowledge base."""

    actor: Actor
    answer: Text = Field(..., min_length=1)
    knowledge_point_id: ShortText = ""
    # A12 + A29: the point and the version of its text the answer relied on, looked up by the API from
    # `knowledge_point_id` (absent in answers recorded before versions were kept).
    knowledge_point: KnowledgePoint | None = None


class Dispatch(Command):
    actor: Actor
    lead_unit: UnitId
    co_units: Annotated[list[UnitId], Distinct] = Field(default_factory=list, max_length=20)
    note: Text = ""
    # A33: the own rules of the county the lead is in, found by the API in the records (never in the body);
    # the first dispatch of a ticket that opened under the city's brings them (dispatch.county_rules).
    county_rule_set: RuleSet | None = None


class ForwardToSubunit(Command):
    """A6: a tier-2 unit forwards the ticket to its own tier-3 sub-unit, which handles and reports upward.

    The API checks the sub-unit really is a descendant of the lead (the unit hierarchy lives in SQL)."""

    actor: Actor
    sub_unit: UnitId
    note: Text = ""


class SignFor(Command):
    actor: Actor


class RecordAssistance(Command):
    """A14 「相关单位应当积极配合」, A14.5: a co-unit records what it did to assist the lead (协办意见)."""

    actor: Actor
    opinion: Text = Field(..., min_length=1)
    attachments: list[Ref] = Field(default_factory=list, max_length=30)


class EmergencyResponse(Command):
    """A17.3: the emergency was handled (on site / in hand) within 2 hours."""

    actor: Actor
    note: Text = Field(..., min_length=1)


class FiledSignatory(Command):
    """A5/A15: the signer as the unit's register has them (备案), found by the API, never sent by the unit."""

    person_id: int
    role: ShortText  # a filed leader, or `authorised_signatory`
    authorised_by: ShortText = ""  # an authorised signatory's filed leader, by name


class SignOff(Command):
    """A15: the unit's leader in charge or an authorised person signs every return."""

    name: ShortText = Field(..., min_length=1)
    title: ShortText = Field(..., min_length=1)
    filed: FiledSignatory | None = None  # None: not on the register (refused from verdicts 4)


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
    # A20: the requester, reached, asked for the answer in writing (书面答复材料).
    written_answer_requested: bool = False


class PointAnswer(Command):
    point: Text = Field(..., min_length=1)
    answer: Text = Field(..., min_length=1)


class WrittenAnswer(Command):
    """A20: the written answer material (书面答复材料), a document issued in the handling unit's own name."""

    document_ref: Ref = Field(description="The document's reference number, e.g. 武城管函〔2026〕12号.")
    issuing_unit: UnitId = Field(description="The unit whose name it is issued in: the unit handling it.")


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
    written_answer_ref: Ref | None = None  # kept for bodies sent before `written_answer`
    # A20 「须以本单位名义予以答复」: the written answer the requester asked for, issued by the handling unit.
    written_answer: WrittenAnswer | None = None
    # A20: a requester who left no contact details cannot be told the result; the closure says why.
    no_contact_reason: Text = ""


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
