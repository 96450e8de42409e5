"""The codec server's rules: who may have Temporal payloads decrypted, and the A32 audit of what they saw.

Temporal stores every payload encrypted (workflows/converter.py). Temporal UI and the CLI show them only
through the codec server (api/routes/codec.py), and it decrypts only for a hotline operator with
confidential clearance (A32): any payload may hold a confidential requester's identity, and the codec
server is not told which ticket a payload belongs to, so it cannot mask by ticket as the API does.

Every decoded payload that shows a requester's identity writes an `identity_reads` row (purpose
`temporal-ui:decode`) for the ticket it names, as the API's own unmasked reads do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import Payload

from api.auth import Caller, Role, caller_for_token, unauthenticated
from api.errors import ApiError
from api.privacy import record_identity_read

# The cookie the sign-in page sets, for Temporal UI's "Include cross-origin credentials" (a browser sends no
# Authorization header of ours); scoped to the codec's own paths.
SESSION_COOKIE = "hotline_codec"
AUDIT_PURPOSE = "temporal-ui:decode"
# A requester shown with no ticket number near it (a payload of a requester alone) is audited under this.
UNKNOWN_TICKET = "(unknown)"


def presented_token(request: Request) -> str | None:
    """The caller's token: `Authorization: Bearer` (the CLI's --codec-auth, a proxy) or the session cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def cleared_operator(session_maker: async_sessionmaker[AsyncSession], token: str | None) -> Caller:
    """401 without a valid token; 403 for anyone but an operator with confidential clearance (A32)."""
    if token is None:
        raise unauthenticated("sign in at /codec/sign-in or send `Authorization: Bearer <token>`")
    caller = await caller_for_token(session_maker, token)
    if caller.role != Role.OPERATOR:
        raise ApiError(403, "CODEC_OPERATORS_ONLY", "only the hotline office may decode payloads", "A32")
    if not caller.confidential_clearance:
        raise ApiError(
            403,
            "CONFIDENTIAL_CLEARANCE_REQUIRED",
            "payloads may hold confidential requesters: decoding needs confidential clearance",
            "A32",
        )
    return caller


def revealed_tickets(payloads: Sequence[Payload]) -> set[str]:
    """The tickets whose requester's identity these decoded payloads show (an anonymous one shows none)."""
    tickets: set[str] = set()
    for payload in payloads:
        if not payload.metadata.get("encoding", b"").startswith(b"json/"):
            continue
        try:
            value = json.loads(payload.data)
        except ValueError:
            continue
        for ticket_no, requester in _requesters(value, None):
            if any(requester.get(k) for k in ("name", "phone", "organisation")):
                tickets.add(ticket_no or UNKNOWN_TICKET)
    return tickets


def _requesters(value: Any, ticket_no: str | None) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Every `requester` object in a JSON value, with the nearest enclosing `ticket_no`."""
    if isinstance(value, dict):
        own = value.get("ticket_no")
        ticket_no = own if isinstance(own, str) else ticket_no
        for key, item in value.items():
            if key == "requester" and isinstance(item, dict):
                yield ticket_no, item
            else:
                yield from _requesters(item, ticket_no)
    elif isinstance(value, list):
        for item in value:
            yield from _requesters(item, ticket_no)


async def audit_decode(
    session_maker: async_sessionmaker[AsyncSession], caller: Caller, decoded: Sequence[Payload], at: datetime
) -> None:
    """A32: one identity read per ticket whose requester the decoded payloads show; before they leave."""
    for ticket_no in sorted(revealed_tickets(decoded)):
        await record_identity_read(session_maker, caller, ticket_no[:40], at, AUDIT_PURPOSE)
