"""An action's Idempotency-Key is claimed with the request it came with, so a key reused for another
request is refused instead of silently answered with the first request's outcome.

The key already makes the action's workflow update id (api/deps.py update_id), and Temporal runs an update
id once: a retry has one effect. What Temporal cannot tell is that the "retry" asked for something else
(approve, then refuse, under one key). The claim records a digest of what was asked (the ticket, the item
and the body as sent, before the server fills anything in) the first time a key is used; the same key with
another digest is 422 IDEMPOTENCY_KEY_REUSED and nothing happens. Registration keeps its own claim
(api/registration.py), which also holds what a replay needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import invalid
from api.privacy import write_identity_read
from api.runtime import Runtime
from db.api_models import IdempotencyKeyRow
from db.session import insert_for
from operations.credentials import digest


def request_digest(ticket_no: str, item: str | None, body: BaseModel) -> str:
    return digest(f"{ticket_no}|{item or ''}|{body.model_dump_json()}")


async def claim_key(
    session: AsyncSession,
    *,
    key: str,
    scope: str,
    request_hash: str,
    ticket_no: str,
    payload: dict[str, Any],
    now: datetime,
) -> IdempotencyKeyRow | None:
    """Claim `key` in the caller's transaction: None if this request is its first use, else the earlier
    claim. The INSERT comes first, so a concurrent duplicate waits for the first claim and then sees it."""
    claimed = await session.execute(
        insert_for(session, IdempotencyKeyRow)
        .values(
            key=key,
            scope=scope,
            request_hash=request_hash,
            ticket_no=ticket_no,
            payload=payload,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        return None
    return await session.get(IdempotencyKeyRow, (key, scope))


async def claim_action_key(
    runtime: Runtime,
    scope: str,
    key: str,
    ticket_no: str,
    body: BaseModel,
    item: str | None = None,
    *,
    identity_read: tuple[int, str] | None = None,
) -> bool:
    """Claim `key` for this request (the ticket, the item and the body as sent), or check that its first
    use asked for the same thing. Staff actions and the requester's rating alike.

    A staff action's scope is `<update>:cred-<id>`. When the action foresaw that its answer shows the
    requester's identity (`identity_read`: the credential and the purpose), the A32 audit row is written
    in the same transaction: one write per action instead of two, and True says so. A reused key rolls
    both back."""
    request_hash, now = request_digest(ticket_no, item, body), await runtime.clock()
    async with runtime.session_maker.begin() as session:
        earlier = await claim_key(
            session, key=key, scope=scope, request_hash=request_hash, ticket_no=ticket_no, payload={}, now=now
        )
        if earlier is not None and earlier.request_hash != request_hash:
            raise invalid("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for another request")
        if identity_read is not None:
            credential_id, purpose = identity_read
            await write_identity_read(session, credential_id, ticket_no, now, purpose)
    return identity_read is not None
