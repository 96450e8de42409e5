"""Issue 15, must-show 1: 200 tickets driven through real ticket workflows (time-skipping server, one
worker, local-activity projections into a real read model), whose bulletin (A26), three rates (domain/rates.py)
and assessment (A27) equal figures worked out by hand below, never by the code under test.

The week (Asia/Shanghai, a test calendar with no holidays): every ticket is registered and dispatched on
Monday 10:00 and acted on concurrently.

U1, 120 complaints:
- A, 60: signed for, answered and approved on Monday; rated acceptance satisfied, handling satisfied,
  resolved (是否解决: yes).
- B, 20: the same, rated acceptance satisfied, handling basically satisfied, not resolved.
- C, 10: the same, rated dissatisfied for both stages, not resolved; called back, no redo: concluded.
- D, 10: the same, never rated: defaulted (basically satisfied, A24) when the 24 hours end on Tuesday.
- E, 20: not signed for until Wednesday 10:00: the sign-for limit (the office's own, 1 WD) ended Tuesday
  24:00, so each turned a yellow, office-set card (A22); still open.

U2, 80 tickets:
- F, 40 complaints: as A.
- G, 20 consultations: signed for Monday; their answer limit (A17.1, 2 WD) ends Wednesday 24:00 and turns a
  statutory yellow card; answered Thursday 10:00 and approved; rated acceptance satisfied, handling very
  satisfied, resolved.
- H, 20 complaints: signed for; a return applied Monday and refused by the hotline (A16.1); still open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from api.figures.assessment import assessment
from api.figures.bulletin import bulletin
from api.figures.common import Period
from db.models import TicketRow
from domain.assessment import AssessmentWeights
from domain.commands import (
    ApplyReturn,
    FiledSignatory,
    Rate,
    RecordCallback,
    Review,
    ReviewReturn,
    SignFor,
    SignOff,
)
from domain.vocabulary import Category, ContactChannel, RefusalGround, ReturnKind
from tests.driver import OPERATOR, Hotline, unit
from tests.workflows.support import MONDAY, at_local, load_test_calendar, next_weekday
from workflows.ticket import TicketWorkflow

Handle = Any
CONCURRENCY = 25


async def gathered(steps: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(step: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await step()

    return await asyncio.gather(*(one(s) for s in steps))


async def answered(hotline: Hotline, h: Handle, unit_id: str) -> None:
    """A20: the requester told, the closure applied and approved: the requester is asked to rate."""
    await hotline.inform_requester(h, unit_id)
    state = await hotline.state(h)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(state, unit_id))
    await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))


def rating(acceptance: str, handling: str, resolved: bool) -> Rate:
    return Rate(acceptance=[acceptance], handling=[handling], resolved=resolved)


async def life(hotline: Hotline, group: str, h: Handle) -> None:
    """What Monday brings each group (E's sign-for and G's answer come later in the week)."""
    unit_id = "U2" if group in "FGH" else "U1"
    if group != "E":
        await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit(unit_id)))
    if group in "ABCDF":
        await answered(hotline, h, unit_id)
    if group in "AF":
        await hotline.act(h, TicketWorkflow.rate, rating("satisfied", "satisfied", True))
    elif group == "B":
        await hotline.act(h, TicketWorkflow.rate, rating("satisfied", "basically_satisfied", False))
    elif group == "C":
        await hotline.act(h, TicketWorkflow.rate, rating("dissatisfied", "dissatisfied", False))
        callback = RecordCallback(
            actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=False
        )
        await hotline.act(h, TicketWorkflow.record_callback, callback)
    elif group == "H":
        application = ApplyReturn(
            actor=unit(unit_id),
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="不属本单位职责",
            basis="三定方案",
            suggested_unit="U1",
            signed_off_by=SignOff(
                name="王强", title="副局长", filed=FiledSignatory(person_id=1, role="leader_in_charge")
            ),
        )
        await hotline.act(h, TicketWorkflow.apply_return, application)
        refusal = ReviewReturn(
            actor=OPERATOR,
            return_id="R1",
            approve=False,
            ground=RefusalGround.UNITS_MATTER_BY_LAW,
            reason="依职责属本单位办理",
        )
        await hotline.act(h, TicketWorkflow.review_return, refusal)


GROUPS = {"A": 60, "B": 20, "C": 10, "D": 10, "E": 20, "F": 40, "G": 20, "H": 20}


async def test_200_tickets_figures_equal_the_figures_worked_out_by_hand(hotline: Hotline) -> None:
    started = time.perf_counter()
    monday = next_weekday(await hotline.now(), MONDAY)
    await load_test_calendar(hotline.session_maker, monday - timedelta(days=7), monday + timedelta(days=30))
    await hotline.sleep_until(at_local(monday, 10))

    def registered(group: str) -> Callable[[], Awaitable[Handle]]:
        category = Category.CONSULTATION if group == "G" else Category.COMPLAINT
        return lambda: hotline.register(category, dispatch_to="U2" if group in "FGH" else "U1")

    order = [g for g, n in GROUPS.items() for _ in range(n)]
    handles = await gathered([registered(g) for g in order])
    tickets = list(zip(order, handles, strict=True))
    assert len(tickets) == 200
    await gathered([lambda g=g, h=h: life(hotline, g, h) for g, h in tickets])

    # Wednesday 10:00: D's ratings defaulted on Tuesday; E's sign-for limit ended Tuesday 24:00.
    await hotline.sleep_until(at_local(monday + timedelta(days=2), 10))
    await gathered(
        [
            lambda h=h: hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
            for g, h in tickets
            if g == "E"
        ]
    )
    # Thursday 10:00: G's answer limit ended Wednesday 24:00; answered now, and rated.
    await hotline.sleep_until(at_local(monday + timedelta(days=3), 10))

    async def late_answer(h: Handle) -> None:
        await answered(hotline, h, "U2")
        await hotline.act(h, TicketWorkflow.rate, rating("satisfied", "very_satisfied", True))

    await gathered([lambda h=h: late_answer(h) for g, h in tickets if g == "G"])
    await projected(hotline, [h for _, h in tickets])

    start = at_local(monday, 0)
    week = Period(start=start, end=start + timedelta(days=7))
    async with hotline.session_maker() as session:
        report = await bulletin(session, week)
        scores = await assessment(session, week, AssessmentWeights())

    assert report.volumes.total == 200
    assert report.volumes.by_category["complaint"] == 180 and report.volumes.by_category["consultation"] == 20
    u1, u2 = ({k: v for k, v in line.model_dump().items() if k != "name"} for line in report.units)
    assert u1 == {
        "unit": "U1",
        "received": 120,  # A–E
        "concluded": 100,  # A 60 + B 20 + C 10 + D 10
        "open": 20,  # E
        "on_time": 100,  # A–D answered on Monday, green
        "yellow": 20,  # E: the sign-for card froze yellow when signed for on Wednesday
        "red": 0,
        "yellow_cards": 20,  # E's sign-for limit, turned at Tuesday 24:00
        "red_cards": 0,
        "statutory_yellow_cards": 0,
        "statutory_red_cards": 0,
        "office_set_yellow_cards": 20,  # the sign-for limit is the office's own
        "office_set_red_cards": 0,
        "judged": 120,  # A–D answered, and E carded
        "returns_applied": 0,
        "returns_approved": 0,
        "returns_refused": 0,
        "overdue_returns": 0,
        "extensions_applied": 0,
        "extensions_approved": 0,
        "redos": 0,
        "callbacks": 10,  # C
        # handling ratings: A 60 satisfied; B 20 + D 10 (defaulted) basically satisfied; C 10 dissatisfied
        "satisfaction": {
            "very_satisfied": 0,
            "satisfied": 60,
            "basically_satisfied": 30,
            "dissatisfied": 10,
            "very_dissatisfied": 0,
        },
        "rate_counts": {
            "received": 120,
            "responded": 100,  # A–D signed for on Monday; E after its sign-for card turned
            "resolution_asked": 90,  # A + B + C answered 是否解决; D defaulted, asked nothing
            "resolved": 60,  # A
            "rated": 100,  # A–D's final ratings
            "satisfied": 90,  # A 60 + B 20 + D 10
        },
        "rates": {
            "response": {"numerator": 100, "denominator": 120, "value": 0.8333},  # 100 / 120
            "resolution": {"numerator": 60, "denominator": 90, "value": 0.6667},  # 60 / 90
            "satisfaction": {"numerator": 90, "denominator": 100, "value": 0.9},  # 90 / 100
        },
    }
    assert u2 == {
        "unit": "U2",
        "received": 80,  # F–H
        "concluded": 60,  # F 40 + G 20
        "open": 20,  # H
        "on_time": 40,  # F; G was answered while yellow
        "yellow": 20,  # G froze yellow at its conclusion
        "red": 0,
        "yellow_cards": 20,  # G's answer limit, turned at Wednesday 24:00
        "red_cards": 0,
        "statutory_yellow_cards": 20,  # the answer limit is the regulation's (A17.1)
        "statutory_red_cards": 0,
        "office_set_yellow_cards": 0,
        "office_set_red_cards": 0,
        "judged": 60,  # F + G answered; H neither answered nor carded
        "returns_applied": 20,  # H
        "returns_approved": 0,
        "returns_refused": 20,  # H, A16.1
        "overdue_returns": 0,
        "extensions_applied": 0,
        "extensions_approved": 0,
        "redos": 0,
        "callbacks": 0,
        "satisfaction": {
            "very_satisfied": 20,  # G
            "satisfied": 40,  # F
            "basically_satisfied": 0,
            "dissatisfied": 0,
            "very_dissatisfied": 0,
        },
        "rate_counts": {
            "received": 80,
            "responded": 80,  # all signed for on Monday
            "resolution_asked": 60,  # F + G
            "resolved": 60,
            "rated": 60,
            "satisfied": 60,
        },
        "rates": {
            "response": {"numerator": 80, "denominator": 80, "value": 1.0},
            "resolution": {"numerator": 60, "denominator": 60, "value": 1.0},
            "satisfaction": {"numerator": 60, "denominator": 60, "value": 1.0},
        },
    }
    # The city's rates: the units' counts summed.
    assert report.rates.model_dump() == {
        "response": {"numerator": 180, "denominator": 200, "value": 0.9},  # (100 + 80) / (120 + 80)
        "resolution": {"numerator": 120, "denominator": 150, "value": 0.8},  # (60 + 60) / (90 + 60)
        "satisfaction": {"numerator": 150, "denominator": 160, "value": 0.9375},  # (90 + 60) / (100 + 60)
    }
    # The acceptance stage (受理环节): A 60 + B 20 + F 40 + G 20 satisfied, C 10 dissatisfied, D 10 defaulted.
    assert report.acceptance.ratings == {
        "very_satisfied": 0,
        "satisfied": 140,
        "basically_satisfied": 10,
        "dissatisfied": 10,
        "very_dissatisfied": 0,
    }
    assert report.acceptance.satisfaction.model_dump() == {
        "numerator": 150,  # 140 + 10
        "denominator": 160,
        "value": 0.9375,
    }

    # A27, weights 0.4 / 0.2 / 0.4; a component's value is rounded to 4 places before it is weighed.
    s1, s2 = (line.model_dump() for line in scores.units)
    assert s1["unit"] == "U1" and s1["components"] == {
        "timeliness": {"value": 0.8333, "weight": 0.4, "numerator": 100, "denominator": 120},
        "return_quality": {"value": None, "weight": 0.2, "numerator": 0, "denominator": 0},
        "satisfaction": {"value": 0.9, "weight": 0.4, "numerator": 90, "denominator": 100},
    }
    # 100 × (0.4 × 0.8333 + 0.4 × 0.9) / (0.4 + 0.4) = 100 × 0.69332 / 0.8 = 86.665 → 86.67
    assert s1["score"] == 86.67
    assert s2["unit"] == "U2" and s2["components"] == {
        "timeliness": {"value": 0.6667, "weight": 0.4, "numerator": 40, "denominator": 60},
        "return_quality": {"value": 0.0, "weight": 0.2, "numerator": 0, "denominator": 20},
        "satisfaction": {"value": 1.0, "weight": 0.4, "numerator": 60, "denominator": 60},
    }
    # 100 × (0.4 × 0.6667 + 0.2 × 0 + 0.4 × 1) / 1 = 66.668 → 66.67
    assert s2["score"] == 66.67
    print(f"200 tickets driven and reported in {time.perf_counter() - started:.1f} s")


async def projected(hotline: Hotline, handles: list[Handle]) -> None:
    """The read model has caught up with every workflow (a projection may lag its update a little)."""
    revisions = {
        s.ticket_no: s.revision for s in await gathered([lambda h=h: hotline.state(h) for h in handles])
    }
    for _ in range(400):
        async with hotline.session_maker() as session:
            rows = {
                no: rev for no, rev in await session.execute(select(TicketRow.ticket_no, TicketRow.revision))
            }
        if all(rows.get(no, -1) >= rev for no, rev in revisions.items()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the read model never caught up")
