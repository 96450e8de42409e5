"""What the requester's page shows: the JSON view (PublicTicketView, A19) with the names a page needs.

The page and `GET /public/tickets/{no}` share PublicTicketView, so the page shows nothing the JSON does
not. It adds three things: the name of the unit handling the ticket (A20: the answer is given in the
unit's name; read from the units register, never a staff member's name), the Chinese labels, and whether
this page may rate now (A24).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.pages import labels
from api.pages.links import Link, Purpose
from api.public_schemas import PublicTicketView
from db.api_models import UnitRow
from domain.ticket import StageRating, TicketState
from domain.vocabulary import Outcome, Stage

# Who answers when no unit does (A12: a consultation answered at once from the knowledge base).
HOTLINE_NAME = "韶关市12345政务服务便民热线"


@dataclass(frozen=True)
class ProgressLine:
    at: datetime
    label: str


@dataclass(frozen=True)
class RatingGiven:
    """A24: what the current round recorded, per stage."""

    acceptance: str
    handling: str
    at: datetime | None


@dataclass(frozen=True)
class RequesterPage:
    ticket: PublicTicketView
    unit_name: str | None
    stage_label: str
    progress: list[ProgressLine]
    # A24: the round this page may rate now, if any; what was given, once given.
    rating_round: int | None
    rating_given: RatingGiven | None

    @property
    def category_label(self) -> str:
        return labels.CATEGORIES.get(self.ticket.category, "")

    @property
    def outcome_label(self) -> str:
        return labels.OUTCOMES.get(self.ticket.outcome, "") if self.ticket.outcome else ""

    @property
    def not_accepted_label(self) -> str:
        reason = self.ticket.not_accepted_reason
        return labels.NOT_ACCEPTED_REASONS.get(reason, "") if reason else ""


# A24: 多选、错选、超时未选等视为基本满意 (domain/stages/rating.py read_rating names the case).
DEFAULTED_BECAUSE = {"no answer": "超时未选", "several options": "多选", "invalid option": "错选"}


def _given(option: StageRating | None) -> str:
    if option is None:
        return ""
    label = labels.RATING_OPTIONS[option.option]
    if option.defaulted_because is None:
        return label
    why = DEFAULTED_BECAUSE.get(option.defaulted_because, "未作有效选择")
    return f"{label}（{why}，视为基本满意）"


def rateable_round(state: TicketState, link: Link, now: datetime) -> int | None:
    """A24: the round this link may rate now: the current one, unrated, inside its window, and for a rating
    link its own round."""
    rating = state.current_rating()
    if state.stage != Stage.RATING or rating is None or rating.rated_at is not None:
        return None
    if now >= rating.expires_at:
        return None
    if link.purpose == Purpose.RATING and link.rating_round != rating.round:
        return None
    return rating.round


async def unit_name(session: AsyncSession, state: TicketState) -> str | None:
    """A20: the unit answering, by the name in the units register (the unit that answered once the answer
    is approved, in whose name a written answer was issued; before, the lead); the hotline for its own."""
    unit_id = state.answering_unit() or state.lead_unit
    if unit_id is not None:
        unit = await session.get(UnitRow, unit_id)
        return unit.name if unit is not None else None
    if state.outcome in (Outcome.ANSWERED_AT_ONCE, Outcome.NOT_ACCEPTED):
        return HOTLINE_NAME
    return None


async def requester_page(
    session: AsyncSession, state: TicketState, link: Link, now: datetime
) -> RequesterPage:
    name = await unit_name(session, state)
    answering = state.answering_unit()
    view = PublicTicketView.of(state, {answering: name} if answering and name else {})
    rating = state.current_rating()
    given = (
        RatingGiven(_given(rating.acceptance), _given(rating.handling), rating.rated_at)
        if rating is not None and rating.rated_at is not None
        else None
    )
    return RequesterPage(
        ticket=view,
        unit_name=name,
        stage_label=labels.STAGES.get(view.stage, ""),
        progress=[ProgressLine(e.at, labels.event(e.kind)) for e in view.progress],
        rating_round=rateable_round(state, link, now),
        rating_given=given,
    )
