"""A11: a caller who disrupts the hotline is restricted for the rule set's `restriction_days`.

「对涉及扰乱热线正常工作秩序，骚扰、侮辱、威胁热线工作人员等行为的，12345热线管理机构对行为人实行30个自然日内
限制占用12345电话资源的措施；涉嫌违反治安管理法律法规的，依法交由公安机关处理；涉嫌犯罪的，依法移送司法机关处理」.
The office restricts a number, lists the restrictions, lifts one early (who, when, why: its `until` becomes
the lifting, the period it had is kept) and records a referral to the police or the judicial organs. The
operator taking a call sees a restriction's end in the registration's answer and by looking the number up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep
from api.edge import written_phone
from api.errors import ApiError, conflict, responses
from api.routes.rule_sets import current_rule_set
from api.views import View
from db.models import RestrictedCallerRow
from db.session import insert_for
from domain.commands import Words

router = APIRouter(prefix="/restrictions", tags=["restrictions"])

PhonePath = Annotated[
    str,
    Path(min_length=3, max_length=200, examples=["13900000000"], description="The number, in any spelling."),
]


class RestrictionIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    phone: Words = Field(min_length=3, max_length=200, examples=["13900000000"])
    reason: Words = Field(min_length=1, max_length=4000, examples=["多次辱骂话务员"])
    rule_set_id: Words = Field("city", max_length=200, description="Whose `restriction_days` apply (A33).")


class LiftingIn(BaseModel):
    model_config = BODY_CONFIG

    reason: Words = Field(min_length=1, max_length=4000, examples=["来电人书面致歉，经热线办研究提前解除"])


class ReferralIn(BaseModel):
    model_config = BODY_CONFIG

    to: Literal["police", "judicial"] = Field(
        examples=["police"],
        description="A11: `police` (涉嫌违反治安管理, 交由公安机关) or `judicial` (涉嫌犯罪, 移送司法机关).",
    )
    reference: Words = Field(min_length=1, max_length=200, examples=["韶公武(治)受字〔2026〕1234号"])


class RestrictionOut(View):
    phone: str
    until: datetime = Field(description="When the restriction ends (ended, if lifted: the lifting).")
    reason: str
    rule: str = "A11"
    active: bool = True
    restricted_at: datetime | None = None
    restricted_until: datetime | None = Field(None, description="The end it was given (before any lifting).")
    lifted_at: datetime | None = None
    lifted_by: int | None = Field(None, description="The credential that lifted it.")
    lift_reason: str | None = None
    referred_to: str | None = None
    referral_ref: str | None = None
    referred_at: datetime | None = None


def restriction_out(row: RestrictedCallerRow, now: datetime) -> RestrictionOut:
    return RestrictionOut(
        phone=row.phone,
        until=row.until,
        reason=row.reason,
        active=row.until > now,
        restricted_at=row.created_at,
        restricted_until=row.restricted_until or row.until,
        lifted_at=row.lifted_at,
        lifted_by=row.lifted_by,
        lift_reason=row.lift_reason,
        referred_to=row.referred_to,
        referral_ref=row.referral_ref,
        referred_at=row.referred_at,
    )


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
        until = now + timedelta(days=rule_set.restriction_days)
        values = {
            "phone": written_phone(restriction.phone),
            "until": until,
            "reason": restriction.reason,
            "created_at": now,
            "restricted_by": caller.credential_id,
            "restricted_until": until,
            # A new period: a lifting of an earlier one no longer describes it.
            "lifted_at": None,
            "lifted_by": None,
            "lift_reason": None,
        }
        stmt = insert_for(session, RestrictedCallerRow).values(values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[RestrictedCallerRow.phone],
                set_={k: stmt.excluded[k] for k in values if k != "phone"},
            )
        )
        row = await session.get(RestrictedCallerRow, values["phone"], populate_existing=True)
        assert row is not None
        return restriction_out(row, now)


@router.get(
    "",
    response_model=list[RestrictionOut],
    responses=responses(401, 403, 422, 503),
    summary="The restrictions (operator); look a caller's number up",
    description="A11: newest first. `phone` (any spelling) looks one number up, as the operator taking its "
    "call does; `active=false` lists the ended and lifted ones too.",
)
async def list_restrictions(
    caller: OperatorDep,
    session: SessionDep,
    now: NowDep,
    phone: Annotated[str | None, Query(min_length=3, max_length=200)] = None,
    active: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RestrictionOut]:
    query = select(RestrictedCallerRow)
    if phone is not None:
        query = query.where(RestrictedCallerRow.phone == written_phone(phone, "phone"))
    if active:
        query = query.where(RestrictedCallerRow.until > now)
    rows = await session.scalars(query.order_by(RestrictedCallerRow.created_at.desc()).limit(limit))
    return [restriction_out(row, now) for row in rows]


async def _restriction(session: AsyncSession, phone: str) -> RestrictedCallerRow:
    row = await session.get(RestrictedCallerRow, written_phone(phone, "phone"), with_for_update=True)
    if row is None:
        raise ApiError(404, "RESTRICTION_NOT_FOUND", "this number was never restricted", "A11")
    return row


@router.post(
    "/{phone}/lifting",
    response_model=RestrictionOut,
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Lift a restriction early (operator)",
    description="A11 「30个自然日内」 is a most: the office may end a restriction before its period, saying "
    "why; who lifted it, when and why are kept. One that has ended is 409 `RESTRICTION_NOT_ACTIVE`.",
)
async def lift(
    phone: PhonePath, lifting: LiftingIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> RestrictionOut:
    async with runtime.session_maker.begin() as session:
        row = await _restriction(session, phone)
        if row.until <= now:
            raise conflict("RESTRICTION_NOT_ACTIVE", "this restriction has already ended", "A11")
        row.restricted_until = row.restricted_until or row.until
        row.until, row.lifted_at, row.lifted_by, row.lift_reason = (
            now,
            now,
            caller.credential_id,
            lifting.reason,
        )
        return restriction_out(row, now)


@router.post(
    "/{phone}/referral",
    response_model=RestrictionOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Record the referral to the police or the judicial organs (operator)",
    description="A11 「依法交由公安机关处理；涉嫌犯罪的，依法移送司法机关处理」: the office records where the "
    "restricted caller's conduct was referred and the receiving body's reference. A second referral "
    "replaces the first (e.g. a police matter moved on to the judicial organs).",
)
async def refer(
    phone: PhonePath, referral: ReferralIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> RestrictionOut:
    async with runtime.session_maker.begin() as session:
        row = await _restriction(session, phone)
        row.referred_to, row.referral_ref = referral.to, referral.reference
        row.referred_at, row.referred_by = now, caller.credential_id
        return restriction_out(row, now)
