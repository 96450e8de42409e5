"""A11: a caller who disrupts the hotline is restricted for the rule set's `restriction_days`."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep
from api.edge import written_phone
from api.errors import responses
from api.routes.rule_sets import current_rule_set
from api.views import View
from db.models import RestrictedCallerRow
from db.session import insert_for
from domain.commands import Words

router = APIRouter(prefix="/restrictions", tags=["restrictions"])


class RestrictionIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    phone: Words = Field(min_length=3, max_length=200, examples=["13900000000"])
    reason: Words = Field(min_length=1, max_length=4000, examples=["多次辱骂话务员"])
    rule_set_id: Words = Field("city", max_length=200, description="Whose `restriction_days` apply (A33).")


class RestrictionOut(View):
    phone: str
    until: datetime
    reason: str
    rule: str = "A11"


@router.post(
    "",
    status_code=201,
    response_model=RestrictionOut,
    responses=responses(401, 403, 422, 503),
    summary="Restrict a caller (operator)",
    description="A11: harassment, insults or threats: the caller's new requests are not accepted for "
    "the rule set's `restriction_days` (30 natural days in the city's rules), counted "
    "from now. Restricting the same phone again restarts the period. The number is kept in one spelling "
    "(its digits only: no spaces, punctuation, invisible characters, full-width digits, `tel:` or +86 on a "
    "mobile number), and so is every requester's it is matched with; a number with letters is 422 "
    "`INVALID_PHONE`.",
)
async def restrict(
    restriction: RestrictionIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> RestrictionOut:
    async with runtime.session_maker.begin() as session:
        rule_set = await current_rule_set(session, restriction.rule_set_id)
        values = {
            "phone": written_phone(restriction.phone),
            "until": now + timedelta(days=rule_set.restriction_days),
            "reason": restriction.reason,
            "created_at": now,
        }
        stmt = insert_for(session, RestrictedCallerRow).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[RestrictedCallerRow.phone],
                set_={k: stmt.excluded[k] for k in values if k != "phone"},
            )
        )
    return RestrictionOut(phone=values["phone"], until=values["until"], reason=restriction.reason)
