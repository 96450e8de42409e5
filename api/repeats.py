"""A10.6 and A18 at the front door: the earlier tickets a new request may repeat, found in SQL and ranked by
domain/repeats.py, and the termination notice (A18) a new request runs into.

Candidates are (1) the same requester's tickets (the phone in its one spelling, domain/phones.py; the
read model keeps a registration's number so), and (2) tickets at the same place, open or concluded within
`repeat_window_days`: a LIKE prefilter on the place's names (domain/repeats.py `place_terms`) over the
location and the content, then the place judged and the matter scored in Python. A32: an operator
without confidential clearance is never shown a confidential requester's ticket, and no candidate shows
the requester unmasked (a candidate is a hint to the operator, not a read of anyone's identity).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.errors import conflict
from api.privacy import RequesterView, requester_view
from api.repeat_words import repeat_words
from api.views import View, label_of
from config import Settings
from db.models import TerminatedMatterRow, TicketRow
from domain.calendar import SHANGHAI
from domain.commands import Requester
from domain.phones import phone_key
from domain.repeats import Matter, RepeatReason, Words, likeness, place_terms
from domain.vocabulary import OPEN_STAGES, Outcome, Stage

# Each query reads at most this many rows, newest first: a place or a number with more is a hot spot, and
# the newest are the ones a caller repeats.
_POOL = 200
_OPEN = [s.value for s in OPEN_STAGES]


class RepeatCandidate(View):
    """An earlier ticket the new request may repeat (A10.6), with why it is offered."""

    ticket_no: str = Field(examples=["GD12345-20260910-0A1B2C3D"])
    score: float = Field(description="How alike the matters are: 0–1, the place's words taken out.")
    likely_repeat: bool = Field(description="At or above the hotline's threshold, and at the same place.")
    reasons: list[RepeatReason]
    same_place: bool | None = Field(description="Null where either ticket names no place.")
    stage: Stage
    outcome: Outcome | None
    joined_to: str | None = Field(None, description="并案: the ticket this one was joined to.")
    registered_at: datetime
    concluded_at: datetime | None
    content: str
    location: str
    requester: RequesterView

    stage_label: ClassVar[Any] = label_of("stage")
    outcome_label: ClassVar[Any] = label_of("outcome")


@dataclass(frozen=True)
class Asked:
    """What the operator has typed so far: enough to look for the matter."""

    content: str
    location: str = ""
    phone: str = ""
    exclude: str | None = None  # the ticket being registered, once it has a number


# Only what a candidate shows: a ticket's stored state is large, and a lookup reads up to 2 × _POOL rows.
_COLUMNS = (
    TicketRow.ticket_no,
    TicketRow.content,
    TicketRow.location,
    TicketRow.stage,
    TicketRow.outcome,
    TicketRow.joined_to,
    TicketRow.registered_at,
    TicketRow.concluded_at,
    TicketRow.requester_name,
    TicketRow.requester_phone,
    TicketRow.requester_confidential,
)


def _visible(query: Select[Any], caller: Caller, exclude: str | None) -> Select[Any]:
    if not caller.confidential_clearance:
        query = query.where(TicketRow.requester_confidential.is_(False))
    if exclude is not None:
        query = query.where(TicketRow.ticket_no != exclude)
    return query.order_by(TicketRow.registered_at.desc()).limit(_POOL)


def _like(column: Any, term: str) -> Any:
    needle = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{needle}%", escape="\\")


async def _pool(
    session: AsyncSession, caller: Caller, asked: Asked, settings: Settings, now: datetime
) -> tuple[dict[str, Any], set[str]]:
    """The rows worth scoring, and which of them are the same requester's."""
    rows: dict[str, Any] = {}
    mine: set[str] = set()
    key = phone_key(asked.phone) if asked.phone else ""
    if key:
        since = now - timedelta(days=settings.repeat_window_days * settings.repeat_requester_window_factor)
        query = select(*_COLUMNS).where(
            TicketRow.requester_phone == key,
            or_(TicketRow.stage.in_(_OPEN), TicketRow.registered_at >= since),
        )
        for row in await session.execute(_visible(query, caller, asked.exclude)):
            rows[row.ticket_no] = row
            mine.add(row.ticket_no)
    terms = place_terms(asked.location) or place_terms(asked.content)
    if terms:
        since = now - timedelta(days=settings.repeat_window_days)
        query = select(*_COLUMNS).where(
            or_(*(_like(c, t) for t in terms for c in (TicketRow.location, TicketRow.content))),
            or_(TicketRow.stage.in_(_OPEN), TicketRow.concluded_at >= since),
        )
        for row in await session.execute(_visible(query, caller, asked.exclude)):
            rows.setdefault(row.ticket_no, row)
    return rows, mine


