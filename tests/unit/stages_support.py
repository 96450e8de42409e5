"""What the unit tests of the ticket's transitions share (tests/unit/test_stages.py and its neighbours): the
instants, the actors, and tickets built by the real transitions up to a stage, without Temporal."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from domain.calendar import WorkingCalendar, load_seed
from domain.changes import VERDICTS_LATEST
from domain.commands import (
    Actor,
    ApplyClosure,
    ApplyReturn,
    ContactAttempt,
    Dispatch,
    PointAnswer,
    Rate,
    Registration,
    Review,
    SignFor,
    SignOff,
)
from domain.deadlines import PlanItem, PlannedDeadline, PlanRequest, plan
from domain.rulesets import CITY
from domain.stages import closure, dispatch, intake, rating
from domain.ticket import Assignment, OpeningFacts, TicketState
from domain.timeline import Step
from domain.vocabulary import ActorKind, Category, Channel, ContactPurpose, ReturnKind, Stage

RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 Asia/Shanghai
OPERATOR = Actor(kind=ActorKind.OPERATOR, id="op-1")
U1 = Actor(kind=ActorKind.UNIT, id="cred-1", unit_id="U1")
CALENDAR = WorkingCalendar(load_seed())
NOW = RECEIVED + timedelta(days=2)


def step(at: datetime = RECEIVED) -> Step:
    ids = itertools.count(1)
    return Step(now=at, new_id=lambda: f"e{next(ids)}")


def planned(state: TicketState, items: list[PlanItem]) -> dict[str, PlannedDeadline]:
    """What the plan_deadlines activity answers, from the seeded calendar."""
    return plan(
        CALENDAR, PlanRequest(items=items, red_after_working_days=state.rule_set.red_after_working_days)
    )


def opened(*, emergency: bool = False, category: Category = Category.COMPLAINT) -> TicketState:
    reg = Registration(
        ticket_no="GD12345-20261123-0000AAAA",
        channel=Channel.PHONE,
        category=category,
        emergency=emergency,
        content="路灯不亮",
        received_at=RECEIVED,
        registered_by=OPERATOR,
    )
    state = TicketState(ticket_no=reg.ticket_no, registration=reg, rule_set=CITY, verdicts=VERDICTS_LATEST)
    intake.open_ticket(state, OpeningFacts(rule_set=CITY), step())
    return state


def dispatched(**kw: object) -> TicketState:
    state = opened(**kw)  # type: ignore[arg-type]
    cmd = Dispatch(actor=OPERATOR, lead_unit="U1")
    dispatch.dispatch(state, cmd, step(), planned(state, dispatch.dispatch_plan(state, cmd, RECEIVED)))
    return state


def handling() -> TicketState:
    state = dispatched()
    dispatch.sign_for(state, SignFor(actor=U1), step(RECEIVED + timedelta(hours=1)))
    return state


def kinds(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.kind for e in events]


# -- intake and dispatch (A2, A13, A14, A17) ---------------------------------------------------------------
def return_of(kind: ReturnKind = ReturnKind.NOT_OUR_DUTY, **kw: object) -> ApplyReturn:
    fields: dict[str, object] = {
        "reason": "不属本单位职责",
        "basis": "三定方案",
        "suggested_unit": "U2",
        "signed_off_by": SignOff(name="王强", title="副局长"),
    }
    return ApplyReturn.model_validate({"actor": U1, "kind": kind, **fields, **kw})


def told_and_closed(state: TicketState) -> None:
    at = RECEIVED + timedelta(days=1)
    closure.record_contact(
        state, ContactAttempt(actor=U1, at=at, reached=True, purpose=ContactPurpose.RESULT), step(at)
    )
    answer = ApplyClosure(
        actor=U1,
        answers=[PointAnswer(point="路灯不亮", answer="已修复")],
        handled_at=at,
        process="p",
        result="r",
        basis="b",
    )
    closure.check_closure(state, answer, at)
    closure.apply_closure(state, answer, step(at))


def rated(options: list[str], *, calls_back_final: bool = True) -> TicketState:
    state = handling()
    told_and_closed(state)
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), step())
    rating.rate(state, Rate(acceptance=options, handling=options), step(), lambda: calls_back_final)
    return state


def handled_under(verdicts: int, *, designated: bool = False) -> TicketState:
    """A ticket being handled by U1, signed for at once, judged under verdict version `verdicts`."""
    registration = Registration(
        ticket_no="GD12345-20261123-0000AAAA",
        channel=Channel.PHONE,
        category=Category.COMPLAINT,
        content="路灯不亮",
        received_at=RECEIVED,
        registered_by=OPERATOR,
    )
    assignment = Assignment(
        lead_unit="U1",
        received_at=RECEIVED,
        signed_for_at=RECEIVED,
        return_by=NOW,
        survey_start_by=NOW,
        designated=designated,
    )
    return TicketState(
        ticket_no=registration.ticket_no,
        registration=registration,
        rule_set=CITY,
        verdicts=verdicts,
        stage=Stage.HANDLING,
        assignments=[assignment],
        requester_informed_at=RECEIVED,
    )
