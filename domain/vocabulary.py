"""The hotline's words (rules/RULES.md, Vocabulary) as enums shared by workflows, API and read model."""

from __future__ import annotations

from enum import StrEnum

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Labelled(StrEnum):
    """An enum a person reads: every member has a Chinese and an English label (domain/labels.py), which the
    API's schema carries in the enum's description and `x-enum-labels`."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        from domain.labels import label  # the table imports this module; read only when a schema is built

        schema = handler.resolve_ref_schema(handler(core))
        labels = {m.value: label(m) for m in cls}
        lines = "\n".join(f"- `{code}`: {zh} / {en}" for code, (zh, en) in labels.items())
        schema["description"] = f"{(cls.__doc__ or cls.__name__).strip()}\n\n{lines}"
        schema["x-enum-labels"] = {code: {"zh": zh, "en": en} for code, (zh, en) in labels.items()}
        return schema


class Category(Labelled):
    """A10/A12: the kinds of request the hotline accepts."""

    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 意见建议


class Channel(StrEnum):
    """A2: every channel lands in the same ticket flow; A17.4/A17.5 platforms carry their own rule sets."""

    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat_mini_program"
    PROVINCIAL_PLATFORM = "provincial_platform"
    NATIONAL_PLATFORM = "national_platform"
    SUB_CENTRE = "sub_centre"
    LINKAGE = "linkage"  # A23: handed over by 110/119/120/122


class Stage(Labelled):
    """Where the ticket stands."""

    REGISTERED = "registered"  # accepted by an operator, not yet dispatched
    NOT_ACCEPTED = "not_accepted"  # A10/A13, final
    DISPATCHED = "dispatched"  # waiting for the unit to sign for it
    HANDLING = "handling"
    RETURN_REVIEW = "return_review"  # A14.1–A14.3: the hotline reviews a return
    COORDINATING = "coordinating"  # A14.5: a coordination workflow designates the lead
    EXTENSION_REVIEW = "extension_review"  # A17: the hotline reviews an extension
    CLOSURE_REVIEW = "closure_review"  # A20: the hotline reviews a closure application
    RATING = "rating"  # A24: waiting 24 hours for the requester's rating
    CALLBACK = "callback"  # A24: dissatisfied; the hotline calls back and decides on a redo
    CONCLUDED = "concluded"  # final outcome reached; supplementary answers still possible (A21)
    ARCHIVED = "archived"  # the workflow has ended
    JOINED = "joined"  # 并案 (A10.6): joined to an earlier open ticket on the same matter, final


OPEN_STAGES = frozenset(Stage) - {Stage.NOT_ACCEPTED, Stage.CONCLUDED, Stage.ARCHIVED, Stage.JOINED}


class Outcome(Labelled):
    """How the ticket ended."""

    NOT_ACCEPTED = "not_accepted"  # A13 by the hotline
    ANSWERED_AT_ONCE = "answered_at_once"  # A12 consultation answered from the KB
    CLOSED = "closed"  # A20 closure approved
    NOT_ACCEPTABLE_BY_UNIT = "not_acceptable_by_unit"  # A14.4
    TERMINATED = "terminated"  # A18 termination notice
    JOINED = "joined"  # 并案 (A10.6): the result comes from the ticket it was joined to


class Card(Labelled):
    """A22: a timeliness card per stage."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


CARD_SEVERITY = {Card.GREEN: 0, Card.YELLOW: 1, Card.RED: 2}


class NotAcceptedReason(Labelled):
    """A10: reasons a request is not accepted; A18 for a terminated matter; A11 for a restricted caller."""

    OUTSIDE_JURISDICTION = "A10.1"
    OTHER_LEGAL_PROCEDURE = "A10.2"
    PETITION_CHANNEL = "A10.3"
    SECRETS_OR_PRIVACY = "A10.4"
    UNLAWFUL_OR_NO_CONTENT = "A10.5"
    REPEAT = "A10.6"
    OTHER_LEGAL_GROUNDS = "A10.7"
    TERMINATED_MATTER = "A18"
    RESTRICTED_CALLER = "A11"


