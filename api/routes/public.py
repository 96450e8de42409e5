"""The requester's side, without an account: progress by ticket number and secret (A19), rating (A24)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Body, Header

from api.bodies import body_model
from api.deps import IdempotencyKey, RuntimeDep, TicketNoDep, update_id
from api.errors import invalid, not_found, responses
from api.idempotency import claim_action_key
from api.public_schemas import PublicTicketView
from api.runtime import Runtime
from db.api_models import RequesterAccessRow, UnitRow
from domain.commands import Rate
from domain.ticket import TicketState
from operations.credentials import digest

router = APIRouter(prefix="/public/tickets", tags=["requester"])

AccessSecret = Annotated[
    str,
    Header(
        alias="X-Access-Secret",
        min_length=1,
        max_length=200,
        description="The access secret given at registration (A19).",
    ),
]
RatingCode = Annotated[
    str,
    Header(
        alias="X-Rating-Code",
        min_length=1,
        max_length=200,
        description="The rating code given at registration (A24).",
    ),
]
RatingBody = body_model(Rate, "RatingBody", drop=("via",))
# Requesters have no credential: their keys share one scope; the ticket is part of what a key is bound to.
RATING_KEY_SCOPE = "rate:requester"
RATING_EXAMPLES = {
    "satisfied": {
        "summary": "One option per stage, and 是否解决 answered",
        "value": {"acceptance": ["satisfied"], "handling": ["satisfied"], "resolved": True},
    },
    "dissatisfied": {
        "summary": "Dissatisfied with the handling: the hotline calls back (A24)",
        "value": {"acceptance": ["satisfied"], "handling": ["dissatisfied"]},
    },
}


async def _verified_state(runtime: Runtime, ticket_no: str, secret: str, *, rating: bool) -> TicketState:
    """The ticket, if the secret (or rating code) is its own; 404 alike for a wrong secret and no ticket."""
    async with runtime.session_maker() as session:
        access = await session.get(RequesterAccessRow, ticket_no)
    expected = (access.rating_code_hash if rating else access.secret_hash) if access else None
    if expected is None or not hmac.compare_digest(expected, digest(secret)):
        raise not_found()
    state = await runtime.ticket_state(ticket_no)
    if state is None:
        raise not_found()
    return state


@router.get(
    "/{no}",
    response_model=PublicTicketView,
    responses=responses(404, 422, 503),
    summary="Follow my ticket (requester)",
    description=(
        "A19: the stage, the answer deadline, an approved extension with its reason (A17), the answer once "
        "approved (A20: with the name of the unit that answered, and the written answer's reference when "
        "asked for), published supplementary answers (A21) and the rating window (A24). No unit-internal "
        "data. A wrong secret answers 404, like an unknown ticket."
    ),
)
async def progress(no: TicketNoDep, secret: AccessSecret, runtime: RuntimeDep) -> PublicTicketView:
    state = await _verified_state(runtime, no, secret, rating=False)
    return PublicTicketView.of(state, await answering_unit_name(runtime, state))


async def answering_unit_name(runtime: Runtime, state: TicketState) -> dict[str, str]:
    """A20: the name the unit that answered is registered under (its staff are never named)."""
    unit_id = state.answering_unit()
    if unit_id is None:
        return {}
    async with runtime.session_maker() as session:
        unit = await session.get(UnitRow, unit_id)
    return {unit_id: unit.name} if unit is not None else {}


@router.post(
    "/{no}/rating",
    response_model=PublicTicketView,
    responses=responses(404, 409, 422, 503),
    summary="Rate the handling (requester)",
    description=(
        "A24: pick ONE option per stage (`very_satisfied`, `satisfied`, `basically_satisfied`, "
        "`dissatisfied`, "
        "`very_dissatisfied`) within 24 hours of the request; several or an invalid option count as "
        "basically satisfied. Dissatisfied: the hotline calls back and may order one redo; the second "
        "rating is final; every dissatisfied rating is called back. A round is rated once (409 "
        "`ALREADY_RATED`). A rating that picks nothing for either stage is 422 `EMPTY_RATING`: it is no "
        "answer, and the window stays open (no answer in time counts as basically satisfied). With an "
        "`Idempotency-Key`, a retry answers as the first request did; the key reused for another rating or "
        "ticket is 422 `IDEMPOTENCY_KEY_REUSED`."
    ),
)
async def rate(
    no: TicketNoDep,
    code: RatingCode,
    body: Annotated[RatingBody, Body(openapi_examples=RATING_EXAMPLES)],  # type: ignore[valid-type]
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> PublicTicketView:
    await _verified_state(runtime, no, code, rating=True)
    command = Rate.model_validate(dict(body) | {"via": "code"})
    if not command.acceptance and not command.handling:
        # A24 reads "no answer in time" as basically satisfied when the window ends; an empty submission
        # (a client sending before the requester chose) must not spend the requester's one rating now.
        raise invalid("EMPTY_RATING", "pick one option for the acceptance or the handling", "A24")
    if idempotency_key is not None:
        # Bound to its first request, as a staff action's key is (api/idempotency.py): the same key with
        # another rating, or for another ticket, is 422 IDEMPOTENCY_KEY_REUSED, not silently dropped.
        await claim_action_key(runtime, RATING_KEY_SCOPE, idempotency_key, no, body)
    answer = await runtime.temporal.update_ticket(
        no, "rate", command, update_id("rate", "requester", idempotency_key)
    )
    return PublicTicketView.of(await runtime.state_after(no, answer))
