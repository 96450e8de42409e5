"""Loopback stand-ins for the outside world (a unit's system, the duty system, SMS gateways) and helpers to
run the dispatcher against a read model filled by real tickets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from bench.common import until
from bench.loopback import LoopbackServer, Request
from config import Settings
from db.delivery_models import DeliveryChannelRow, DeliveryRow
from db.models import NoticeRow, TicketRow
from delivery import signing
from delivery.dispatcher import Dispatcher
from delivery.sms import aliyun_signature
from workflows.ticket import TicketWorkflow

ALIYUN_KEY_ID, ALIYUN_KEY_SECRET = "LTAI-test", "test-access-key-secret"


@dataclass
class Arrival:
    delivery_id: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Receiver:
    """A recipient's system: checks each request (signature, shape), records every arrival in order, and
    answers as told: fail the first `fail_first` requests, fail always, or hold requests until released."""

    secret: str = field(default_factory=signing.new_secret)
    fail_first: int = 0
    fail_always: bool = False
    hold: asyncio.Event | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    requests: int = 0
    server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def ids(self) -> list[str]:
        return [a.delivery_id for a in self.arrivals]

    def distinct(self) -> set[str]:
        return set(self.ids())

    async def handle(self, request: Request) -> tuple[int, bytes]:
        self.requests += 1
        try:
            arrival = self.check(request)
        except AssertionError as err:
            self.refused.append(str(err))
            return 400, b'{"error": "refused"}'
        self.arrivals.append(arrival)
        if self.hold is not None:
            await self.hold.wait()
        if self.fail_always or self.requests <= self.fail_first:
            return 503, b'{"error": "down"}'
        return 200, self.answer(arrival)

    def check(self, request: Request) -> Arrival:
        assert signing.verify(self.secret, request.headers, request.body, int(time.time())), "bad signature"
        body = json.loads(request.body)
        assert body["data"]["delivery_id"] == request.headers["webhook-id"], "id mismatch"
        return Arrival(request.headers["webhook-id"], body, request.headers)

    def answer(self, arrival: Arrival) -> bytes:
        return b"{}"


@dataclass
class HttpGateway(Receiver):
    """The generic SMS gateway: JSON with out_id, phone, text."""

    def check(self, request: Request) -> Arrival:
        body = json.loads(request.body)
        assert set(body) >= {"out_id", "phone", "text", "kind"}, body
        return Arrival(body["out_id"], body, request.headers)

    def answer(self, arrival: Arrival) -> bytes:
        return json.dumps({"id": f"gw-{len(self.arrivals)}"}).encode()


@dataclass
class AliyunGateway(Receiver):
    """dysmsapi's SendSms: form parameters, the RPC signature (HMAC-SHA1) checked with the key's secret."""

    def check(self, request: Request) -> Arrival:
        params = request.form()
        signature = params.pop("Signature", "")
        assert signature == aliyun_signature(params, ALIYUN_KEY_SECRET, request.method), (
            "bad Aliyun signature"
        )
        assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25", params
        assert params["AccessKeyId"] == ALIYUN_KEY_ID and params["SignatureMethod"] == "HMAC-SHA1", params
        assert {"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "OutId"} <= set(params), params
        json.loads(params["TemplateParam"])
        return Arrival(params["OutId"], params, request.headers)

    def answer(self, arrival: Arrival) -> bytes:
        return json.dumps(
            {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.arrivals)}", "RequestId": "r"}
        ).encode()


@asynccontextmanager
async def serving(*receivers: Receiver) -> AsyncIterator[None]:
    servers = [LoopbackServer(r.handle) for r in receivers]
    for receiver, server in zip(receivers, servers, strict=True):
        receiver.server = await server.__aenter__()
    try:
        yield
    finally:
        for server in servers:
            await server.__aexit__(None, None, None)


def fast_settings(**overrides: Any) -> Settings:
    """Seconds, not minutes: backoff from 0.1 s, a short lease, polling every 50 ms."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": "sqlite+aiosqlite:///unused.db",
        "delivery_poll_seconds": 0.05,
        "delivery_backoff_base_seconds": 0.1,
        "delivery_backoff_cap_seconds": 0.5,
        "delivery_lease_seconds": 5,
        "delivery_http_timeout_seconds": 3,
        "delivery_dead_letter_after_seconds": 600,
        "public_base_url": "http://hotline.test",
        "delivery_report_interval_seconds": 0.1,
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def dispatching(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], client: Client | None = None
) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(settings, sessions, client=client)
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield dispatcher
    finally:
        stop.set()
        await task


async def set_webhook(sessions: async_sessionmaker[AsyncSession], unit_id: str, receiver: Receiver) -> None:
    async with sessions.begin() as session:
        await session.merge(
            DeliveryChannelRow(
                recipient=f"unit:{unit_id}",
                url=receiver.url + f"/hooks/{unit_id}",
                secret=receiver.secret,
                enabled=True,
                updated_at=datetime.now(UTC),
            )
        )


async def notices(
    sessions: async_sessionmaker[AsyncSession], ticket_no: str | None = None
) -> list[NoticeRow]:
    async with sessions() as session:
        query = select(NoticeRow).order_by(NoticeRow.ticket_no, NoticeRow.seq)
        if ticket_no is not None:
            query = query.where(NoticeRow.ticket_no == ticket_no)
        return list((await session.scalars(query)).all())


async def deliveries(sessions: async_sessionmaker[AsyncSession]) -> dict[str, DeliveryRow]:
    async with sessions() as session:
        return {d.id: d for d in (await session.scalars(select(DeliveryRow))).all()}


async def all_settled(
    sessions: async_sessionmaker[AsyncSession], timeout: float = 60, client: Client | None = None
) -> list[NoticeRow]:
    """Until no notice waits for a try (delivered, dead-lettered or held), and every outcome is recorded.

    With `client`, also until the read model holds every ticket's latest revision: an action's answer may
    come before its projection (and its notices) is written."""

    async def settled() -> list[NoticeRow] | None:
        if client is not None and not await projected(sessions, client):
            return None
        rows = await notices(sessions)
        recorded = await deliveries(sessions)
        done = all(n.status != "pending" and n.id in recorded for n in rows)
        return rows if rows and done else None

    return await until(settled, timeout=timeout, interval=0.1, what="every notice settled")


async def projected(sessions: async_sessionmaker[AsyncSession], client: Client) -> bool:
    async with sessions() as session:
        rows = (await session.execute(select(TicketRow.ticket_no, TicketRow.revision))).all()
    for ticket_no, revision in rows:
        state = await client.get_workflow_handle(f"ticket-{ticket_no}").query(TicketWorkflow.state)
        if state.revision != revision:
            return False
    return True