# A14.4: for these the unit must give the hotline explanatory material.
NEEDS_EXPLANATORY_MATERIAL = frozenset(
    {NotAcceptedReason.OTHER_LEGAL_PROCEDURE, NotAcceptedReason.PETITION_CHANNEL}
)


class ReturnKind(StrEnum):
    NOT_OUR_DUTY = "not_our_duty"  # A14.1
    REGISTRATION_BLOCKS_HANDLING = "registration_blocks_handling"  # A14.2
    IDENTITY_WITHHELD = "identity_withheld"  # A14.2, the requester hid personal information
    SURVEY_NOT_OURS = "survey_not_ours"  # A14.3


RETURN_RULE = {
    ReturnKind.NOT_OUR_DUTY: "A14.1",
    ReturnKind.REGISTRATION_BLOCKS_HANDLING: "A14.2",
    ReturnKind.IDENTITY_WITHHELD: "A14.2",
    ReturnKind.SURVEY_NOT_OURS: "A14.3",
}


class RefusalGround(Labelled):
    """A16: grounds on which the hotline refuses a return."""

    UNITS_MATTER_BY_LAW = "A16.1"
    NO_REASON_OR_BASIS = "A16.2"
    FLAWS_DO_NOT_BLOCK = "A16.3"
    CAN_PROCEED_ON_KNOWN_FACTS = "A16.4"
    MUST_VERIFY_FURTHER = "A16.5"
    KNOWLEDGE_POINT = "A16.6"
    EXTENSION_ALREADY_APPLIED = "A16.7"


class Decision(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    SUPERSEDED = "superseded"  # a pending return settled by a coordination instead (A14.5)


class RatingOption(StrEnum):
    """A24: the requester picks ONE."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


DISSATISFIED = frozenset({RatingOption.DISSATISFIED, RatingOption.VERY_DISSATISFIED})
# A24: no answer within the rating window (or no one valid option) counts as basically satisfied.
DEFAULTED_RATING = RatingOption.BASICALLY_SATISFIED


class DisputeKind(StrEnum):
    """A14.5."""

    SEVERAL_UNITS = "several_units"
    CONTESTED_JURISDICTION = "contested_jurisdiction"
    CONTESTED_LAW = "contested_law"


class SupervisionKind(Labelled):
    """A4, A6, A25: the office's order on a ticket. 督办 supervises how a unit handles it; 催办 presses it
    to act now. Either way the unit answers within the time the order sets."""

    SUPERVISE = "supervise"  # 督办
    URGE = "urge"  # 催办


class ContactPurpose(StrEnum):
    RESULT = "result"  # A20 反馈办理结果: telling the requester the result
    ENQUIRY = "enquiry"  # A14 进一步了解情况 / A14.2 补充材料: asking, not answering


class ContactChannel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    WEB = "web"
    VISIT = "visit"
    LETTER = "letter"


class ActorKind(StrEnum):
    OPERATOR = "operator"  # the hotline office
    UNIT = "unit"  # a member unit's staff
    REQUESTER = "requester"
    SYSTEM = "system"  # timers and automatic verdicts
    INTEGRATOR = "integrator"


class SupplementStatus(StrEnum):
    """A21: permission, then content, both reviewed before publication."""

    REQUESTED = "requested"
    PERMITTED = "permitted"
    PERMISSION_REFUSED = "permission_refused"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    CONTENT_REJECTED = "content_rejected"


class DispatchDecision(Labelled):
    """A14: what the operator did with the dispatch catalogue's suggestion at registration (派单目录)."""

    CONFIRMED = "confirmed"  # dispatched to the suggested lead
    OVERRIDDEN = "overridden"  # dispatched to another lead than the one suggested
    UNDISPATCHED = "undispatched"  # registered without dispatching (the suggestion left for later)
    UNSUGGESTED = "unsuggested"  # the catalogue had no lead to suggest
