"""The links a requester's SMS carries: progress (A19) and a one-time rating link (A24), both to the requester's
page (`/t/<token>`, api/pages/).

The requester's access secret is shown once at registration and kept only as a digest, so a message
cannot repeat it. Each message mints its own link instead: a token derived from the server's secret and
the delivery id (a retried message carries the same link, so the requester never holds two), stored as a
digest in `requester_links` (api/pages/links.py), where the page looks it up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.pages.links import PROGRESS_LINK_LIFETIME, RATING_LINK_LIFETIME, Purpose, page_path, store_link

PROGRESS, RATING = Purpose.PROGRESS.value, Purpose.RATING.value


def link_token(server_secret: str, delivery_id: str, purpose: str) -> str:
    mac = hmac.new(server_secret.encode(), f"link|{purpose}|{delivery_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{page_path(token)}"


async def mint(
    sessions: async_sessionmaker[AsyncSession],
    *,
    server_secret: str,
    delivery_id: str,
    ticket_no: str,
    purpose: str,
    now: datetime,
    expires_at: datetime | None,
    rating_round: int | None = None,
) -> str:
    token = link_token(server_secret, delivery_id, purpose)
    kind = Purpose(purpose)
    lifetime = PROGRESS_LINK_LIFETIME if kind == Purpose.PROGRESS else RATING_LINK_LIFETIME
    # A24: the window runs from the message's receipt (about now), so the link lasts at least that long.
    until = max(expires_at, now + lifetime) if expires_at else now + lifetime
    async with sessions.begin() as session:
        await store_link(
            session,
            token,
            ticket_no,
            kind,
            now=now,
            expires_at=until,
            rating_round=rating_round,
        )
    return token
