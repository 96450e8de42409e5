"""A23: linkage with the emergency lines 110 (police), 119 (fire), 120 (ambulance), 122 (traffic): the
emergency-matter list (突发事项清单) as data, and what travels between a ticket and a line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from domain.commands import Actor, Command, Distinct, Line, ShortText, Text
from domain.vocabulary import Category

LINES = ("110", "119", "120", "122")


# -- the emergency-matter list ------------------------------------------------------------------------------
class EmergencyMatter(BaseModel):
    """One entry of the list the office edits at run time (A23 「动态调整的突发事项清单」)."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    matter_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    keywords: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]] = (
        Field(default_factory=list, max_length=50)
    )
    lines: list[Line] = Field(default_factory=list, max_length=4)
    note: ShortText = ""


class EmergencyMatch(BaseModel):
    matters: list[str]
    lines: list[str]


def match(
    matters: Iterable[EmergencyMatter], matter_type: str, content: str, location: str = ""
) -> EmergencyMatch | None:
    """A registration is an emergency when its matter type is on the list, or its words name a listed
    matter (a keyword in the content or the place). Every matching entry's lines are linked."""
    text = f"{content}\n{location}"
    hit = [
        m
        for m in matters
        if (matter_type and matter_type == m.matter_type) or any(k in text for k in m.keywords)
    ]
    if not hit:
        return None
    lines = sorted({line for m in hit for line in m.lines}, key=LINES.index)
    return EmergencyMatch(matters=[m.id for m in hit], lines=lines)


# -- between a ticket and a line ----------------------------------------------------------------------------
class LinkageOrder(Command):
    """The operator or an integrator links an existing ticket to lines (A23)."""

    actor: Actor
    lines: Annotated[list[Line], Distinct, Field(min_length=1, max_length=4)]


class LineAck(Command):
    """A line's acknowledgement of a hand-over, made with that line's own credential."""

    line: Line
    by: ShortText = Field(..., min_length=1, description="Who took it at the line (desk or officer id).")
    reference: ShortText = Field("", description="The line's own reference (接警单号).")
    at: datetime


class Handover(BaseModel):
    """What a line receives: the matter, where, and how to acknowledge; no requester identity (A32)."""

    linkage_id: str
    ticket_no: str
    line: str
    category: Category
    content: Text
    location: ShortText = ""
    registered_at: datetime


class HandedOver(BaseModel):
    reference: str = ""


class LineResult(BaseModel):
    """A23: the result told to the line that handed the matter to 12345."""

    ticket_no: str
    line: str
    reference: str
    outcome: str
    answer: str = ""
    concluded_at: datetime


class LinkageStatus(StrEnum):
    HANDED_OVER = "handed_over"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    UNREACHABLE = "unreachable"


class LinkageReport(BaseModel):
    """A linkage child tells its ticket what happened on its line."""

    line: str
    status: LinkageStatus
    at: datetime
    reference: str = ""
    by: str = ""
    detail: str = ""


def linkage_workflow_id(ticket_workflow_id: str, line: str) -> str:
    return f"{ticket_workflow_id}-linkage-{line}"


def ack_clock(line: str) -> str:
    """The clock a line's acknowledgement meets (A23; charged to the hotline, domain/clocks.py)."""
    return f"linkage_ack:{line}"


def new_lines(linked: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The lines not linked yet, each once (a child workflow per line: its id is the line's)."""
    return [line for line in dict.fromkeys(wanted) if line not in linked]
