"""One state model for a ticket: what the workflow keeps, the query returns and the read model projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from domain.calendar import WorkingCalendar
from domain.cards import card_at, worst
from domain.changes import Change
from domain.commands import (
    ApplyClosure,
    ApplyExtension,
    ApplyReturn,
    ContactAttempt,
    FileTerminationNotice,
    FindNotAcceptable,
    IssueSupervisionOrder,
    KnowledgePoint,
    RaiseDispute,
    Registration,
)
from domain.deadlines import PlannedDeadline
from domain.joining import JoinedResult
from domain.rulesets import Period, RuleSet, lapsed_on
from domain.vocabulary import (
    OPEN_STAGES,
    Card,
    ContactChannel,
    ContactPurpose,
    Decision,
    NotAcceptedReason,
    Outcome,
    RatingOption,
    RefusalGround,
    Stage,
    SupplementStatus,
)

# Clock names: each is a limit with its own card (A22); their lifecycle is the table in domain/clocks.py.
SIGN_FOR = "sign_for"
HANDLE = "handle"  # A17.3 emergencies: handled within 2 hours
ANSWER = "answer"  # A17.1–A17.3: handled and answered
# Windows: limits kept on the assignment, with no card of their own (A14.1–A14.3).
RETURN_WINDOW = "return_window"
SURVEY_START_WINDOW = "survey_start_window"
SURVEY_RETURN_WINDOW = "survey_return_window"


class Clock(BaseModel):
    name: str
    period: Period
    anchor_at: datetime
    after_limit: bool = False
    then: list[Period] = Field(default_factory=list)  # an approved extension (A17)
    due_at: datetime
    red_at: datetime
    provisional: bool = False
    met_at: datetime | None = None
    card: Card = Card.GREEN
    # Whose card it is (domain/clocks.py ChargedTo): the lead unit's, or the hotline's own (A23 linkage).
    charged_to: str = "lead_unit"

    def replan(self, planned: PlannedDeadline) -> None:
        self.due_at, self.red_at, self.provisional = planned.due_at, planned.red_at, planned.provisional

    def card_now(self, now: datetime) -> Card:
        # A met limit keeps the card it had when it was met.
        return card_at(self.due_at, self.red_at, self.met_at or now)

    def next_boundary(self, now: datetime) -> datetime | None:
        if self.met_at is not None:
            return None
        return next((b for b in (self.due_at, self.red_at) if b > now), None)


class Assignment(BaseModel):
    """One dispatch of the ticket to a lead unit: the receipt its limits count from."""

    lead_unit: str
    co_units: list[str] = Field(default_factory=list)
    received_at: datetime
    signed_for_at: datetime | None = None
    # A14.1–A14.3 windows, kept as data so a late return is flagged, not lost.
    return_by: datetime
    survey_start_by: datetime
    survey_started_at: datetime | None = None
    survey_return_by: datetime | None = None
    # A14.5: a designated lead may not return the ticket.
    designated: bool = False
    redo: bool = False
    # A6: the tier-3 sub-unit the lead forwarded it to; it acts for the lead, the lead stays responsible.
    forwarded_to: str | None = None


class ReturnRecord(BaseModel):
    id: str
    unit: str
    application: ApplyReturn
    applied_at: datetime
    overdue: bool
    rule: str
    decision: Decision = Decision.PENDING
    ground: RefusalGround | None = None
    reason: str = ""
    knowledge_point: KnowledgePoint | None = None
    redispatched_to: str | None = None
    decided_at: datetime | None = None
    decided_by: str = ""
    automatic: bool = False


class ExtensionRecord(BaseModel):
    application: ApplyExtension
    applied_at: datetime
    decision: Decision = Decision.PENDING
    reason: str = ""
    decided_at: datetime | None = None
    extended_to: datetime | None = None


class ClosureRecord(BaseModel):
    id: str
    applied_at: datetime
    closure: ApplyClosure | None = None
    not_acceptable: FindNotAcceptable | None = None
    # A18 (verdicts 3): a termination notice filed with the hotline, reviewed like a closure.
    termination: FileTerminationNotice | None = None
    decision: Decision = Decision.PENDING
    reason: str = ""
    decided_at: datetime | None = None


def closure_id(state: TicketState) -> str:
    """An application to end the ticket (closure, not acceptable, termination), numbered C1, C2, …"""
    return f"C{len(state.closures) + 1}"


class Contact(BaseModel):
    at: datetime
    channel: ContactChannel
    reached: bool
    note: str = ""
    by: str = ""
    purpose: ContactPurpose = ContactPurpose.RESULT  # before it was recorded, every contact told the result

    @classmethod
    def of(cls, c: ContactAttempt) -> Contact:
        return cls(
            at=c.at, channel=c.channel, reached=c.reached, note=c.note, by=c.actor.id, purpose=c.purpose
        )


class StageRating(BaseModel):
    option: RatingOption
    # A24: several options, an invalid option or no answer in time read as basically satisfied.
    defaulted_because: str | None = None


class RatingRound(BaseModel):
    round: int
    requested_at: datetime
    expires_at: datetime
    acceptance: StageRating | None = None
    handling: StageRating | None = None
    resolved: bool | None = None  # A24 是否解决, when the requester answered it
    rated_at: datetime | None = None
    final: bool = False
    # A24 (verdicts 3): sent by message, the window runs from its receipt; until then it does not run.
    awaiting_receipt: bool = False
    reached_at: datetime | None = None
    undeliverable: bool = False


class CallbackRecord(BaseModel):
    at: datetime
    by: str
    channel: ContactChannel
    reached: bool
    wants_redo: bool
    note: str = ""
    redo_decision: Decision = Decision.PENDING
    redo_reason: str = ""


class Supplement(BaseModel):
    id: str
    unit: str
    reason: str
    applied_at: datetime
    status: SupplementStatus = SupplementStatus.REQUESTED
    content: str = ""
    review_note: str = ""
    published_at: datetime | None = None


class Coordination(BaseModel):
    workflow_id: str
    dispute: RaiseDispute
    raised_at: datetime
    designated_lead: str | None = None
    designated_co_units: list[str] = Field(default_factory=list)
    designated_at: datetime | None = None


class SupervisionOrder(BaseModel):
    """A25: an order the hotline issued to the unit holding the ticket, and the unit's answer. Its limit is
    the clock `supervision:<id>` (domain/clocks.py), charged to that unit; a new receipt lapses it."""

    id: str
    unit: str
    order: IssueSupervisionOrder
    issued_at: datetime
    due_at: datetime
    answered_at: datetime | None = None
    answer: str = ""
    answered_by: str = ""


class TimelineEvent(BaseModel):
    """One fact in the ticket's life; `id` keys idempotent projection and notices."""

    id: str
    seq: int
    at: datetime
    kind: str
    actor: str
    rule: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    # Who is told: "unit:<id>", "requester", "hotline", "linkage:<110|119|120|122>".
    notify: list[str] = Field(default_factory=list)


