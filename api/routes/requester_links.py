"""The links in the requester's SMS (delivery/links.py): progress (A19) and a one-time rating link (A24).

Whoever holds the link sees what `/public/tickets/{no}` shows with the access secret: no unit-internal
data, nobody else's personal data. A rating link rates once, before the round's window closes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path
from sqlalchemy import update

from api.deps import NowDep, RuntimeDep
from api.errors import ApiError, conflict, invalid, not_found, responses
from api.routes.public import RATING_EXAMPLES, RatingBody
from api.runtime import Runtime
from api.schemas import PublicTicketView
from db.delivery_models import RequesterLinkRow
from delivery.links import RATING
from domain.commands import Rate
from operations.credentials import digest

router = APIRouter(prefix="/public/links", tags=["requester"])

Token = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _link(runtime: Runtime, token: str) -> RequesterLinkRow:
    async with runtime.session_maker() as session:
        link = await session.get(RequesterLinkRow, digest(token))
    if link is None:
        raise not_found("no such link")
    return link


@router.get(
    "/{token}",
    response_model=PublicTicketView,
    responses=responses(404, 422, 503),
    summary="Follow my ticket from the link in my SMS (requester)",
    description="A19: the same view as `/public/tickets/{no}`; an unknown link answers 404.",
)
async def follow(token: Token, runtime: RuntimeDep) -> PublicTicketView:
    link = await _link(runtime, token)
    state = await runtime.ticket_state(link.ticket_no)
    if state is None:
        raise not_found()
    return PublicTicketView.of(state)


@router.post(
    "/{token}/rating",
    response_model=PublicTicketView,
    responses=responses(404, 409, 422, 503),
    summary="Rate from the one-time link in my SMS (requester)",
    description="A24: one option per stage, as `/public/tickets/{no}/rating`; the link rates once "
    "(409 `LINK_USED`) and only within the round's window (409 `LINK_EXPIRED`).",
)
async def rate(
    token: Token,
    body: Annotated[RatingBody, Body(openapi_examples=RATING_EXAMPLES)],  # type: ignore[valid-type]
    runtime: RuntimeDep,
    now: NowDep,
) -> PublicTicketView:
    link = await _link(runtime, token)
    if link.purpose != RATING:
        raise not_found("no such rating link")
    if link.used_at is not None:
        raise conflict("LINK_USED", "this rating link has been used", "A24")
    if link.expires_at is not None and now >= link.expires_at:
        raise conflict("LINK_EXPIRED", "the rating window of this link has closed", "A24")
    command = Rate.model_validate(dict(body) | {"via": "link"})
    if not command.acceptance and not command.handling:
        raise invalid("EMPTY_RATING", "pick one option for the acceptance or the handling", "A24")
    # The update id is the link's: a retried POST is one rating.
    state = await runtime.temporal.update_ticket(
        link.ticket_no, "rate", command, f"rate:link:{link.token_hash}"
    )
    async with runtime.session_maker.begin() as session:
        used = await session.execute(
            update(RequesterLinkRow)
            .where(RequesterLinkRow.token_hash == link.token_hash, RequesterLinkRow.used_at.is_(None))
            .values(used_at=now)
        )
    if not used.rowcount:  # type: ignore[attr-defined]
        raise ApiError(409, "LINK_USED", "this rating link has been used", "A24")
    return PublicTicketView.of(state)
