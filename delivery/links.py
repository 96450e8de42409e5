"""The links a requester's SMS carries: progress (A19) and a one-time rating link (A24).

The requester's access secret is shown once at registration and kept only as a digest, so a message
cannot repeat it. Each message mints its own link instead: a token derived from the server's secret and
the delivery id (a retried message carries the same link, so the requester never holds two), stored as
a digest in `requester_links`. `/public/links/{token}` shows the ticket's progress; a rating link rates
once (api/routes/requester_links.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.delivery_models import RequesterLinkRow
from db.session import insert_for
from operations.credentials import digest

PROGRESS, RATING = "progress", "rating"


def link_token(server_secret: str, delivery_id: str, purpose: str) -> str:
    mac = hmac.new(server_secret.encode(), f"link|{purpose}|{delivery_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/public/links/{token}"


async def mint(
    sessions: async_sessionmaker[AsyncSession],
    *,
    server_secret: str,
    delivery_id: str,
    ticket_no: str,
    purpose: str,
    now: datetime,
    expires_at: datetime | None,
) -> str:
    token = link_token(server_secret, delivery_id, purpose)
    async with sessions.begin() as session:
        statement = insert_for(session, RequesterLinkRow).values(
            token_hash=digest(token),
            ticket_no=ticket_no,
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
            used_at=None,
        )
        await session.execute(statement.on_conflict_do_nothing())
    return token
