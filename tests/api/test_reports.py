"""Chapter 5 reports through HTTP (A25 supervision, A26 bulletin, A27 assessment), from the SQL read model.

One week, controlled (no holidays; D0 is a Monday, 09:00 Asia/Shanghai), four tickets with known outcomes:

- T1, WJ-URBAN, complaint by phone: extended (A17), answered on time, rated satisfied (A24).
- T2, WJ-URBAN, complaint on the web: returned in time, the return refused (A16.1), still open.
- T3, WJ-POWER, consultation by app: returned on D2 after its 1-WD window (overdue, A14) and refused
  (A16.1); unanswered, its answer limit (end of D2) is more than 2 WD past by D5: red (A22).
- T4, WJ-POWER, help by WeChat, domain "mediation": answered on time, rated dissatisfied, called back,
  redone, answered on time again and rated dissatisfied (final, A24).

The world is built once (its own time-skipping server: the clock moves by days); the tests only read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.figures.bulletin import UnitPerformance
from db.models import TicketRow
from domain.assessment import AssessmentWeights, SatisfactionTally, assess
from domain.calendar import SHANGHAI
from domain.rates import RateCounts
from tests.api.support import POINTS, UNITS, Api, Ticket, closure_body, rate, serving
from tests.driver import own_time_skipping_server

URBAN, POWER, HOUSING = "WJ-URBAN", "WJ-POWER", "ZJ-HOUSING"  # member units (tier 2); HOUSING gets nothing
NAME = {unit_id: name for unit_id, name, *_ in UNITS}
UNIT_CALLER = {URBAN: "urban", POWER: "power"}
SIGN_OFF = {"name": "王强", "title": "副局长"}


def a_return(suggested_unit: str) -> dict[str, Any]:
    return {
        "kind": "not_our_duty",
        "reason": "不属本单位职责",
        "basis": "《韶关市城市照明管理办法》第五条",
        "suggested_unit": suggested_unit,
        "signed_off_by": SIGN_OFF,
    }


REFUSE_RETURN = {"approve": False, "ground": "A16.1", "reason": "依职责属本单位办理"}


@dataclass(frozen=True)
class World:
    api: Api
    t1: str
    t2: str
    t3: str
    t4: str
    period: dict[str, str]


async def register(api: Api, unit: str, **overrides: Any) -> Ticket:
    created = await api.register(dispatch_to=unit, **overrides)
    await api.act(created["ticket_no"], "sign-for", as_=UNIT_CALLER[unit])
    return Ticket(created["ticket_no"], created["access_secret"], created["rating_code"])


async def answer(api: Api, no: str, unit: str) -> None:
    """A20: the requester told, closure applied and approved; the requester is asked to rate."""
    caller = UNIT_CALLER[unit]
    await api.act(no, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_=caller)
    await api.act(no, "closure", closure_body(POINTS, await api.now()), as_=caller)
    await api.act(no, "closure/review", {"approve": True})


async def projected(api: Api, nos: list[str]) -> None:
    """The read model has caught up with each ticket's workflow (it lags a little)."""
    for no in nos:
        revision = (await api.ticket(no))["revision"]
        for _ in range(200):
            async with api.session_maker() as session:
                stored = await session.scalar(select(TicketRow.revision).where(TicketRow.ticket_no == no))
            if stored is not None and stored >= revision:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"{no} never projected revision {revision}")