async def repeat_candidates(
    session: AsyncSession, caller: Caller, asked: Asked, settings: Settings, now: datetime
) -> list[RepeatCandidate]:
    """A10.6: the likely repeats first, then by score; the same requester's tickets are shown even when
    unlike (the operator asks the caller), other tickets only where the matter is alike at all."""
    rows, mine = await _pool(session, caller, asked, settings, now)
    words = await repeat_words(session)  # the office's synonym groups as they stand now (A12)
    # Scoring a pool is tens of milliseconds of Python: off the event loop, which serves the other calls.
    return await asyncio.to_thread(_ranked, rows, mine, asked, settings, words)


def _ranked(
    rows: dict[str, Any], mine: set[str], asked: Asked, settings: Settings, words: Words
) -> list[RepeatCandidate]:
    new = Matter(asked.content, asked.location)
    found: list[RepeatCandidate] = []
    for row in rows.values():
        like = likeness(new, Matter(row.content, row.location), words)
        reasons = [RepeatReason.SAME_REQUESTER] if row.ticket_no in mine else []
        if like.same_place:
            reasons.append(RepeatReason.SAME_PLACE)
        if not reasons or (row.ticket_no not in mine and like.score <= 0):
            continue
        found.append(_candidate(row, like.score, like.is_repeat(settings.repeat_threshold), reasons, like))
    found.sort(key=lambda c: (c.likely_repeat, c.score, c.registered_at), reverse=True)
    return found[: settings.repeat_candidates_shown]


def _candidate(
    row: TicketRow, score: float, likely: bool, reasons: list[RepeatReason], like: Any
) -> RepeatCandidate:
    requester = Requester(
        name=row.requester_name, phone=row.requester_phone, confidential=row.requester_confidential
    )
    return RepeatCandidate(
        ticket_no=row.ticket_no,
        score=score,
        likely_repeat=likely,
        reasons=reasons,
        same_place=like.same_place,
        stage=Stage(row.stage),
        outcome=Outcome(row.outcome) if row.outcome else None,
        joined_to=row.joined_to,
        registered_at=row.registered_at,
        concluded_at=row.concluded_at,
        content=row.content,
        location=row.location,
        requester=requester_view(requester, unmasked=False),
    )


async def refuse_terminated_matter(session: AsyncSession, asked: Asked, settings: Settings) -> None:
    """A18 without `repeat_of`: the same requester raises a matter closed by a termination notice, with the
    same content at the same place: 409 MATTER_TERMINATED, citing the notice. The operator who finds new
    facts records them (`new_facts`); one who agrees registers with `repeat_of` naming the ticket cited,
    and the requester is told in writing why it is not accepted (A13)."""
    key = phone_key(asked.phone) if asked.phone else ""
    if not key:
        return  # A18 binds the same requester: an anonymous request cannot be matched
    filed = (
        await session.execute(
            select(TerminatedMatterRow, TicketRow.content, TicketRow.location)
            .join(TicketRow, TicketRow.ticket_no == TerminatedMatterRow.ticket_no)
            .where(TicketRow.requester_phone == key, TicketRow.outcome == Outcome.TERMINATED.value)
            .order_by(TerminatedMatterRow.served_at.desc())
            .limit(_POOL)
        )
    ).all()
    words, new = await repeat_words(session), Matter(asked.content, asked.location)
    for notice, content, location in filed:
        earlier = [Matter(content, location)]
        if notice.prior_ticket_no:
            prior = (
                await session.execute(
                    select(TicketRow.content, TicketRow.location).where(
                        TicketRow.ticket_no == notice.prior_ticket_no
                    )
                )
            ).one_or_none()
            if prior is not None:
                earlier.append(Matter(prior.content, prior.location))
        if any(likeness(new, e, words).is_repeat(settings.repeat_threshold) for e in earlier):
            served = notice.served_at.astimezone(SHANGHAI).date().isoformat()
            raise conflict(
                "MATTER_TERMINATED",
                f"the same requester's matter was closed by a termination notice: ticket {notice.ticket_no}, "
                f"notice {notice.notice_ref} served {served} (A18: 12345 no longer accepts it). Register "
                f"with repeat_of {notice.ticket_no} to record it as not accepted, or record the new facts "
                "in new_facts",
                "A18",
            )
