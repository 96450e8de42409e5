"""B5's data: a province's read model, made with the projection's own row builders (bench/b5_read_model.py).

Driving a million workflows would take days on this machine, and what B5 measures is the read model, not
the workflows. So a dozen ticket lives are played through the domain's own transitions (domain/stages/,
the same functions the workflow calls), each projected once by `activities.projection` (`ticket_values`,
`event_rows`, `unit_rows`: the rows a workflow's projection writes), and every generated ticket is one of
those lives, moved to its own registration instant and units. The rows are bulk-loaded with COPY.

Shape (a province, by the issue's figures): 1,000 units in three tiers (1 city, 100 member units, 899
sub-units), unevenly loaded (the member units' loads follow a Zipf law: the top five lead ~45% of the
tickets); twelve months of registrations; the last ten days still open, and 2% of the older tickets stuck
open past their limits (red). The notices outbox is not generated: no query timed here reads it (its growth
is the delivery issue's).
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from activities.projection import event_rows, figure_facts, limit_rows, ticket_values, unit_rows
from db.figure_models import FigureEventRow, RunningLimitRow
from domain.calendar import WorkingCalendar, load_seed
from domain.changes import VERDICTS_LATEST
from domain.clocks import refresh_cards
from domain.commands import (
    Actor,
    ApplyClosure,
    ApplyReturn,
    ContactAttempt,
    Dispatch,
    PointAnswer,
    Rate,
    RecordCallback,
    Registration,
    Requester,
    Review,
    ReviewReturn,
    SignFor,
    SignOff,
)
from domain.deadlines import PlanItem, PlannedDeadline, PlanRequest, plan
from domain.figure_events import settled
from domain.rulesets import CITY
from domain.stages import closure, dispatch, intake, rating, returns
from domain.ticket import ANSWER, OpeningFacts, TicketState
from domain.timeline import Step
from domain.vocabulary import (
    ActorKind,
    Category,
    Channel,
    ContactChannel,
    ContactPurpose,
    RefusalGround,
    ReturnKind,
)

RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Shanghai: every life starts here
NOW = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 1 December 00:00 in Shanghai: the bench's "now"
LEAD = "LEADX"  # the placeholder lead unit in a life's rows, replaced by each ticket's own
OPERATOR = Actor(kind=ActorKind.OPERATOR, id="op-bench")
UNIT = Actor(kind=ActorKind.UNIT, id="cred-bench", unit_id=LEAD)
CALENDAR = WorkingCalendar(load_seed())
TIER2, TIER3_PER = 100, 9
OPEN_DAYS = 10
STUCK_OPEN = 0.02


# -- the lives, through the domain's transitions -----------------------------------------------------------
def _step(at: datetime) -> Step:
    ids = itertools.count(1)
    return Step(now=at, new_id=lambda: f"e{next(ids)}")


def _planned(state: TicketState, items: list[PlanItem]) -> dict[str, PlannedDeadline]:
    return plan(
        CALENDAR, PlanRequest(items=items, red_after_working_days=state.rule_set.red_after_working_days)
    )


def _opened(category: Category) -> TicketState:
    reg = Registration(
        ticket_no="GD12345-20261123-0000AAAA",
        channel=Channel.PHONE,
        category=category,
        requester=Requester(name="张三", phone="13800000000"),
        content="小区路灯连续一周不亮，夜间出行不便，请尽快修复。",
        location="某区某路 88 号",
        domain="城市照明",
        received_at=RECEIVED,
        registered_by=OPERATOR,
    )
    state = TicketState(ticket_no=reg.ticket_no, registration=reg, rule_set=CITY, verdicts=VERDICTS_LATEST)
    intake.open_ticket(state, OpeningFacts(rule_set=CITY), _step(RECEIVED))
    return state


def _dispatched(category: Category, at: datetime = RECEIVED) -> TicketState:
    state = _opened(category)
    cmd = Dispatch(actor=OPERATOR, lead_unit=LEAD)
    dispatch.dispatch(state, cmd, _step(at), _planned(state, dispatch.dispatch_plan(state, cmd, at)))
    return state


def _signed(state: TicketState, at: datetime) -> None:
    refresh_cards(state, _step(at))
    dispatch.sign_for(state, SignFor(actor=UNIT), _step(at))


def _answered(state: TicketState, at: datetime) -> None:
    refresh_cards(state, _step(at))
    closure.record_contact(
        state, ContactAttempt(actor=UNIT, at=at, reached=True, purpose=ContactPurpose.RESULT), _step(at)
    )
    answer = ApplyClosure(
        actor=UNIT,
        answers=[PointAnswer(point=state.registration.content, answer="已安排抢修，路灯已恢复照明。")],
        handled_at=at,
        process="现场核查并更换损坏灯具",
        result="已修复",
        basis="《城市照明管理规定》",
    )
    closure.apply_closure(state, answer, _step(at))
    closure.review_closure(state, Review(actor=OPERATOR, approve=True), _step(at + timedelta(hours=2)))


def _rated(state: TicketState, at: datetime, option: str, resolved: bool | None) -> None:
    rate = Rate(acceptance=["satisfied"], handling=[option], resolved=resolved)
    rating.rate(state, rate, _step(at), lambda: True)


def _life(kind: str) -> TicketState:
    """One ticket's life, as the workflow would have recorded it."""
    h = timedelta(hours=1)
    d = timedelta(days=1)
    category = Category.CONSULTATION if kind == "consultation" else Category.COMPLAINT
    state = _dispatched(category)
    if kind == "dispatched":
        return state
    late_sign = kind == "late_sign_for"
    _signed(state, RECEIVED + (2 * d if late_sign else h))
    if kind == "handling":
        return state
    if kind == "stuck_red":
        refresh_cards(state, _step(state.clocks[ANSWER].red_at + h))
        return state
    if kind == "refused_return":
        ret = ApplyReturn(
            actor=UNIT,
            kind=ReturnKind.NOT_OUR_DUTY,
            reason="不属本单位职责",
            basis="三定方案",
            suggested_unit="OTHER",
            signed_off_by=SignOff(name="王强", title="副局长"),
        )
        returns.apply_return(state, ret, _step(RECEIVED + 2 * h))
        review = ReviewReturn(
            actor=OPERATOR,
            return_id="R1",
            approve=False,
            ground=RefusalGround("A16.1"),
            reason="依职责属本单位办理",
        )
        at = RECEIVED + 4 * h
        returns.review_return(
            state, review, _step(at), _planned(state, returns.review_return_plan(state, review, at))
        )
    late_answer = kind == "late_answer"
    answered_at = state.clocks[ANSWER].red_at + h if late_answer else RECEIVED + 3 * d
    _answered(state, answered_at)
    rated_at = answered_at + 5 * h
    if kind == "defaulted":
        rating.rating_window_passes(state, _step(rated_at + 2 * d), lambda: True)
    elif kind == "dissatisfied":
        _rated(state, rated_at, "dissatisfied", False)
        callback = RecordCallback(
            actor=OPERATOR, channel=ContactChannel.PHONE, reached=True, wants_redo=False
        )
        rating.record_callback(state, callback, _step(rated_at + d))
    else:
        _rated(
            state,
            rated_at,
            "satisfied" if kind != "unresolved" else "basically_satisfied",
            kind != "unresolved",
        )
    return state