@pytest.fixture(scope="module")
async def world(module_session_maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    async with own_time_skipping_server() as env, serving(env, module_session_maker) as api:
        await api.weekends_only()
        monday = await api.next_monday()
        await api.sleep_until(monday)

        t1 = await register(api, URBAN, channel="phone")
        await api.act(t1.no, "extension", {"reason": "需协调多部门", "requester_told": True}, as_="urban")
        await api.act(t1.no, "extension/review", {"approve": True, "reason": "理由充分"})
        await answer(api, t1.no, URBAN)
        await rate(api, t1, "satisfied")

        t2 = await register(api, URBAN, channel="web")
        await api.act(t2.no, "returns", a_return(POWER), as_="urban")
        await api.act(t2.no, "returns/R1/review", REFUSE_RETURN)

        t3 = await register(api, POWER, channel="app", category="consultation")

        t4 = await register(api, POWER, channel="wechat_mini_program", category="help", domain="mediation")
        await answer(api, t4.no, POWER)
        await rate(api, t4, "dissatisfied")
        await api.act(t4.no, "callbacks", {"channel": "phone", "reached": True, "wants_redo": True})
        await api.act(t4.no, "redo", {"approve": True, "reason": "调解协议未落实"})
        await answer(api, t4.no, POWER)
        await rate(api, t4, "dissatisfied")
        # A24: the final rating is called back too, and that concludes the ticket.
        await api.act(t4.no, "callbacks", {"channel": "phone", "reached": True, "wants_redo": False})

        # D2 10:00: past T3's return window (end of D1): an overdue return, refused.
        await api.sleep_until(monday + timedelta(days=2, hours=1))
        returned = await api.act(t3.no, "returns", a_return(URBAN), as_="power")
        assert returned["returns"][0]["overdue"] is True
        await api.act(t3.no, "returns/R1/review", REFUSE_RETURN)

        # D5 10:00 (a Saturday): T3's answer limit, end of D2, is more than 2 WD past.
        await api.sleep_until(monday + timedelta(days=5, hours=1))
        await api.until(t3.no, lambda t: t["card"] == "red")
        await projected(api, [t1.no, t2.no, t3.no, t4.no])

        start = monday.astimezone(SHANGHAI).replace(hour=0)
        period = {"from": start.isoformat(), "to": (start + timedelta(days=7)).isoformat()}
        yield World(api, t1.no, t2.no, t3.no, t4.no, period)


def performance(unit: str, **figures: Any) -> dict[str, Any]:
    counts = RateCounts(**figures.pop("rate_counts", {}))
    figures |= {"rate_counts": counts, "rates": counts.rates()}
    satisfaction = {
        "very_satisfied": 0,
        "satisfied": 0,
        "basically_satisfied": 0,
        "dissatisfied": 0,
        "very_dissatisfied": 0,
    } | figures.pop("satisfaction", {})
    return UnitPerformance(unit=unit, name=NAME[unit], **figures).model_dump() | {
        "satisfaction": satisfaction
    }


URBAN_WEEK = performance(
    URBAN,
    received=2,
    concluded=1,
    open=1,
    on_time=1,
    judged=1,
    returns_applied=1,
    returns_refused=1,
    extensions_applied=1,
    extensions_approved=1,
    satisfaction={"satisfied": 1},
    # T1 and T2 signed for at once; T1's final rating satisfied, 是否解决 not asked (an older client).
    rate_counts={"received": 2, "responded": 2, "rated": 1, "satisfied": 1},
)
POWER_WEEK = performance(
    POWER,
    received=2,  # the redo is no new receipt (A24)
    concluded=1,
    open=1,
    on_time=1,
    red=1,
    yellow_cards=1,  # T3's answer limit: yellow after D2, red after D4 (A22)
    red_cards=1,
    statutory_yellow_cards=1,  # the answer limit is the regulation's (A17), not the office's
    statutory_red_cards=1,
    judged=2,
    returns_applied=1,
    returns_refused=1,
    overdue_returns=1,
    redos=1,
    callbacks=2,  # after each dissatisfied rating of T4 (A24)
    satisfaction={"dissatisfied": 2},  # both rounds of T4
    # T3 and T4 signed for at once (T4's redo is no receipt); T4's final rating dissatisfied.
    rate_counts={"received": 2, "responded": 2, "rated": 1, "satisfied": 0},
)
HOUSING_WEEK = performance(HOUSING)  # every figure zero
NO_CATEGORY = {"consultation": 0, "help": 0, "complaint": 0, "report": 0, "suggestion": 0}
NO_CHANNEL = {
    "phone": 0,
    "web": 0,
    "app": 0,
    "wechat_mini_program": 0,
    "provincial_platform": 0,
    "national_platform": 0,
    "sub_centre": 0,
    "linkage": 0,  # A23: handed over by 110/119/120/122
}


async def report(world: World, path: str, as_: str = "operator", **params: Any) -> dict[str, Any]:
    response = await world.api.get(f"/reports/{path}", as_=as_, params=world.period | params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a26_bulletin_gives_volumes_and_each_units_performance(world: World) -> None:
    """A26: volumes by category and channel, and per unit: receipts, conclusions, cards (A22), returns
    (A14–A16), extensions (A17), redos, callbacks and ratings (A24)."""
    bulletin = await report(world, "bulletin")

    assert bulletin["period"] == world.period and bulletin["unit"] is None
    assert bulletin["volumes"] == {
        "total": 4,
        "by_category": NO_CATEGORY | {"complaint": 2, "consultation": 1, "help": 1},
        "by_channel": NO_CHANNEL | {"phone": 1, "web": 1, "app": 1, "wechat_mini_program": 1},
    }
    assert bulletin["units"] == [POWER_WEEK, URBAN_WEEK, HOUSING_WEEK]

    # An operator may ask for one unit; a period before the tickets has nothing in it.
    assert (await report(world, "bulletin", unit=POWER))["units"] == [POWER_WEEK]
    before = datetime.fromisoformat(world.period["from"]) - timedelta(days=7)
    empty = await report(world, "bulletin", **{"from": before.isoformat(), "to": world.period["from"]})
    assert empty["units"] == [performance(POWER), performance(URBAN), HOUSING_WEEK]
    assert empty["volumes"]["total"] == 0


async def test_a26_the_bulletin_names_every_member_unit_and_lists_the_idle_ones_at_zero(world: World) -> None:
    """A26 reports each unit's performance: every member unit (tier 2, A6) is listed by id and registered
    name, one with no ticket in the period at zero rather than left out. The county (tier 1) and a
    sub-unit (tier 3, whose work is charged to its lead) lead no ticket and are not listed."""
    bulletin = await report(world, "bulletin")
    listed = {u["unit"]: u["name"] for u in bulletin["units"]}
    assert listed == {
        POWER: "武江供电局",
        URBAN: "武江区城市管理和综合执法局",
        HOUSING: "浈江区住房和城乡建设局",
    }
    [housing] = [u for u in bulletin["units"] if u["unit"] == HOUSING]
    figures = {
        k: v for k, v in housing.items() if k not in {"unit", "name", "satisfaction", "rate_counts", "rates"}
    }
    assert figures and set(figures.values()) == {0}
    assert set(housing["rate_counts"].values()) == {0}
    assert [r["value"] for r in housing["rates"].values()] == [None, None, None]  # nothing to measure
    assert set(housing["satisfaction"].values()) == {0}

    # Asked for by name, or by its own staff, the idle unit gets its zeros too.
    assert (await report(world, "bulletin", unit=HOUSING))["units"] == [HOUSING_WEEK]
    own = await report(world, "bulletin", as_="zhenjiang")
    assert own["unit"] == HOUSING and own["units"] == [HOUSING_WEEK] and own["volumes"]["total"] == 0
    assert (await report(world, "bulletin", unit="WJ-URBAN-XH"))["units"] == []


async def test_a22_a25_a_card_stays_charged_to_the_unit_that_earned_it(api: Api) -> None:
    """A22/A25: a unit sits on a ticket until its sign-for limit is red, then a coordination designates
    another unit. The ticket figures follow the ticket (the new lead), but the cards shown stay charged to
    the unit that held it when they turned: a re-dispatch does not wipe a unit's record."""
    await api.weekends_only()
    monday = await api.next_monday()
    await api.sleep_until(monday)
    no = (await api.register(dispatch_to=URBAN))["ticket_no"]
    await api.sleep_until(monday + timedelta(days=4, hours=1))  # sign-for: yellow after D1, red after D3
    await api.until(no, lambda t: t["clocks"]["sign_for"]["card"] == "red")
    await api.act(no, "disputes", {"kind": "several_units", "units": [URBAN, POWER], "reason": "边界不清"})
    await api.post(f"/coordinations/{no}/1/designate", {"lead_unit": POWER})
    await api.until(no, lambda t: t["lead_unit"] == POWER)
    await projected(api, [no])
    start = monday.astimezone(SHANGHAI).replace(hour=0)
    period = {"from": start.isoformat(), "to": (start + timedelta(days=7)).isoformat()}
    response = await api.get("/reports/bulletin", params=period | {"unit": URBAN})
    [urban] = response.json()["units"]
    assert (urban["yellow_cards"], urban["red_cards"], urban["red"]) == (1, 1, 0)


async def test_a26_unit_staff_get_their_own_units_bulletin_only(world: World) -> None:
    """A26 for a unit: the bulletin is forced to the caller's unit; another unit's is 403."""
    own = await report(world, "bulletin", as_="urban")
    assert own["unit"] == URBAN and own["units"] == [URBAN_WEEK]
    assert own["volumes"]["total"] == 2
    assert own["volumes"]["by_channel"] == NO_CHANNEL | {"phone": 1, "web": 1}
    assert (await report(world, "bulletin", as_="urban", unit=URBAN))["units"] == [URBAN_WEEK]
    assert (await report(world, "bulletin", as_="power"))["units"] == [POWER_WEEK]

    other = await world.api.get("/reports/bulletin", as_="urban", params=world.period | {"unit": POWER})
    assert (other.status_code, other.json()["code"]) == (403, "FORBIDDEN")


async def test_a27_assessment_scores_units_and_shows_its_components(world: World) -> None:
    """A27: a weighted score from timeliness, return quality and satisfaction, every component shown.

    WJ-URBAN: T1 on time (T2 not yet judged) 1/1; its one decided return refused 0/1; T1 satisfied 1/1:
    0.4·1 + 0.2·0 + 0.4·1 = 80.
    WJ-POWER: T4 on time, T3 red: 1/2; its return refused 0/1; T4 is a mediation matter, so its
    dissatisfied rating is not judged and the satisfaction weight moves to timeliness (A27):
    0.8·0.5 + 0.2·0 = 40.
    """
    body = await report(world, "assessment")

    assert body["weights"] == {"timeliness": 0.4, "return_quality": 0.2, "satisfaction": 0.4}
    assert {"mediation", "law_enforcement"} <= set(body["satisfaction_exempt_domains"])
    urban, power = (next(u for u in body["units"] if u["unit"] == unit) for unit in (URBAN, POWER))
    assert urban == {
        "unit": URBAN,
        "score": 80.0,
        "components": {
            "timeliness": {"value": 1.0, "weight": 0.4, "numerator": 1, "denominator": 1},
            "return_quality": {"value": 0.0, "weight": 0.2, "numerator": 0, "denominator": 1},
            "satisfaction": {"value": 1.0, "weight": 0.4, "numerator": 1, "denominator": 1},
        },
        "satisfaction_exempt": 0,
    }
    assert power == {
        "unit": POWER,
        "score": 40.0,
        "components": {
            "timeliness": {"value": 0.5, "weight": 0.8, "numerator": 1, "denominator": 2},
            "return_quality": {"value": 0.0, "weight": 0.2, "numerator": 0, "denominator": 1},
            "satisfaction": {"value": None, "weight": 0.0, "numerator": 0, "denominator": 0},
        },
        "satisfaction_exempt": 1,
    }


async def test_a27_a_mediation_matters_dissatisfaction_does_not_lower_its_units_score(world: World) -> None:
    """A27: mediation and law-enforcement matters are "not judged by satisfaction rate alone".

    Even weighted on satisfaction only, WJ-POWER is scored on T4's timeliness, not on its two
    dissatisfied ratings; judged by satisfaction, the same figures would have scored lower.
    """
    body = await report(world, "assessment", timeliness=0, return_quality=0, satisfaction=1)
    scores = {u["unit"]: u["score"] for u in body["units"]}
    assert (scores[URBAN], scores[POWER]) == (100.0, 50.0)

    figures = UnitPerformance.model_validate(POWER_WEEK)
    exempt = assess(figures, SatisfactionTally(exempt=1), AssessmentWeights().normalised())
    judged = assess(figures, SatisfactionTally(judged=1, satisfied=0), AssessmentWeights().normalised())
    no_rating = assess(figures, SatisfactionTally(), AssessmentWeights().normalised())
    assert exempt.score == no_rating.score == 40.0 and judged.score == 20.0

    zero = await world.api.get(
        "/reports/assessment",
        params=world.period | {"timeliness": 0, "return_quality": 0, "satisfaction": 0},
    )
    assert (zero.status_code, zero.json()["code"]) == (422, "INVALID_INPUT")


async def test_a25_supervision_lists_poor_handling_signals_to_refer(world: World) -> None:
    """A25: improper returns (refused, A16), overdue returns (A14), red cards (A22) and redos (A24), with
    the ticket, the unit that held it and the rule, oldest first."""
    page = await report(world, "supervision")
    lines = [(x["ticket_no"], x["unit"], x["signal"], x["rule"]) for x in page["items"]]
    assert lines == [
        (world.t2, URBAN, "improper_return", "A16.1"),
        (world.t4, POWER, "redo_ordered", "A24"),
        (world.t3, POWER, "overdue_return", "A14.1"),
        (world.t3, POWER, "improper_return", "A16.1"),
        (world.t3, POWER, "red_card", "A22"),
    ]
    assert page["total"] == 5
    red = page["items"][-1]
    assert red["clock"] == "answer" and red["return_id"] is None
    assert page["items"][0]["return_id"] == "R1" and page["items"][0]["reason"] == REFUSE_RETURN["reason"]

    only_red = await report(world, "supervision", signal="red_card", unit=POWER)
    assert [x["ticket_no"] for x in only_red["items"]] == [world.t3]
    assert (await report(world, "supervision", unit=URBAN))["total"] == 1


@pytest.mark.parametrize(
    ("path", "caller", "status"),
    [
        ("bulletin", "integrator", 403),
        ("bulletin", None, 401),
        ("assessment", "urban", 403),
        ("assessment", "integrator", 403),
        ("assessment", None, 401),
        ("supervision", "urban", 403),
        ("supervision", "integrator", 403),
        ("supervision", None, 401),
    ],
)
async def test_a25_a27_reports_are_for_the_office(
    world: World, path: str, caller: str | None, status: int
) -> None:
    """A25/A27 supervision and assessment are the hotline office's; the A26 bulletin is for staff."""
    response = await world.api.get(f"/reports/{path}", as_=caller, params=world.period)
    assert response.status_code == status
    assert response.json()["code"] == {401: "UNAUTHENTICATED", 403: "FORBIDDEN"}[status]


async def test_a26_a_period_must_be_given_and_run_forwards(world: World) -> None:
    backwards = await world.api.get(
        "/reports/bulletin", params={"from": world.period["to"], "to": world.period["from"]}
    )
    assert (backwards.status_code, backwards.json()["code"]) == (422, "INVALID_PERIOD")
    missing = await world.api.get("/reports/assessment", params={"to": world.period["to"]})
    assert (missing.status_code, missing.json()["code"]) == (422, "INVALID_INPUT")
    half = await world.api.get("/reports/supervision", params={"from": world.period["from"]})
    assert (half.status_code, half.json()["code"]) == (422, "INVALID_PERIOD")
