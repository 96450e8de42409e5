"""Hot spots and the dashboard on each database (api/figures/hotspots.py, dashboard.py): ticket states
projected by the projection's own writer, counted by the reports' SQL, compared with counts written here.

The week judged is Monday 2026-11-23 (Asia/Shanghai); the four before it start 10-26, 11-02, 11-09, 11-16.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.projection import write_projection
from api.figures.dashboard import dashboard
from api.figures.hotspots import hot_spots, weekly_registrations
from db.api_models import UnitRow
from db.seed import seed_reference_data
from domain.calendar import SHANGHAI
from domain.rulesets import CITY, Period
from domain.ticket import ANSWER, SIGN_FOR, Assignment, Clock, TicketState
from domain.vocabulary import Card, Category, Stage
from tests.db.support import registration

Sessions = async_sessionmaker[AsyncSession]
WEEK = datetime(2026, 11, 23, tzinfo=SHANGHAI).date()
UNITS = [  # (id, name, tier, kind, parent)
    ("SG", "韶关市人民政府", 1, "other", None),
    ("WJ", "韶关市武江区人民政府", 2, "county", "SG"),
    ("ZJ", "韶关市浈江区人民政府", 2, "county", "SG"),
    ("POWER", "韶关供电局", 2, "utility", "SG"),
    ("WJ-URBAN", "武江区城管局", 3, "department", "WJ"),
]
_serial = iter(range(1, 10_000))


def local(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def ticket(
    received: datetime,
    *,
    domain: str = "城市照明",
    location: str = "武江区解放路",
    lead: str | None = "WJ",
    forwarded: str | None = None,
    stage: Stage = Stage.HANDLING,
    clocks: dict[str, Clock] | None = None,
    category: Category = Category.COMPLAINT,
    confidential: bool = False,
) -> TicketState:
    no = f"T-20261101-{next(_serial):04d}"
    reg = registration(no, received_at=received, domain=domain, location=location, category=category)
    if confidential:
        reg = reg.model_copy(update={"requester": reg.requester.model_copy(update={"confidential": True})})
    assignments = (
        [
            Assignment(
                lead_unit=lead,
                received_at=received,
                return_by=received,
                survey_start_by=received,
                forwarded_to=forwarded,
            )
        ]
        if lead
        else []
    )
    return TicketState(
        ticket_no=no,
        registration=reg,
        rule_set=CITY,
        stage=stage,
        assignments=assignments,
        clocks=clocks or {},
    )


def clock(name: str, due_at: datetime, card: Card = Card.GREEN, met_at: datetime | None = None) -> Clock:
    return Clock(
        name=name,
        period=Period(working_days=1),
        anchor_at=due_at - timedelta(days=1),
        due_at=due_at,
        red_at=due_at + timedelta(days=3),
        card=card,
        met_at=met_at,
    )


async def project(sessions: Sessions, states: list[TicketState]) -> None:
    async with sessions() as session:
        for u in UNITS:
            session.add(
                UnitRow(
                    id=u[0], name=u[1], tier=u[2], kind=u[3], parent_id=u[4], created_at=datetime.now(UTC)
                )
            )
        await session.commit()
    async with sessions() as session:
        conn = await session.connection()
        for state in states:
            await write_projection(conn, state)
        await session.commit()


async def test_hot_spots_count_by_matter_district_and_shanghai_week_and_flag_the_rising(
    sessions: Sessions,
) -> None:
    states = [
        # 城市照明 in 武江区: 1 a week before (mean 1.0), 3 this week → rising (3 ≥ 2 × 1.0, ≥ min 3).
        *(ticket(local(d)) for d in ("2026-10-27", "2026-11-03", "2026-11-10", "2026-11-17")),
        *(ticket(local(d)) for d in ("2026-11-23", "2026-11-25", "2026-11-29")),
        # Sunday 23:30 Shanghai is still the week before (15:30 UTC): not this week's.
        ticket(datetime(2026, 11, 22, 15, 30, tzinfo=UTC)),
        # 供水 in 浈江区, only this week (a zero mean): 3 → rising and new; the location names the district.
        *(
            ticket(local("2026-11-24"), domain="供水", location="浈江区风采路", lead="POWER")
            for _ in range(3)
        ),
        # 噪音 with no district in the location, led by WJ's sub-unit's tree → WJ's county; 2 < min 3.
        *(ticket(local("2026-11-24"), domain="噪音", location="某小区", lead="WJ-URBAN") for _ in range(2)),
        # No domain: counted under its category; no district anywhere (a city utility, no place named).
        ticket(local("2026-11-24"), domain="", location="", lead="POWER", category=Category.HELP),
    ]
    await project(sessions, states)
    async with sessions() as session:
        spots = await hot_spots(session, WEEK, scope=None, unit=None)
        trend = await weekly_registrations(session, local("2026-11-01", 0), local("2026-12-01", 0), None)
    got = {(s.matter_type, s.district): (s.counts, s.rising, s.new) for s in spots.items}
    assert got == {
        # The week before holds 2 (11-17 and the Sunday 23:30): mean (1+1+1+2)/4 = 1.25, 3 ≥ 2.5.
        ("城市照明", "WJ"): ([1, 1, 1, 2, 3], True, False),
        ("供水", "ZJ"): ([0, 0, 0, 0, 3], True, True),
        ("噪音", "WJ"): ([0, 0, 0, 0, 2], False, True),
        ("求助", None): ([0, 0, 0, 0, 1], False, True),
    }
    assert [s.matter_type for s in spots.items][:2] == ["供水", "城市照明"]  # rising first, then by count
    assert spots.weeks[0].isoformat() == "2026-10-26" and spots.week == WEEK
    # The trend: November's weeks (the first clipped to 11-01, a Sunday, so its Monday is 10-26).
    assert [(m.isoformat(), n) for m, n in trend] == [
        ("2026-10-26", 0),
        ("2026-11-02", 1),
        ("2026-11-09", 1),
        ("2026-11-16", 2),
        ("2026-11-23", 9),
        ("2026-11-30", 0),
    ]

    async with sessions() as session:
        county = await hot_spots(session, WEEK, scope=frozenset({"WJ", "WJ-URBAN"}), unit="WJ", min_count=2)
    assert {(s.matter_type, s.rising) for s in county.items} == {("城市照明", True), ("噪音", True)}


async def test_the_dashboard_shows_open_cards_per_unit_and_tier_and_what_falls_due(
    sessions: Sessions,
) -> None:
    await seed_reference_data(sessions)  # the State Council calendar: 2026-11-27 is a Friday, 11-30 a Monday
    now = local("2026-11-27", 15)  # Friday 15:00
    today_end, monday_end = local("2026-11-28", 0), local("2026-12-01", 0)
    red = ticket(now - timedelta(days=9), clocks={ANSWER: clock(ANSWER, now - timedelta(days=4), Card.RED)})
    yellow = ticket(
        now - timedelta(days=5), clocks={ANSWER: clock(ANSWER, now - timedelta(hours=5), Card.YELLOW)}
    )
    forwarded = ticket(
        now - timedelta(days=6),
        forwarded="WJ-URBAN",
        clocks={ANSWER: clock(ANSWER, now - timedelta(days=1), Card.YELLOW)},
    )
    secret = ticket(
        now - timedelta(days=9),
        lead="POWER",
        confidential=True,
        clocks={ANSWER: clock(ANSWER, now - timedelta(days=4), Card.RED)},
    )
    # Concluded red: its card froze; not on the dashboard.
    frozen = ticket(
        now - timedelta(days=20),
        stage=Stage.CONCLUDED,
        clocks={ANSWER: clock(ANSWER, now - timedelta(days=10), Card.RED)},
    )
    due_today = ticket(
        now - timedelta(days=1),
        lead="POWER",
        stage=Stage.DISPATCHED,
        clocks={SIGN_FOR: clock(SIGN_FOR, today_end), ANSWER: clock(ANSWER, monday_end + timedelta(days=7))},
    )
    due_monday = ticket(now - timedelta(days=3), clocks={ANSWER: clock(ANSWER, monday_end)})
    met_today = ticket(
        now - timedelta(days=3),
        stage=Stage.CLOSURE_REVIEW,
        clocks={ANSWER: clock(ANSWER, today_end, met_at=now)},
    )
    passed = ticket(now - timedelta(days=3), clocks={ANSWER: clock(ANSWER, now - timedelta(minutes=1))})
    await project(
        sessions, [red, yellow, forwarded, secret, frozen, due_today, due_monday, met_today, passed]
    )

    async with sessions() as session:
        office = await dashboard(session, now, unit=None, scope=None, cleared=False)
        cleared = await dashboard(session, now, unit=None, scope=None, cleared=True)
        county = await dashboard(session, now, unit="WJ", scope=frozenset({"WJ", "WJ-URBAN"}), cleared=True)
        sub = await dashboard(session, now, unit="WJ-URBAN", scope=frozenset({"WJ-URBAN"}), cleared=True)

    def cards(board: Any) -> dict[str, tuple[int, int, list[str], int]]:
        return {u.unit: (u.yellow, u.red, [t.ticket_no for t in u.tickets], u.unlisted) for u in board.units}

    assert cards(office) == {
        "POWER": (0, 1, [], 1),  # A32: counted, not listed for uncleared staff
        "WJ": (1, 1, [red.ticket_no, yellow.ticket_no], 0),  # red first
        "WJ-URBAN": (1, 0, [forwarded.ticket_no], 0),  # under the sub-unit holding it (A6)
    }
    assert cards(cleared)["POWER"] == (0, 1, [secret.ticket_no], 0)
    assert [(t.tier, t.yellow, t.red) for t in office.tiers] == [(2, 1, 2), (3, 1, 0)]
    assert set(cards(county)) == {"WJ", "WJ-URBAN"} and set(cards(sub)) == {"WJ-URBAN"}

    assert (office.due_today.day.isoformat(), office.due_next_working_day.day.isoformat()) == (
        "2026-11-27",
        "2026-11-30",
    )
    assert [(d.ticket_no, d.clock, d.unit) for d in office.due_today.items] == [
        (due_today.ticket_no, SIGN_FOR, "POWER")
    ]
    assert [(d.ticket_no, d.clock) for d in office.due_next_working_day.items] == [
        (due_monday.ticket_no, ANSWER)
    ]
    assert county.due_today.items == [] and [d.ticket_no for d in county.due_next_working_day.items] == [
        due_monday.ticket_no
    ]


async def test_the_citys_board_lists_each_units_worst_three_and_a_units_board_twenty(
    sessions: Sessions,
) -> None:
    """A22 at a province's scale (bench B5): the city's board counts every card but lists each unit's three
    worst (red first, then the earliest answer limit), saying how many more; a unit's own board lists up to
    twenty, and `per_unit` asks for any number."""
    await seed_reference_data(sessions)
    now = local("2026-11-27", 15)
    reds = [
        ticket(now - timedelta(days=9), clocks={ANSWER: clock(ANSWER, now - timedelta(days=5 - i), Card.RED)})
        for i in range(4)
    ]
    yellow = ticket(
        now - timedelta(days=5), clocks={ANSWER: clock(ANSWER, now - timedelta(hours=5), Card.YELLOW)}
    )
    await project(sessions, [yellow, *reds])
    async with sessions() as session:
        city = await dashboard(session, now, unit=None, scope=None, cleared=True)
        own = await dashboard(session, now, unit="WJ", scope=frozenset({"WJ", "WJ-URBAN"}), cleared=True)
        asked = await dashboard(session, now, unit=None, scope=None, cleared=True, per_unit=1)
    (line,) = city.units
    assert (line.yellow, line.red, line.unlisted) == (1, 4, 2)
    assert [t.ticket_no for t in line.tickets] == [r.ticket_no for r in reds[:3]]
    assert [t.ticket_no for t in own.units[0].tickets] == [*(r.ticket_no for r in reds), yellow.ticket_no]
    assert (len(asked.units[0].tickets), asked.units[0].unlisted) == (1, 4)
