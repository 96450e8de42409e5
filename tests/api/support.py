"""Driving the API through HTTP: the real app (lifespan and all) with a real worker, and what the tests send.

`Api` is the driver the `api` fixtures (tests/api/conftest.py) give: units in three tiers (A6) and one
credential per kind of caller, requests as any of them, and the server's clock (the app's clock is the
time-skipping server's, so received_at, upload times and deadlines agree). Every response is checked: never a
5xx other than a 503 with a known code.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from activities.hotline import HotlineActivities
from api.app import create_app
from config import Settings
from db.filing_models import FiledPersonRow
from db.seed import load_calendar_year
from domain.calendar import SHANGHAI, WorkingCalendar, YearCalendar
from operations.credentials import create_unit, issue_credential
from worker import build_worker

# (id, name, tier, kind, parent): a county (tier 1), two of its member units (tier 2), a town under the
# urban-management bureau (tier 3), and another county (tier 1) with an unrelated unit of its own.
UNITS = [
    ("WJ", "武江区人民政府", 1, "county", None),
    ("WJ-URBAN", "武江区城市管理和综合执法局", 2, "department", "WJ"),
    ("WJ-POWER", "武江供电局", 2, "utility", "WJ"),
    ("WJ-URBAN-XH", "新华街道办事处", 3, "town", "WJ-URBAN"),
    ("ZJ", "浈江区人民政府", 1, "county", None),
    ("ZJ-HOUSING", "浈江区住房和城乡建设局", 2, "department", "ZJ"),
]
# caller name -> (role, unit, confidential clearance)
CALLERS: dict[str, tuple[str, str | None, bool]] = {
    "operator": ("operator", None, True),
    "operator_uncleared": ("operator", None, False),
    "urban": ("unit_staff", "WJ-URBAN", False),
    "urban_cleared": ("unit_staff", "WJ-URBAN", True),
    "xinhua": ("unit_staff", "WJ-URBAN-XH", False),
    "power": ("unit_staff", "WJ-POWER", False),
    "county": ("unit_staff", "WJ", False),
    "zhenjiang": ("unit_staff", "ZJ-HOUSING", False),
    "integrator": ("integrator", None, False),
    # A4: the designated offices of the two counties, each bound to its county's unit.
    "wj_office": ("county_office", "WJ", False),
    "zj_office": ("county_office", "ZJ", False),
}
# 503 codes that mean "a dependency did not answer": anything else on a 5xx is a bug.
EXPECTED_503 = {"TEMPORAL_UNAVAILABLE", "DATABASE_UNAVAILABLE"}


def registration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone",
        "category": "complaint",
        "requester": {"name": "李华", "phone": "13800000000"},
        "content": "解放路路灯连续一周不亮",
        "request_points": ["修复解放路路灯", "说明维修时限"],
        "location": "武江区解放路 88 号",
        "dispatch_to": "WJ-URBAN",
    }
    return body | overrides


def closure_body(points: list[str], handled_at: datetime) -> dict[str, Any]:
    return {
        "answers": [{"point": p, "answer": f"已办理：{p}"} for p in points],
        "handled_at": handled_at.isoformat(),
        "process": "派维修班组到场更换灯具",
        "result": "路灯已恢复照明",
        "basis": "《城市道路照明设施管理规定》第十条",
    }


def error(response: httpx.Response) -> tuple[int, str, str | None]:
    """A refusal as (status, code, rule): every error body has a code and a message (api/errors.py)."""
    body = response.json()
    assert body["message"], body
    return response.status_code, body["code"], body.get("rule")


def end_of(d: date) -> datetime:
    """24:00 Asia/Shanghai of a day: where a working-day limit ends ("Counting time")."""
    return WorkingCalendar.end_of_day(d)


def at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass
class Api:
    http: httpx.AsyncClient
    env: WorkflowEnvironment
    session_maker: async_sessionmaker[AsyncSession]
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)
    credential_ids: dict[str, int] = field(default_factory=dict)
    allow_unavailable: bool = False

    def auth(self, caller: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[caller]}"} if caller else {}

    async def get(self, path: str, as_: str | None = "operator", **kwargs: Any) -> httpx.Response:
        headers = self.auth(as_) | kwargs.pop("headers", {})
        return await self.http.get(path, headers=headers, **kwargs)

    async def post(
        self,
        path: str,
        body: Any = None,
        as_: str | None = "operator",
        key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = self.auth(as_) | ({"Idempotency-Key": key} if key else {}) | (headers or {})
        return await self.http.post(path, json=body if body is not None else {}, headers=headers)

    async def put(self, path: str, body: Any, as_: str | None = "operator") -> httpx.Response:
        return await self.http.put(path, json=body, headers=self.auth(as_))

    async def delete(self, path: str, as_: str | None = "operator") -> httpx.Response:
        return await self.http.delete(path, headers=self.auth(as_))

    async def register(self, as_: str = "operator", **overrides: Any) -> dict[str, Any]:
        response = await self.post("/tickets", registration_body(**overrides), as_=as_)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def ticket(self, ticket_no: str, as_: str = "operator") -> dict[str, Any]:
        response = await self.get(f"/tickets/{ticket_no}", as_=as_)
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view

    async def act(
        self,
        ticket_no: str,
        action: str,
        body: dict[str, Any] | None = None,
        as_: str = "operator",
        key: str | None = None,
    ) -> dict[str, Any]:
        response = await self.post(f"/tickets/{ticket_no}/{action}", body, as_=as_, key=key)
        assert response.status_code == 200, f"{action}: {response.status_code} {response.text}"
        view: dict[str, Any] = response.json()
        return view

    async def refused(
        self, ticket_no: str, action: str, body: dict[str, Any] | None = None, as_: str = "operator"
    ) -> httpx.Response:
        response = await self.post(f"/tickets/{ticket_no}/{action}", body, as_=as_)
        assert response.status_code in (404, 409, 422), f"{action}: {response.status_code} {response.text}"
        return response

    async def until(
        self,
        ticket_no: str,
        predicate: Callable[[dict[str, Any]], bool],
        as_: str = "operator",
        attempts: int = 200,
    ) -> dict[str, Any]:
        for _ in range(attempts):
            response = await self.get(f"/tickets/{ticket_no}", as_=as_)
            if response.status_code == 200 and predicate(view := response.json()):
                return view
            await asyncio.sleep(0.05)
        raise AssertionError(f"ticket {ticket_no} never reached the expected state")

    async def listed(
        self, ticket_no: str, revision: int, as_: str = "operator", **params: Any
    ) -> dict[str, Any]:
        """The ticket's line in a list, once the read model has projected `revision` (it lags a little)."""
        for _ in range(200):
            response = await self.get("/tickets", as_=as_, params=params | {"limit": 200})
            assert response.status_code == 200, response.text
            line = next((t for t in response.json()["items"] if t["ticket_no"] == ticket_no), None)
            if line is not None:
                state = await self.ticket(ticket_no)
                if state["revision"] >= revision and line["stage"] == state["stage"]:
                    return line
            await asyncio.sleep(0.05)
        raise AssertionError(f"ticket {ticket_no} never listed at revision {revision}")

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def sleep_until(self, moment: datetime) -> None:
        delta = moment - await self.now()
        if delta > timedelta(0):
            await self.env.sleep(delta)

    async def next_monday(self, hour: int = 9) -> datetime:
        """09:00 Asia/Shanghai of the coming Monday: a week whose days the test controls."""
        today = (await self.now()).astimezone(SHANGHAI).date()
        monday = today + timedelta(days=7 - today.weekday())
        return datetime.combine(monday, time(hour), tzinfo=SHANGHAI)

    async def weekends_only(self) -> None:
        """Load this year's and next year's notices with no holidays: working days are Monday–Friday."""
        year = (await self.now()).astimezone(SHANGHAI).year
        for y in (year, year + 1):
            await load_calendar_year(
                self.session_maker,
                YearCalendar(year=y, holidays=[], adjusted_workdays=[], source="test: weekends only"),
            )


