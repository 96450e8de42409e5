"""The links a requester's messages carry (A19 progress, A24 rating): `/t/<token>`, nothing else in the URL.

A token is 192 random bits (`secrets.token_urlsafe(24)`), shown once, to whoever sends the message, and
stored only as its SHA-256 digest, with its purpose and an expiry. A progress link opens the ticket's page
for its lifetime; a rating link opens it too, for one round of the rating, and is spent when that rating
lands (A24: the requester rates once). These functions add the row to the caller's session: the caller
commits (with whatever else its transaction holds).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.api_models import RequesterLinkRow
from operations.credentials import digest

# A19: the link given at registration outlives most tickets' handling (a long-running matter reports
# progress, A20; supplementary answers follow, A21); an older one is renewed through the /t form.
PROGRESS_LINK_LIFETIME = timedelta(days=90)
# The page the /t form or a rating opens: it sits in a browser's history, so it lives one day.
OPENED_LINK_LIFETIME = timedelta(days=1)
# A24: 24 hours to rate from receiving the request; the sender passes the round's own end when it has it.
RATING_LINK_LIFETIME = timedelta(hours=24)
_TOKEN_BYTES = 24
# What a token looks like (urlsafe base64); anything else is refused before the database is asked.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class Purpose(StrEnum):
    PROGRESS = "progress"
    RATING = "rating"


def page_path(token: str) -> str:
    """The link's path; the sender puts the hotline's public address in front of it."""
    return f"/t/{token}"


def new_link_token() -> str:
    return secrets.token_urlsafe(_TOKEN_BYTES)


async def store_link(
    session: AsyncSession,
    token: str,
    ticket_no: str,
    purpose: Purpose,
    *,
    now: datetime,
    expires_at: datetime,
    rating_round: int | None = None,
) -> str:
    """Keep the digest of `token`; a token stored already (a retried registration) is left as it is."""
    token_hash = digest(token)
    if await session.get(RequesterLinkRow, token_hash) is None:
        session.add(
            RequesterLinkRow(
                token_hash=token_hash,
                ticket_no=ticket_no,
                purpose=purpose.value,
                rating_round=rating_round,
                issued_at=now,
                expires_at=expires_at,
            )
        )
        await session.flush()
    return page_path(token)


async def issue_progress_link(
    session: AsyncSession,
    ticket_no: str,
    *,
    now: datetime | None = None,
    lifetime: timedelta = PROGRESS_LINK_LIFETIME,
) -> str:
    """A19: a new link to follow the ticket; returns its path `/t/<token>` (the token is not kept)."""
    now = now or datetime.now(UTC)
    return await store_link(
        session, new_link_token(), ticket_no, Purpose.PROGRESS, now=now, expires_at=now + lifetime
    )


async def issue_rating_link(
    session: AsyncSession,
    ticket_no: str,
    round: int,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A24: a one-time link to rate round `round` (RatingRound.round); valid until `expires_at` (the round's
    own end, when the sender has it) or for 24 hours. Returns its path `/t/<token>`."""
    now = now or datetime.now(UTC)
    return await store_link(
        session,
        new_link_token(),
        ticket_no,
        Purpose.RATING,
        now=now,
        expires_at=expires_at or now + RATING_LINK_LIFETIME,
        rating_round=round,
    )


class LinkStatus(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    SPENT = "spent"  # a rating link whose rating landed


@dataclass(frozen=True)
class Link:
    status: LinkStatus
    ticket_no: str = ""
    purpose: Purpose = Purpose.PROGRESS
    rating_round: int | None = None
    token_hash: str = ""
    used_at: datetime | None = None


async def look_up(session: AsyncSession, token: str, now: datetime) -> Link:
    """What `token` opens now. Spent is told before expired: "you have rated" is the truer answer."""
    if not TOKEN_PATTERN.fullmatch(token):
        return Link(LinkStatus.UNKNOWN)
    row = await session.get(RequesterLinkRow, digest(token))
    if row is None:
        return Link(LinkStatus.UNKNOWN)
    if row.used_at is not None:
        status = LinkStatus.SPENT
    elif now >= row.expires_at:
        status = LinkStatus.EXPIRED
    else:
        status = LinkStatus.OPEN
    return Link(status, row.ticket_no, Purpose(row.purpose), row.rating_round, row.token_hash, row.used_at)


async def spend(session: AsyncSession, link: Link, now: datetime) -> None:
    """A24: the rating link is used up; a second spend (a concurrent submit) changes nothing."""
    await session.execute(
        update(RequesterLinkRow)
        .where(RequesterLinkRow.token_hash == link.token_hash, RequesterLinkRow.used_at.is_(None))
        .values(used_at=now)
    )