# kind, share of its group: the open ones for the last ten days, the concluded ones before.
OPEN_LIVES = (("dispatched", 0.3), ("handling", 0.7))
CONCLUDED_LIVES = (
    ("satisfied", 0.45),
    ("consultation", 0.15),
    ("unresolved", 0.08),
    ("dissatisfied", 0.08),
    ("defaulted", 0.08),
    ("late_sign_for", 0.06),
    ("late_answer", 0.05),
    ("refused_return", 0.05),
)


@dataclass(frozen=True)
class Life:
    """A life's rows, as the projection builds them, ready to be copied with other units and times."""

    kind: str
    ticket: dict[str, Any]
    state_json: str
    events: list[tuple[int, timedelta, str, str, str | None, str, str | None]]
    is_open: bool
    # Its running limits (A17): clock, due and red offsets from RECEIVED, whose, stage.
    limits: list[tuple[str, timedelta, timedelta, str, str]]
    # Its figure events (A26, A27), settled as the projection leaves them; instants as offsets from RECEIVED.
    figures: list[dict[str, Any]]


def lives() -> dict[str, Life]:
    out = {}
    for kind, _ in (*OPEN_LIVES, *CONCLUDED_LIVES, ("stuck_red", 0)):
        state = _life(kind)
        ticket = ticket_values(state)
        events = [
            (e["seq"], e["at"] - RECEIVED, e["kind"], e["actor"], e["rule"], json.dumps(e["data"]), e["unit"])
            for e in event_rows(state)
        ]
        assert unit_rows(state)[0]["unit"] == LEAD
        limits = [
            (r["clock"], r["due_at"] - RECEIVED, r["red_at"] - RECEIVED, r["charged_to"], r["stage"])
            for r in limit_rows(state)
        ]
        figures = settled(*figure_facts(state.ticket_no, state.registration.domain, event_rows(state)))
        for f in figures:
            f["at"] -= RECEIVED
            f["superseded_at"] = f["superseded_at"] - RECEIVED if f["superseded_at"] else None
        state_json = json.dumps(ticket.pop("state"))
        out[kind] = Life(kind, ticket, state_json, events, state.concluded_at is None, limits, figures)
    return out