async def _no_server_errors(api: Api, response: httpx.Response) -> None:
    if response.status_code < 500:
        return
    await response.aread()
    code = response.json().get("code") if response.headers.get("content-type") == "application/json" else None
    assert response.status_code == 503, f"{response.request.url}: {response.status_code} {response.text}"
    assert code in EXPECTED_503 or api.allow_unavailable, f"{response.request.url}: {response.text}"


# -- tickets in a given stage, through the API (the authorization matrix and the schemathesis run) ---------
LEAD, CO_UNIT = "WJ-URBAN", "WJ-POWER"
POINTS = ["修复解放路路灯", "说明维修时限"]
# A15: the leader in charge every seeded unit has on file (A5, seed_callers).
SIGNER = {"name": "王强", "title": "副局长"}
RETURN = {
    "kind": "not_our_duty",
    "reason": "路灯由供电局维护",
    "basis": "《韶关市城市照明管理办法》第五条",
    "suggested_unit": CO_UNIT,
    "signed_off_by": SIGNER,
}

SUPERVISION_ORDER = {"kind": "urge", "reason": "请尽快处置", "respond_within": {"hours": 4}}


@dataclass(frozen=True)
class Ticket:
    no: str
    access_secret: str
    rating_code: str


Step = Callable[[Api, Ticket], Awaitable[Any]]


async def _register(api: Api, **overrides: Any) -> Ticket:
    created = await api.register(**overrides)
    return Ticket(created["ticket_no"], created["access_secret"], created["rating_code"])


async def rate(api: Api, t: Ticket, handling: str) -> None:
    rated = await api.post(
        f"/public/tickets/{t.no}/rating",
        {"acceptance": ["satisfied"], "handling": [handling]},
        as_=None,
        headers={"X-Rating-Code": t.rating_code},
    )
    assert rated.status_code == 200, rated.text


async def _closure(api: Api, t: Ticket) -> None:
    await api.act(t.no, "closure", closure_body(POINTS, await api.now()), as_="urban")


def _act(action: str, body: dict[str, Any] | None = None, as_: str = "operator") -> Step:
    async def step(api: Api, t: Ticket) -> None:
        await api.act(t.no, action, body, as_=as_)

    return step


