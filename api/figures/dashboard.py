"""The dashboard: the cards showing now, per unit and tier, with the tickets behind them, and what falls due
today and on the next working day (A17, A22).

- *Cards now* are those of open tickets (A22: a yellow or red card of a ticket still running). A concluded
  ticket's card froze when it concluded: it is history (the bulletin's), not something to act on.
- A ticket is listed under the unit holding it now: the tier-3 sub-unit it was forwarded to (A6: that
  clerk acts on it), else its lead. The lead stays responsible and sees it in its tree.
- *Falls due*: a limit not yet met whose last instant is still ahead and lies within today (Asia/Shanghai,
  up to 24:00) or within the next working day after today (up to its 24:00; on a Friday, the Monday, so a
  weekend's hour limits fall in it too). Working days come from the loaded State Council notices
  (domain/calendar.py).
- A confidential requester's ticket (A32) is counted for everyone but listed by number only for staff with
  clearance, as in the ticket list; `unlisted` says how many a unit's line does not show.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.figures.common import in_tree
from api.views import View
from db.api_models import UnitRow
from db.figure_models import RunningLimitRow
from db.models import HOLDER, OPEN_CARDED, TicketRow
from db.seed import read_working_calendar
from domain.calendar import WorkingCalendar
from domain.vocabulary import OPEN_STAGES, Card

OPEN = sorted(s.value for s in OPEN_STAGES)
# Tickets listed per unit unless asked: a tree's board shows a unit's twenty worst; the city's, every unit's
# three (bench B5: ~900 units hold cards at 1,000,000 tickets; twenty each would be 6,500 lines). The
# counts are always whole; `unlisted` says how many more, and a unit's own board (`unit=`) lists twenty.
TREE_PER_UNIT = 20
CITY_PER_UNIT = 3


class CardTicket(BaseModel):
    ticket_no: str
    card: Card
    stage: str
    lead_unit: str | None
    answer_due_at: datetime | None
    url: str = Field(description="The ticket in this API.")


_CARD_TICKETS = TypeAdapter(list[CardTicket])


class UnitCards(BaseModel):
    unit: str
    name: str | None
    tier: int | None
    parent: str | None
    yellow: int
    red: int
    tickets: list[CardTicket] = Field(description="Red first, then by answer limit; at most `per_unit`.")
    unlisted: int = Field(description="Tickets counted here but not listed: past `per_unit`, or A32.")


_UNIT_CARDS = TypeAdapter(list[UnitCards])


class TierCards(BaseModel):
    tier: int | None
    yellow: int
    red: int


class DueClock(BaseModel):
    ticket_no: str
    unit: str | None = Field(description="The unit holding the ticket.")
    clock: str = Field(description="The limit: sign_for, handle, answer … (domain/clocks.py).")
    due_at: datetime
    stage: str
    url: str


_DUE_CLOCKS = TypeAdapter(list[DueClock])


class DueDay(BaseModel):
    day: date
    items: list[DueClock]


class Dashboard(View):
    as_of: datetime
    unit: str | None = Field(description="Whose tree this is; null for the office (every unit).")
    tiers: list[TierCards]
    units: list[UnitCards] = Field(description="Units holding an open yellow or red ticket, by unit id.")
    due_today: DueDay
    due_next_working_day: DueDay


async def dashboard(
    session: AsyncSession,
    now: datetime,
    *,
    unit: str | None,
    scope: frozenset[str] | None,
    cleared: bool,
    per_unit: int | None = None,
) -> Dashboard:
    counts = await _card_counts(session, scope)
    if per_unit is None:
        per_unit = CITY_PER_UNIT if scope is None else TREE_PER_UNIT
    listed = await _card_tickets(session, scope, cleared, per_unit) if per_unit else {}
    lines = _UNIT_CARDS.validate_python(
        [
            {
                "unit": holder,
                "name": name,
                "tier": tier,
                "parent": parent,
                "yellow": yellow,
                "red": red,
                "tickets": listed.get(holder, []),
                "unlisted": yellow + red - len(listed.get(holder, [])),
            }
            for holder, yellow, red, name, tier, parent in counts
        ]
    )
    tiers: dict[int | None, TierCards] = {}
    for line in lines:
        tier = tiers.setdefault(line.tier, TierCards(tier=line.tier, yellow=0, red=0))
        tier.yellow, tier.red = tier.yellow + line.yellow, tier.red + line.red
    today, tomorrow = await _due(session, now, scope, cleared)
    return Dashboard(
        as_of=now,
        unit=unit,
        tiers=sorted(tiers.values(), key=lambda t: (t.tier is None, t.tier or 0)),
        units=lines,
        due_today=today,
        due_next_working_day=tomorrow,
    )


def _open_cards(scope: frozenset[str] | None) -> list[Any]:
    # Open and carded as the partial index's predicate says it (db/models.py OPEN_CARDED), literals: a bound
    # list would leave a cached generic plan unable to use ix_tickets_open_cards_by_holder (bench B5).
    return [text(OPEN_CARDED), TicketRow.stage.in_(OPEN), *in_tree(scope)]


async def _card_counts(session: AsyncSession, scope: frozenset[str] | None) -> list[tuple[Any, ...]]:
    """Per holding unit, by unit id: its open yellow and red tickets, with its name, tier and parent."""
    holder = HOLDER.label("holder")
    t = TicketRow
    per_holder = (
        select(
            holder,
            func.count(case((t.card == Card.YELLOW.value, 1))).label("yellow"),
            func.count(case((t.card == Card.RED.value, 1))).label("red"),
        )
        .where(*_open_cards(scope), holder.is_not(None))
        .group_by(holder)
        .subquery()
    )
    query = (
        select(per_holder, UnitRow.name, UnitRow.tier, UnitRow.parent_id)
        .outerjoin(UnitRow, UnitRow.id == per_holder.c.holder)
        .order_by(per_holder.c.holder)
    )
    return [tuple(row) for row in await (await session.connection()).execute(query)]


async def _card_tickets(
    session: AsyncSession, scope: frozenset[str] | None, cleared: bool, per_unit: int
) -> dict[str, list[CardTicket]]:
    t = TicketRow
    # Red before yellow is the cards' own order ('red' < 'yellow'), the index's: no sort.
    rank = func.row_number().over(partition_by=HOLDER, order_by=(t.card, t.answer_due_at, t.ticket_no))
    visible = [] if cleared else [t.requester_confidential.is_(False)]
    ranked = (
        select(
            HOLDER.label("holder"),
            t.ticket_no,
            t.card,
            t.stage,
            t.lead_unit,
            t.answer_due_at,
            rank.label("rank"),
        )
        .where(*_open_cards(scope), *visible)
        .subquery()
    )
    c = ranked.c
    query = (
        select(c.holder, c.ticket_no, c.card, c.stage, c.lead_unit, c.answer_due_at)
        .where(c.rank <= per_unit)
        .order_by(c.holder, c.rank)
    )
    # The office's board lists thousands (bench B5: 2,314 at 1,000,000 tickets, three per unit): read
    # through the connection, not the ORM, and validated as one list.
    rows = (await (await session.connection()).execute(query)).all()
    tickets = _CARD_TICKETS.validate_python(
        [
            {
                "ticket_no": no,
                "card": card,
                "stage": stage,
                "lead_unit": lead,
                "answer_due_at": due,
                "url": "/tickets/" + no,
            }
            for _, no, card, stage, lead, due in rows
        ]
    )
    out: dict[str, list[CardTicket]] = {}
    for row, ticket in zip(rows, tickets, strict=True):
        out.setdefault(row[0], []).append(ticket)
    return out


def due_days(calendar: WorkingCalendar, now: datetime) -> tuple[date, datetime, date, datetime]:
    """Today (Asia/Shanghai) and the next working day after it, each with its 24:00."""
    today = WorkingCalendar.local_date(now)
    next_day, _ = calendar.nth_working_day_after(today, 1)
    return today, WorkingCalendar.end_of_day(today), next_day, WorkingCalendar.end_of_day(next_day)


async def _due(
    session: AsyncSession, now: datetime, scope: frozenset[str] | None, cleared: bool
) -> tuple[DueDay, DueDay]:
    today, end_today, next_day, end_next = due_days(await read_working_calendar(session), now)
    r = RunningLimitRow
    # The limits not met of open tickets, one row each (the projection's `limit_rows`): a range of the
    # due_at index, not every candidate ticket's JSON clocks (bench B5).
    holder = func.coalesce(r.forwarded_to, r.lead_unit)
    in_scope = in_tree(scope, r.lead_unit, r.forwarded_to)
    visible = [] if cleared else [r.confidential.is_(False)]
    query = (
        select(r.ticket_no, holder.label("holder"), r.clock, r.due_at, r.stage)
        .where(r.due_at > now, r.due_at <= end_next, r.stage.in_(OPEN), *in_scope, *visible)
        .order_by(r.due_at, r.ticket_no, r.clock)
    )
    rows = (await (await session.connection()).execute(query)).all()
    items = _DUE_CLOCKS.validate_python(
        [
            {
                "ticket_no": no,
                "unit": holder,
                "clock": clock,
                "due_at": due,
                "stage": stage,
                "url": "/tickets/" + no,
            }
            for no, holder, clock, due, stage in rows
        ]
    )
    days: tuple[list[DueClock], list[DueClock]] = ([], [])
    for item in items:
        days[0 if item.due_at <= end_today else 1].append(item)
    return DueDay(day=today, items=days[0]), DueDay(day=next_day, items=days[1])
