"""What follows a closure or supervises the handling: the rating, the callback and the redo (A24), the A9
consultation meeting, supplementary answers (A21) and supervision orders (A25). Re-exported by
domain/commands.py, where callers import every command from."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from domain.command_base import Actor, Command
from domain.fields import ShortText, Text, UnitId
from domain.rulesets import Period
from domain.vocabulary import ContactChannel, SupervisionKind


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


class IssueSupervisionOrder(Command):
    """A4, A6, A25: the hotline orders the unit holding the ticket to act on it (督办/催办) and to answer
    within `respond_within`, which the order itself sets: natural hours or working days."""

    actor: Actor
    kind: SupervisionKind = SupervisionKind.SUPERVISE
    reason: Text = Field(..., min_length=1)
    respond_within: Period


class AnswerSupervisionOrder(Command):
    """A25: the unit's answer to an order: what it has done, or will do, about it."""

    actor: Actor
    order_id: ShortText
    answer: Text = Field(..., min_length=1)