# stage -> (the stage it follows, the step that gets there); roots are registrations.
STAGES: dict[str, tuple[str, Step]] = {
    "handling": ("dispatched", _act("sign-for", as_="urban")),
    "informed": (
        "handling",
        _act("contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="urban"),
    ),
    "return_review": ("dispatched", _act("returns", RETURN, as_="urban")),
    "extension_review": (
        "handling",
        _act("extension", {"reason": "需协调多部门", "requester_told": True}, as_="urban"),
    ),
    "closure_review": ("informed", _closure),
    "rating": ("closure_review", _act("closure/review", {"approve": True})),
    "callback": ("rating", lambda api, t: rate(api, t, "dissatisfied")),
    "redo_asked": (
        "callback",
        _act("callbacks", {"channel": "phone", "reached": True, "wants_redo": True}),
    ),
    "concluded": ("rating", lambda api, t: rate(api, t, "satisfied")),
    "supplement_requested": ("concluded", _act("supplements", {"reason": "改造已立项"}, as_="urban")),
    "supplement_permitted": ("supplement_requested", _act("supplements/S1/permission", {"approve": True})),
    "supplement_submitted": (
        "supplement_permitted",
        _act("supplements/S1/content", {"content": "12 月完工"}, as_="urban"),
    ),
    # A25: the hotline's supervision order S1 on a ticket the lead holds.
    "supervised": ("dispatched", _act("supervision-orders", SUPERVISION_ORDER)),
    "coordinating": (
        "dispatched",
        _act(
            "disputes",
            {"kind": "contested_jurisdiction", "units": [LEAD, CO_UNIT], "reason": "双方均称不属本单位"},
            as_="urban",
        ),
    ),
}
ROOTS: dict[str, Callable[[Api], Awaitable[Ticket]]] = {
    # A consultation: it may be dispatched, not accepted or answered at once (A12, A13).
    "registered": lambda api: _register(api, category="consultation", dispatch_to=None),
    "dispatched": lambda api: _register(api, dispatch_to=LEAD, co_units=[CO_UNIT]),
    "emergency": lambda api: _register(api, dispatch_to=LEAD, co_units=[CO_UNIT], emergency=True),
}


async def ticket_in(api: Api, stage: str) -> Ticket:
    """A new ticket, registered by the operator (lead WJ-URBAN, co-unit WJ-POWER) and walked to `stage`
    through the API."""
    if stage in ROOTS:
        return await ROOTS[stage](api)
    before, step = STAGES[stage]
    ticket = await ticket_in(api, before)
    await step(api, ticket)
    return ticket


def api_settings(task_queue: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "task_queue": task_queue,
        "database_url": "sqlite+aiosqlite:///unused-the-session-maker-is-injected.db",
        "temporal_rpc_timeout_seconds": 10.0,
    }
    return Settings(**(values | overrides))


async def seed_callers(api: Api, now: datetime) -> None:
    for unit_id, name, tier, kind, parent in UNITS:
        await create_unit(
            api.session_maker,
            unit_id=unit_id,
            name=name,
            tier=tier,
            kind=kind,  # type: ignore[arg-type]
            parent_id=parent,
            now=now,
        )
    for caller, (role, unit, cleared) in CALLERS.items():
        issued = await issue_credential(
            api.session_maker,
            role=role,
            name=caller,
            unit_id=unit,  # type: ignore[arg-type]
            confidential_clearance=cleared,
            now=now,
        )
        api.tokens[caller], api.credential_ids[caller] = issued.token, issued.id
    # A5/A15: every unit has filed the leader whose name RETURN's sign-off gives (verdicts 4 requires it).
    async with api.session_maker.begin() as session:
        for unit_id, *_ in UNITS:
            session.add(
                FiledPersonRow(
                    unit_id=unit_id,
                    role="leader_in_charge",
                    name=SIGNER["name"],
                    title=SIGNER["title"],
                    filed_at=now,
                    filed_by=api.credential_ids["operator"],
                )
            )


@asynccontextmanager
async def serving(
    env: WorkflowEnvironment,
    session_maker: async_sessionmaker[AsyncSession],
    activities: HotlineActivities | None = None,
    **settings: Any,
) -> AsyncIterator[Api]:
    """The real app (lifespan and all) with a real worker on a fresh task queue, callers seeded.
    `activities`: the worker's (default: the real ones on `session_maker`); `settings`: the app's."""
    task_queue = f"api-{uuid.uuid4()}"
    app = create_app(
        api_settings(task_queue, **settings),
        client=env.client,
        session_maker=session_maker,
        clock=env.get_current_time,
    )
    worker = build_worker(env.client, session_maker, task_queue, activities=activities)
    async with worker, LifespanManager(app):
        holder: list[Api] = []

        async def check(response: httpx.Response) -> None:
            await _no_server_errors(holder[0], response)

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://hotline.test",
            event_hooks={"response": [check]},
        ) as http:
            driver = Api(http=http, env=env, session_maker=session_maker, app=app)
            holder.append(driver)
            await seed_callers(driver, await env.get_current_time())
            yield driver
