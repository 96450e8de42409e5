"""The demo's tickets, in different stages, so the queue, the cards and the bulletin show something on the
first `make run`: dispatched, handling, a yellow card, answered at once, concluded, not accepted.

They go through the app itself (its routes, its auth, its workflows): only the registration is called as a
function, to give each ticket a fixed number, the numbers the API's examples name (`GD12345-20261126-3F9A0C1B`
in every `{no}`, `GD12345-20260910-0A1B2C3D` as a termination notice's earlier ticket). Needs the worker.

The yellow card: a limit counts from the unit's receipt, so a ticket cannot be registered "late". The demo
loads an A33 rule set of its own, titled as a demo, whose sign-for limit is one minute; the ticket
registered under it and not signed for turns yellow a minute after `make run` seeds it (A22).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api.auth import caller_for_token
from api.registration import register
from api.routes.tickets import RegistrationBody
from api.runtime import Runtime
from db.api_models import RequesterAccessRow
from domain.rulesets import CITY, RuleSet, hours
from operations.demo import OPERATOR, unit_staff

HANDLING_NO = "GD12345-20261126-3F9A0C1B"  # api/deps.py's example ticket number
CONCLUDED_NO = "GD12345-20260910-0A1B2C3D"  # the termination example's earlier, concluded ticket
DISPATCHED_NO = "GD12345-20261127-5B2E7D40"
YELLOW_NO = "GD12345-20261128-9C4A1E63"
ANSWERED_NO = "GD12345-20261129-7E3B5C92"
NOT_ACCEPTED_NO = "GD12345-20261130-2D8F6A15"
COORDINATING_NO = "GD12345-20261201-4A6C8E20"
EMERGENCY_NO = "GD12345-20261202-6E1D3B57"

DEMO_RULE_SET = RuleSet.model_validate(
    CITY.model_dump()
    | {
        "id": "demo-short-sign-for",
        "title": "演示规则：签收时限缩短为 1 分钟（仅供演示，非细则规定）",
        "basis": "A33（演示数据）",
        "sign_for": hours(1 / 60),
    }
)

REQUESTER = "requester"  # the step's caller: the requester, with the ticket's rating code
Body = dict[str, Any] | Callable[[datetime], dict[str, Any]]


@dataclass(frozen=True)
class Step:
    who: str  # a key of demo_tokens, or REQUESTER
    path: str  # after /tickets/{no} (or /public/tickets/{no} for the requester)
    body: Body = field(default_factory=dict)
    then: str | None = None  # the stage to wait for before the next step


@dataclass(frozen=True)
class DemoTicket:
    no: str
    shows: str  # what the ticket is there to show, printed by `make run`
    registration: dict[str, Any]
    steps: tuple[Step, ...] = ()


def _closure(now: datetime) -> dict[str, Any]:
    return {
        "answers": [
            {"point": "修复西联镇沐溪村村道坑洼路面", "answer": "已于今日完成坑洼路面修补。"},
        ],
        "handled_at": now.isoformat(),
        "process": "镇政府组织施工队到场，用沥青冷补料修补坑洼路面约 30 平方米。",
        "result": "路面已修复，已电话告知诉求人。",
        "basis": "《公路养护技术规范》（JTG H10）",
    }


WJ_CLERK = unit_staff("WJ")
DEMO_TICKETS: tuple[DemoTicket, ...] = (
    DemoTicket(
        HANDLING_NO,
        "办理中 handling (武江区, 供电局协办)",
        {
            "channel": "phone",
            "category": "complaint",
            "requester": {"name": "李华", "phone": "13800000000"},
            "content": "新华南路路灯连续一周不亮，夜间行人摔倒。",
            "request_points": ["修复新华南路路灯", "说明维修时限"],
            "location": "武江区新华南路 88 号",
            "domain": "城市照明",
            "dispatch_to": "WJ",
            "co_units": ["SG-POWER"],
        },
        (Step(WJ_CLERK, "/sign-for", then="handling"),),
    ),
    DemoTicket(
        DISPATCHED_NO,
        "待签收 dispatched (自来水公司)",
        {
            "channel": "wechat_mini_program",
            "category": "help",
            "requester": {"name": "陈晓燕", "phone": "13902210000"},
            "content": "西联镇沐溪大道一带停水两天，未见停水公告，老人取水困难。",
            "request_points": ["尽快恢复供水", "说明停水原因"],
            "location": "武江区西联镇沐溪大道",
            "domain": "供水",
            "dispatch_to": "SG-WATER",
        },
    ),
    DemoTicket(
        YELLOW_NO,
        "黄牌 yellow card a minute in (demo rule set)",
        {
            "channel": "phone",
            "category": "complaint",
            "requester": {"name": "张伟", "phone": "13692870000"},
            "content": "龙归镇圩镇一工地每晚十点后仍在施工，噪音扰民。",
            "request_points": ["制止夜间施工", "告知处理结果"],
            "location": "武江区龙归镇圩镇",
            "domain": "噪声污染",
            "dispatch_to": "WJ",
            "rule_set_id": DEMO_RULE_SET.id,
        },
    ),
    DemoTicket(
        ANSWERED_NO,
        "直接答复 answered at once, awaiting rating",
        {
            "channel": "phone",
            "category": "consultation",
            "requester": {"name": "黄丽", "phone": "13580140000"},
            "content": "社保卡丢失了，怎么补办？",
            "domain": "社会保障",
        },
        (
            Step(
                OPERATOR,
                "/answer",
                {
                    "answer": "社保卡补办请携带身份证到任一社保网点办理，当场制卡。",
                    "knowledge_point_id": "kp-3f9a0c1b2d4e",
                },
            ),
        ),
    ),
    DemoTicket(
        CONCLUDED_NO,
        "已办结 concluded, rated very satisfied",
        {
            "channel": "web",
            "category": "help",
            "requester": {"name": "刘建国", "phone": "13531110000"},
            "content": "西联镇沐溪村村道坑洼积水，电动车经过容易摔倒。",
            "request_points": ["修复西联镇沐溪村村道坑洼路面"],
            "location": "武江区西联镇沐溪村",
            "domain": "农村公路",
            "dispatch_to": "WJ",
        },
        (
            Step(WJ_CLERK, "/sign-for", then="handling"),
            Step(WJ_CLERK, "/contacts", {"channel": "phone", "purpose": "result", "reached": True}),
            Step(WJ_CLERK, "/closure", _closure, then="closure_review"),
            Step(OPERATOR, "/closure/review", {"approve": True}, then="rating"),
            Step(
                REQUESTER,
                "/rating",
                {"acceptance": ["satisfied"], "handling": ["very_satisfied"]},
                then="concluded",
            ),
        ),
    ),
    DemoTicket(
        NOT_ACCEPTED_NO,
        "不予受理 not accepted (A10.3)",
        {
            "channel": "web",
            "category": "consultation",
            "requester": {"name": "吴强", "phone": "13827560000"},
            "content": "我已向区信访局反映征地补偿问题，想通过热线催办。",
            "domain": "征地补偿",
        },
        (
            Step(
                OPERATOR,
                "/not-accept",
                {"reason": "A10.3", "basis": "该事项已进入信访程序，请通过信访渠道跟进"},
            ),
        ),
    ),
    DemoTicket(
        COORDINATING_NO,
        "协调中 in coordination (A14.5: 武江区 and 供电局 dispute it)",
        {
            "channel": "phone",
            "category": "help",
            "requester": {"name": "何敏", "phone": "13750230000"},
            "content": "沿江路人行道上的电线杆倾斜，随时可能倒下。",
            "request_points": ["扶正或更换电线杆"],
            "location": "武江区沿江路 12 号旁",
            "domain": "电力设施",
            "dispatch_to": "WJ",
        },
        (
            Step(WJ_CLERK, "/sign-for", then="handling"),
            Step(
                WJ_CLERK,
                "/disputes",
                {
                    "kind": "contested_jurisdiction",
                    "units": ["WJ", "SG-POWER"],
                    "reason": "电线杆属供电局资产，人行道属区管养，权责有争议",
                },
                then="coordinating",
            ),
        ),
    ),
    DemoTicket(
        EMERGENCY_NO,
        "紧急 emergency handed to 110 (A23), not acknowledged: no 110 system is configured in the demo",
        {
            "channel": "phone",
            "category": "help",
            "emergency": True,
            "linkage": ["110"],
            "requester": {"name": "周军", "phone": "13622450000"},
            "content": "龙归镇桥头有人持刀争吵，情绪激动。",
            "location": "武江区龙归镇桥头",
            "domain": "治安",
            "dispatch_to": "WJ",
        },
    ),
)


class DemoSeedError(RuntimeError):
    """A demo request the app refused: the demo no longer matches the rules."""


def _ok(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 300:
        raise DemoSeedError(f"{what}: {response.status_code} {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


async def _until(http: httpx.AsyncClient, no: str, token: str, stage: str | None) -> None:
    """The ticket answers (its worker runs) and, if asked, has reached `stage`."""
    for _ in range(240):
        response = await http.get(f"/tickets/{no}", headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200 and stage in (None, response.json()["stage"]):
            return
        await asyncio.sleep(0.25)
    raise DemoSeedError(f"{no} never reached {stage or 'a readable state'}")


async def seed_demo_tickets(
    app: FastAPI, http: httpx.AsyncClient, tokens: dict[str, str]
) -> dict[str, dict[str, str]]:
    """Register and walk each demo ticket that does not exist yet; its requester's secrets by number."""
    runtime: Runtime = app.state.runtime
    operator = {"Authorization": f"Bearer {tokens[OPERATOR]}"}
    loaded = await http.post("/rule-sets", json=DEMO_RULE_SET.model_dump(mode="json"), headers=operator)
    if loaded.status_code != 409:  # loaded before, by an earlier run
        _ok(loaded, "demo rule set")
    caller = await caller_for_token(runtime.session_maker, tokens[OPERATOR])
    # Registered before (by an earlier run): its requester's access row is there, worker or not.
    async with runtime.session_maker() as session:
        registered = set(
            await session.scalars(
                select(RequesterAccessRow.ticket_no).where(
                    RequesterAccessRow.ticket_no.in_([t.no for t in DEMO_TICKETS])
                )
            )
        )
    secrets: dict[str, dict[str, str]] = {}
    for ticket in DEMO_TICKETS:
        if ticket.no in registered:
            continue
        body = RegistrationBody.model_validate(ticket.registration)
        now = await runtime.clock()
        created = (await register(runtime, caller, body, f"demo-{ticket.no}", now, number=ticket.no)).created
        secrets[ticket.no] = {"access_secret": created.access_secret, "rating_code": created.rating_code}
        await _until(http, ticket.no, tokens[OPERATOR], "dispatched" if body.dispatch_to else None)
        for n, step in enumerate(ticket.steps, 1):
            data = step.body(await runtime.clock()) if callable(step.body) else step.body
            if step.who == REQUESTER:
                path, headers = (
                    f"/public/tickets/{ticket.no}{step.path}",
                    {"X-Rating-Code": created.rating_code},
                )
            else:
                path, headers = (
                    f"/tickets/{ticket.no}{step.path}",
                    {"Authorization": f"Bearer {tokens[step.who]}"},
                )
            headers["Idempotency-Key"] = f"demo-{ticket.no}-{n}"
            _ok(await http.post(path, json=data, headers=headers), f"{ticket.no} {step.path}")
            if step.then:
                await _until(http, ticket.no, tokens[OPERATOR], step.then)
    return secrets


def keep_requester_secrets(data_dir: Path, secrets: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """data/demo-tickets.json (mode 0600): the demo requesters' secrets, shown once by the API."""
    store = data_dir / "demo-tickets.json"
    kept: dict[str, dict[str, str]] = json.loads(store.read_text()) if store.exists() else {}
    kept |= secrets
    store.write_text(json.dumps(kept, ensure_ascii=False, indent=1))
    os.chmod(store, 0o600)
    return kept