class TicketState(BaseModel):
    ticket_no: str
    registration: Registration
    rule_set: RuleSet
    verdicts: int = 1  # domain/changes.py: the verdicts version the ticket opened under, kept for life
    stage: Stage = Stage.REGISTERED
    outcome: Outcome | None = None
    not_accepted_reason: NotAcceptedReason | None = None
    not_accepted_basis: str = ""
    assignments: list[Assignment] = Field(default_factory=list)
    # The first receipt by a unit that kept the ticket: a refused return or a sent-back closure
    # leaves every limit counting from here (A14.1, A20).
    clocks: dict[str, Clock] = Field(default_factory=dict)
    returns: list[ReturnRecord] = Field(default_factory=list)
    extensions: list[ExtensionRecord] = Field(default_factory=list)
    closures: list[ClosureRecord] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    requester_informed_at: datetime | None = None
    coordinations: list[Coordination] = Field(default_factory=list)
    ratings: list[RatingRound] = Field(default_factory=list)
    callbacks: list[CallbackRecord] = Field(default_factory=list)
    redo_count: int = 0
    termination: FileTerminationNotice | None = None
    supplements: list[Supplement] = Field(default_factory=list)
    supervision_orders: list[SupervisionOrder] = Field(default_factory=list)
    answered_at_once: str | None = None
    # A12 + A29: the knowledge point and version the answer on the spot relied on.
    answered_from: KnowledgePoint | None = None
    concluded_at: datetime | None = None
    archive_at: datetime | None = None
    timeline: list[TimelineEvent] = Field(default_factory=list)
    revision: int = 0
    # A24: the rating request goes by message and its window runs from the receipt (OpeningFacts).
    rating_by_message: bool = False
    # A20: when the requester asked for a written answer (at registration or when a unit reached them).
    written_answer_requested_at: datetime | None = None
    # 并案 (A10.6, domain/stages/joining.py): the ticket this one was joined to and the result it passed on;
    # on the earlier ticket, the tickets joined to it and those already told its result.
    joined_to: str | None = None
    joined_result: JoinedResult | None = None
    joined: list[str] = Field(default_factory=list)
    joined_told: list[str] = Field(default_factory=list)

    # -- derived views ---------------------------------------------------------------------------
    def judged_by(self, change: Change) -> bool:
        """Whether this ticket opened under a verdicts version that includes the change."""
        return self.verdicts >= change.version

    def rule_set_lapsed(self) -> bool:
        """A35: registered (Asia/Shanghai date) after its rule set's validity ended: flagged to the office."""
        return lapsed_on(self.rule_set, WorkingCalendar.local_date(self.registration.received_at))

    def approved_closure(self) -> ApplyClosure | None:
        return next(
            (c.closure for c in reversed(self.closures) if c.decision == Decision.APPROVED and c.closure),
            None,
        )

    def answering_unit(self) -> str | None:
        """A20: the unit that answered (in whose name a written answer was issued): the requester's view
        names it, never a staff member."""
        closure = self.approved_closure()
        if closure is None:
            return None
        return closure.written_answer.issuing_unit if closure.written_answer else closure.actor.unit_id

    @property
    def assignment(self) -> Assignment | None:
        return self.assignments[-1] if self.assignments else None

    @property
    def lead_unit(self) -> str | None:
        return self.assignment.lead_unit if self.assignment else None

    @property
    def co_units(self) -> list[str]:
        return list(self.assignment.co_units) if self.assignment else []

    def card(self) -> Card:
        """The lead unit's card (A22): the worst of the limits charged to it."""
        return worst([c.card for c in self.clocks.values() if c.charged_to == "lead_unit"])

    def answer_due_at(self) -> datetime | None:
        clock = self.clocks.get(ANSWER)
        return clock.due_at if clock else None

    def provisional(self) -> bool:
        """Counting time: provisional while a limit still runs on a year whose notice is not loaded; a met
        limit, and every limit of a ticket no longer open, is settled."""
        return self.stage in OPEN_STAGES and any(
            c.provisional and c.met_at is None for c in self.clocks.values()
        )

    def pending_return(self) -> ReturnRecord | None:
        return next((r for r in self.returns if r.decision == Decision.PENDING), None)

    def pending_closure(self) -> ClosureRecord | None:
        return next((c for c in self.closures if c.decision == Decision.PENDING), None)

    def pending_extension(self) -> ExtensionRecord | None:
        return next((e for e in self.extensions if e.decision == Decision.PENDING), None)

    def open_coordination(self) -> Coordination | None:
        return next((c for c in self.coordinations if c.designated_at is None), None)

    def current_rating(self) -> RatingRound | None:
        return self.ratings[-1] if self.ratings else None

    def next_boundary(self, now: datetime) -> datetime | None:
        """The next instant at which a card may change or a window closes."""
        instants = [b for c in self.clocks.values() if (b := c.next_boundary(now)) is not None]
        rating = self.current_rating()
        if self.stage == Stage.RATING and rating and rating.rated_at is None and not rating.awaiting_receipt:
            instants.append(rating.expires_at)
        # A passed archive date waits for the supplement under way: no boundary, or the loop would spin.
        if self.stage == Stage.CONCLUDED and self.archive_at is not None and self.archive_at > now:
            instants.append(self.archive_at)
        return min(instants, default=None)


class OpeningFacts(BaseModel):
    """What the hotline's records say when a ticket opens: the rule set it keeps for life, and a refusal
    the records alone decide (A18 a terminated matter; A11 a restricted caller)."""

    rule_set: RuleSet
    refusal: NotAcceptedReason | None = None
    refusal_basis: str = ""
    # A24: the hotline sends the rating request by message (an SMS gateway is configured).
    rating_by_message: bool = False


class TicketInput(BaseModel):
    registration: Registration
    # Continue-as-new carries the whole state; a new ticket starts with None.
    carried: TicketState | None = None
    # A21 「已办结的事项有新进展情况的，可申请补充答复」 sets no time limit: an archived ticket is started again
    # from its carried state when its unit applies for a supplementary answer (api/temporal.py).
    reopened_for_supplement: bool = False


class ActivityNames:
    """The workflow calls activities by name so workflow code never imports the database layer."""

    OPEN_TICKET = "open_ticket"
    PLAN_DEADLINES = "plan_deadlines"
    PROJECT_TICKET = "project_ticket"
    DESCRIBE_UNITS = "describe_units"  # issue 18: unit names and counties for Temporal UI
