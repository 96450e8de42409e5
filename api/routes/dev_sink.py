"""`make run`'s message sink: the demo's SMS gateway and unit webhooks point here, and `/dev/messages` lists
every SMS and webhook the hotline sent, so a new user sees the hotline talk.

Mounted only when HOTLINE_ENVIRONMENT is `local` or `dev` (api/app.py); in production these paths do not
exist. Kept in memory (the last 500), like any demo sink: a restart empties it.
"""

from __future__ import annotations

import html
import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from api.deps import RuntimeDep
from db.delivery_models import DeliveryChannelRow
from delivery import signing

DEV_ENVIRONMENTS = frozenset({"local", "dev"})

router = APIRouter(prefix="/dev", tags=["dev"], include_in_schema=False)


@dataclass(frozen=True)
class Message:
    at: datetime
    channel: str  # "sms" or "webhook:<recipient>"
    delivery_id: str
    to: str
    text: str
    signature_ok: bool | None = None


class SinkAnswer(BaseModel):
    id: str
    duplicate: bool


_messages: deque[Message] = deque(maxlen=500)


def _seen(delivery_id: str) -> bool:
    return any(m.delivery_id == delivery_id for m in _messages)


@router.post("/sink/sms")
async def sink_sms(request: Request) -> SinkAnswer:
    """The generic HTTP SMS gateway's shape (delivery/sms.py HttpSms); dedupes on `out_id`."""
    body: dict[str, Any] = await request.json()
    out_id = str(body.get("out_id", ""))
    duplicate = _seen(out_id)
    if not duplicate:
        _messages.append(
            Message(datetime.now(UTC), "sms", out_id, str(body.get("phone", "")), str(body.get("text", "")))
        )
    return SinkAnswer(id=out_id, duplicate=duplicate)


@router.post("/sink/webhook/{recipient}")
async def sink_webhook(
    recipient: Annotated[str, Path(max_length=100)], request: Request, runtime: RuntimeDep
) -> SinkAnswer:
    """A unit's system (or the duty system, `hotline`): checks the signature as a receiver would."""
    raw = await request.body()
    headers = dict(request.headers)
    delivery_id = headers.get("webhook-id", "")
    secret = runtime.settings.duty_webhook_secret if recipient == "hotline" else None
    if secret is None:
        async with runtime.session_maker() as session:
            channel = await session.get(DeliveryChannelRow, f"unit:{recipient}")
        secret = channel.secret if channel else ""
    verified = bool(secret) and signing.verify(secret, headers, raw, int(time.time()))
    duplicate = _seen(delivery_id)
    if not duplicate:
        data = json.loads(raw or b"{}").get("data", {})
        text = f"{data.get('kind', '?')} · 工单 {data.get('ticket_no', '?')} · 第 {data.get('seq', '?')} 件事"
        _messages.append(Message(datetime.now(UTC), "webhook", delivery_id, recipient, text, verified))
    return SinkAnswer(id=delivery_id, duplicate=duplicate)


@router.post("/sink/line/{line}/{what}")
async def sink_line(
    line: Annotated[str, Path(pattern=r"^(110|119|120|122)$")],
    what: Annotated[str, Path(pattern=r"^(handovers|results)$")],
    request: Request,
) -> dict[str, str]:
    """An emergency line's system (activities/linkage.py): takes a hand-over or a result and answers with its
    own reference; it acknowledges nothing by itself (the line's staff would, through the API)."""
    body: dict[str, Any] = await request.json()
    key = request.headers.get("idempotency-key", "")
    if not _seen(key):
        text = f"{what} · 工单 {body.get('ticket_no', '?')}"
        _messages.append(Message(datetime.now(UTC), f"line:{line}", key, line, text))
    return {"reference": f"DEMO-{line}-{key[-8:]}"}


@router.get("/messages", response_class=HTMLResponse)
async def messages() -> HTMLResponse:
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>".format(
            f"{m.at:%H:%M:%S}",
            html.escape(m.channel),
            html.escape(m.to),
            html.escape(m.text)
            + ("" if m.signature_ok is None else (" ✔ 签名有效" if m.signature_ok else " ✘ 签名无效")),
            html.escape(m.delivery_id),
        )
        for m in reversed(_messages)
    )
    page = (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>12345 · 已发送的消息</title>"
        "<meta http-equiv='refresh' content='5'><style>body{font-family:sans-serif;margin:2em}"
        "td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}</style></head><body>"
        "<h1>热线发出的短信和 webhook（演示）</h1><p>每 5 秒刷新；同一投递编号只记一次（接收方按编号去重）。</p>"
        "<table><tr><th>时间</th><th>渠道</th><th>发给</th><th>内容</th><th>投递编号</th></tr>"
        f"{rows or '<tr><td colspan=5>还没有消息：登记一张工单试试。</td></tr>'}</table></body></html>"
    )
    return HTMLResponse(page)
