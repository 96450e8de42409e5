"""`make run`'s message sink: with HOTLINE_ENVIRONMENT=local the app takes the demo's SMS and webhooks at
`/dev/sink/...` and lists them at `/dev/messages`; in production those paths do not exist."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime

import httpx
import uvicorn

from api.app import create_app
from bench.common import free_port
from config import Settings
from db.delivery_models import DeliveryChannelRow
from delivery import signing
from tests.delivery.support import all_settled, dispatching, fast_settings
from tests.driver import Hotline


async def test_production_has_no_sink() -> None:
    app = create_app(
        Settings(
            environment="production",
            token_secret="p" * 48,
            payload_keys={"prod-1": base64.b64encode(b"k" * 32).decode()},
            payload_key_id="prod-1",
        )
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline") as http:
        for path in ("/dev/messages", "/dev/sink/sms"):
            assert (await http.get(path)).status_code in (404, 405)
        assert (await http.post("/dev/sink/sms", json={})).status_code == 404
        assert (await http.post("/dev/sink/line/110/handovers", json={})).status_code == 404


async def test_the_demo_sees_every_sms_and_webhook_the_hotline_sent(hotline: Hotline) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    duty_secret = signing.new_secret()
    settings = fast_settings(
        environment="local",
        sms_provider="http",
        sms_http_url=f"{base}/dev/sink/sms",
        duty_webhook_url=f"{base}/dev/sink/webhook/hotline",
        duty_webhook_secret=duty_secret,
    )
    app = create_app(settings, client=hotline.client, session_maker=hotline.session_maker)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done()
            await asyncio.sleep(0.02)
        async with hotline.session_maker.begin() as session:
            session.add(
                DeliveryChannelRow(
                    recipient="unit:U1",
                    url=f"{base}/dev/sink/webhook/U1",
                    secret=signing.new_secret(),
                    enabled=True,
                    updated_at=datetime.now(UTC),
                )
            )
        handle = await hotline.register(dispatch_to="U1")
        async with dispatching(settings, hotline.session_maker):
            await all_settled(hotline.session_maker, client=hotline.client)
        async with httpx.AsyncClient(base_url=base) as http:
            page = (await http.get("/dev/messages")).text
    finally:
        server.should_exit = True
        await serving
    ticket_no = handle.id.removeprefix("ticket-")
    assert f"工单 {ticket_no}" in page and f"工单号{ticket_no}" in page  # a webhook and the SMS
    assert "签名有效" in page and "签名无效" not in page
    assert "13800000000" in page  # the SMS went to the requester's own number