# -- the province ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Province:
    tier2: list[str]
    children: dict[str, list[str]]
    weights: list[float]

    @classmethod
    def make(cls) -> Province:
        tier2 = [f"P2-{i:03d}" for i in range(TIER2)]
        children: dict[str, list[str]] = {u: [] for u in tier2}
        for i in range(999 - TIER2):
            children[tier2[i % TIER2]].append(f"P3-{i:03d}")
        return cls(tier2, children, [1 / (i + 1) ** 1.1 for i in range(TIER2)])

    def unit_rows(self, created_at: datetime) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = [("PROVINCE", "省12345热线", 1, None, "other", created_at, None)]
        for u in self.tier2:
            rows.append((u, f"成员单位 {u}", 2, "PROVINCE", "department", created_at, None))
            rows += [(c, f"下属单位 {c}", 3, u, "town", created_at, None) for c in self.children[u]]
        return rows


TICKET_COLUMNS = [
    "ticket_no",
    "category",
    "channel",
    "emergency",
    "stage",
    "outcome",
    "lead_unit",
    "co_units",
    "forwarded_to",
    "card",
    "sign_for_due_at",
    "answer_due_at",
    "provisional",
    "rule_set_key",
    "requester_name",
    "requester_phone",
    "requester_confidential",
    "content",
    "location",
    "domain",
    "registered_at",
    "registered_by",
    "concluded_at",
    "answer_met_at",
    "answer_card",
    "ended_outside",
    "ended_outside_at",
    "revision",
    "state",
    "updated_at",
]
EVENT_COLUMNS = ("id", "ticket_no", "seq", "at", "kind", "actor", "rule", "data", "unit")
UNIT_COLUMNS = ("ticket_no", "unit", "role", "registered_at", "is_open", "confidential")
# The reports' tables' columns in their own order (db/figure_models.py), as COPY takes them.
FIGURE_COLUMNS = tuple(c.name for c in FigureEventRow.__table__.columns)
LIMIT_COLUMNS = tuple(c.name for c in RunningLimitRow.__table__.columns)
_TIMES = ("sign_for_due_at", "answer_due_at", "registered_at", "concluded_at", "answer_met_at")


