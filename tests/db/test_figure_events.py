"""Figure events on each database (domain/figure_events.py, activities/projection.py): what the projection's
statements leave in `figure_events` as a ticket's events arrive a few at a time, and the rates and final
ratings the bulletin reads from them (A24, A26, A27).

Two tickets, both dispatched to WJ on 3 November (Shanghai):
- P signs for on time, is rated dissatisfied on 10 November, called back, and rated satisfied again on
  5 December (A24: the second rating is final);
- Q's sign-for card turns yellow before it signs for (not responded), and is re-dispatched to ZJ, which
  never signs for (its receipt stays unsettled: not responded).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.projection import write_projection
from api.figures.assessment import _final_ratings
from api.figures.common import Period
from api.figures.rates import rating_lines, receipts
from db.figure_models import FigureEventRow
from domain.rulesets import CITY
from domain.ticket import SIGN_FOR, Assignment, TicketState, TimelineEvent
from domain.timeline import EventKind
from tests.db.support import registration

Sessions = async_sessionmaker[AsyncSession]
NOVEMBER = Period(
    start=datetime.fromisoformat("2026-11-01T00:00:00+08:00"),
    end=datetime.fromisoformat("2026-12-01T00:00:00+08:00"),
)
TO_NEW_YEAR = Period(start=NOVEMBER.start, end=datetime.fromisoformat("2027-01-01T00:00:00+08:00"))
_ids = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def event(seq: int, when: datetime, kind: EventKind, **data: Any) -> TimelineEvent:
    return TimelineEvent(id=f"e{next(_ids)}", seq=seq, at=when, kind=kind, actor="t", data=data)


def dispatched(seq: int, when: datetime, lead: str) -> TimelineEvent:
    return event(seq, when, EventKind.DISPATCHED, lead_unit=lead, co_units=[], designated=False, redo=False)


def rated(seq: int, when: datetime, handling: str, resolved: bool) -> TimelineEvent:
    return event(
        seq,
        when,
        EventKind.RATED,
        round=1,
        acceptance={"option": "satisfied"},
        handling={"option": handling},
        resolved=resolved,
    )


def state(no: str, leads: list[str], revision: int, timeline: list[TimelineEvent]) -> TicketState:
    received = at("2026-11-03", 9)
    return TicketState(
        ticket_no=no,
        registration=registration(no, received_at=received, domain="城市照明"),
        rule_set=CITY,
        assignments=[
            Assignment(lead_unit=u, received_at=received, return_by=received, survey_start_by=received)
            for u in leads
        ],
        revision=revision,
        timeline=timeline,
    )


async def project(sessions: Sessions, *states: TicketState) -> None:
    async with sessions() as session:
        conn = await session.connection()
        for s in states:
            await write_projection(conn, s)
        await session.commit()


async def test_a24_receipts_are_settled_by_the_next_step_and_ratings_superseded_by_the_next(
    sessions: Sessions,
) -> None:
    p, q = "T-20261103-0001", "T-20261103-0002"
    p_life = [
        [dispatched(1, at("2026-11-03"), "WJ")],
        [
            event(2, at("2026-11-03", 15), EventKind.SIGNED_FOR),
            rated(3, at("2026-11-10"), "dissatisfied", False),
            event(4, at("2026-11-11"), EventKind.CALLBACK_RECORDED),
        ],
        [rated(5, at("2026-12-05"), "satisfied", True)],
    ]
    q_life = [
        [dispatched(1, at("2026-11-03"), "WJ")],
        [
            event(
                2, at("2026-11-04"), EventKind.CARD_CHANGED, clock=SIGN_FOR, before="green", after="yellow"
            ),
            event(3, at("2026-11-04", 11), EventKind.SIGNED_FOR),
            dispatched(4, at("2026-11-05"), "ZJ"),
        ],
    ]
    for i, (p_events, q_events) in enumerate(itertools.zip_longest(p_life, q_life, fillvalue=[])):
        p_leads = ["WJ"]
        q_leads = ["WJ", "ZJ"] if i >= 1 else ["WJ"]
        await project(sessions, state(p, p_leads, i + 1, p_events), state(q, q_leads, i + 1, q_events))
    # A projection sent again (a retried activity) settles nothing twice.
    await project(sessions, state(q, ["WJ", "ZJ"], 2, q_life[1]))

    async with sessions() as session:
        rows = (
            await session.scalars(
                select(FigureEventRow).order_by(FigureEventRow.ticket_no, FigureEventRow.seq)
            )
        ).all()
        facts = [(r.ticket_no, r.seq, r.kind, r.unit, r.responded, r.superseded_at, r.card) for r in rows]
        november = await rating_lines(session, NOVEMBER, None)
        to_new_year = await rating_lines(session, TO_NEW_YEAR, None)
        received = sorted(tuple(r) for r in await session.execute(receipts(NOVEMBER, None)))
        final_november = await _final_ratings(session, NOVEMBER)
        final_to_new_year = await _final_ratings(session, TO_NEW_YEAR)

    superseded = at("2026-12-05")
    assert [(no, seq, kind, unit, responded, card) for no, seq, kind, unit, responded, _, card in facts] == [
        (p, 1, "dispatched", "WJ", True, None),
        (p, 3, "rated", "WJ", None, None),
        (p, 4, "callback_recorded", "WJ", None, None),
        (p, 5, "rated", "WJ", None, None),
        (q, 1, "dispatched", "WJ", False, None),  # its sign-for card turned first
        (q, 2, "card_changed", "WJ", None, "yellow"),
        (q, 4, "dispatched", "ZJ", None, None),  # never signed for: unsettled, not responded
    ]
    # P's first rating was superseded by its second; the second stands.
    assert facts[1][5] == superseded and facts[3][5] is None

    # November: P's first rating is its final one there; to the new year, its second is.
    assert [(r.unit, r.handling, r.resolved, r.final, r.n) for r in november] == [
        ("WJ", "dissatisfied", False, True, 1)
    ]
    assert sorted((r.handling, r.resolved, r.final, r.n) for r in to_new_year) == [
        ("dissatisfied", False, False, 1),
        ("satisfied", True, True, 1),
    ]
    # 响应率: WJ received two tickets (two receipts), one responded; ZJ one, none.
    assert received == [("WJ", 2, 2, 1), ("ZJ", 1, 1, 0)]
    # A27: P counts once, by its final rating in the period (城市照明 is judged, not exempt).
    assert (final_november["WJ"].judged, final_november["WJ"].satisfied) == (1, 0)
    assert (final_to_new_year["WJ"].judged, final_to_new_year["WJ"].satisfied) == (1, 1)
