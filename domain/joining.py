"""并案 (A10.6): a new ticket on the same matter as an open one is joined to it. What travels between the two
tickets' workflows: the join (the new ticket tells the earlier one) and the result (the earlier one, once it
concludes, tells each ticket joined to it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from domain.commands import TICKET_NO_PATTERN, Actor, ApplyClosure, Command, Text
from domain.vocabulary import Outcome

TicketNo = Annotated[str, StringConstraints(pattern=TICKET_NO_PATTERN)]


class JoinTicket(Command):
    """The hotline joins this ticket to an open ticket on the same matter (`into`); this one ends, and its
    requester is told the earlier number now and the result when the earlier ticket concludes."""

    actor: Actor
    into: TicketNo
    reason: Text = ""


class JoinedTicket(Command):
    """To the earlier ticket: a ticket was joined to it (its requester waits for this one's result)."""

    ticket_no: TicketNo


class JoinedResult(Command):
    """To a joined ticket: how the ticket it was joined to ended, in what its requester may read."""

    ticket_no: TicketNo  # the earlier ticket
    outcome: Outcome | None
    result: str = Field(max_length=4000)
    answer: ApplyClosure | None = None  # A20: the approved closure, point by point
    concluded_at: datetime