@dataclass
class Batch:
    tickets: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    units: list[tuple[Any, ...]]
    limits: list[tuple[Any, ...]]
    figures: list[tuple[Any, ...]]


def batches(n: int, size: int, seed: int = 12345) -> Iterator[Batch]:
    """n tickets in batches, registered over the twelve months before NOW, each one of the lives."""
    rnd = random.Random(seed)
    province, made = Province.make(), lives()
    year = timedelta(days=365).total_seconds()
    open_since = NOW - timedelta(days=OPEN_DAYS)
    # In the order they were registered: a read model fills in time order, so a month's rows lie together
    # on disk, as they do in service (randomly ordered rows would make every period scan the whole table).
    instants = sorted(NOW - timedelta(seconds=rnd.random() * year) for _ in range(n))
    for start in range(0, n, size):
        batch = Batch([], [], [], [], [])
        for i in range(start, min(n, start + size)):
            registered = instants[i]
            if registered >= open_since:
                kind = _pick(rnd, OPEN_LIVES)
            else:
                kind = "stuck_red" if rnd.random() < STUCK_OPEN else _pick(rnd, CONCLUDED_LIVES)
            _ticket(batch, i, registered, made[kind], province, rnd)
        yield batch


def _pick(rnd: random.Random, lives: tuple[tuple[str, float], ...]) -> str:
    return rnd.choices([k for k, _ in lives], [w for _, w in lives])[0]


def _ticket(batch: Batch, i: int, registered: datetime, life: Life, p: Province, rnd: random.Random) -> None:
    shift = registered - RECEIVED
    no = f"GD12345-{registered:%Y%m%d}-{i:08X}"
    lead = rnd.choices(p.tier2, p.weights)[0]
    forwarded = rnd.choice(p.children[lead]) if p.children[lead] and rnd.random() < 0.4 else None
    co = rnd.choice(p.tier2) if rnd.random() < 0.15 else None
    co_units = [co] if co and co != lead else []
    row = dict(life.ticket)
    for k in _TIMES:
        if row[k] is not None:
            row[k] = row[k] + shift
    row |= {
        "ticket_no": no,
        "lead_unit": lead,
        "co_units": json.dumps(co_units),
        "forwarded_to": forwarded,
        "requester_phone": f"139{i:08d}",
        "requester_confidential": i % 100 == 0,
        "state": life.state_json,
        "updated_at": row["concluded_at"] or registered,
        "ended_outside": None,
        "ended_outside_at": None,
    }
    batch.tickets.append(tuple(row[c] for c in TICKET_COLUMNS))
    lead_json = json.dumps(lead)
    for seq, at, kind, actor, rule, data, holder in life.events:
        data = data.replace(f'"{LEAD}"', lead_json) if LEAD in data else data
        batch.events.append(
            (
                f"{no}:{seq}",
                no,
                seq,
                registered + at,
                kind,
                actor,
                rule,
                data,
                lead if holder == LEAD else holder,
            )
        )
    roles = (
        [("lead", lead)] + ([("forwarded", forwarded)] if forwarded else []) + [("co", u) for u in co_units]
    )
    batch.units += [(no, u, r, registered, life.is_open, row["requester_confidential"]) for r, u in roles]
    confidential = row["requester_confidential"]
    batch.limits += [
        (no, clock, registered + due, registered + red, whose, stage, lead, forwarded, confidential)
        for clock, due, red, whose, stage in life.limits
    ]
    for f in life.figures:
        moved = f | {
            "ticket_no": no,
            "at": registered + f["at"],
            "unit": lead if f["unit"] == LEAD else f["unit"],
            "superseded_at": registered + f["superseded_at"] if f["superseded_at"] is not None else None,
        }
        batch.figures.append(tuple(moved[c] for c in FIGURE_COLUMNS))
