"""`make run`'s delivery demo: the SMS gateway, the duty system and the units' webhooks all point at the
API's own message sink (api/routes/dev_sink.py), so `/dev/messages` shows what the hotline sent.

One unit (西联镇, WJ-XILIAN) is left without a webhook: its clerk follows `GET /notifications` instead.
The police line's system (110) is the sink too: it takes hand-overs and never acknowledges one by itself, so
the demo's emergency waits for 110's acknowledgement (A23), as `HotlineLinkagePending = "110"` finds it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from db.delivery_models import DeliveryChannelRow
from db.linkage_models import LinkageLineRow
from db.session import make_engine, make_session_maker
from delivery import signing
from operations.demo import DEMO_UNITS

# A demo secret for the duty webhook (the sink checks signatures with it); production sets its own.
DEMO_DUTY_SECRET = "whsec_ZGVtby1kdXR5LXdlYmhvb2stc2VjcmV0LTEyMzQ1"
FEED_ONLY_UNIT = "WJ-XILIAN"


def demo_environment(api_base: str) -> dict[str, str]:
    """HOTLINE_* settings for the demo's delivery; anything already set in the environment wins."""
    return {
        "HOTLINE_PUBLIC_BASE_URL": api_base,
        "HOTLINE_SMS_PROVIDER": "http",
        "HOTLINE_SMS_HTTP_URL": f"{api_base}/dev/sink/sms",
        "HOTLINE_DUTY_WEBHOOK_URL": f"{api_base}/dev/sink/webhook/hotline",
        "HOTLINE_DUTY_WEBHOOK_SECRET": DEMO_DUTY_SECRET,
    }


async def seed_demo_webhooks(database_url: str, api_base: str) -> None:
    """Idempotent: a unit that already has a webhook keeps it."""
    engine = make_engine(database_url)
    sessions = make_session_maker(engine)
    try:
        async with sessions.begin() as session:
            for unit_id, *_ in DEMO_UNITS[1:]:
                recipient = f"unit:{unit_id}"
                if unit_id == FEED_ONLY_UNIT:
                    continue
                if await session.get(DeliveryChannelRow, recipient) is not None:
                    continue
                session.add(
                    DeliveryChannelRow(
                        recipient=recipient,
                        url=f"{api_base}/dev/sink/webhook/{unit_id}",
                        secret=signing.new_secret(),
                        enabled=True,
                        updated_at=datetime.now(UTC),
                    )
                )
            if await session.get(LinkageLineRow, "110") is None:
                session.add(
                    LinkageLineRow(
                        line="110", endpoint=f"{api_base}/dev/sink/line/110", updated_at=datetime.now(UTC)
                    )
                )
    finally:
        await engine.dispose()
