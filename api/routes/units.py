"""Member units in three tiers (A4–A6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.errors import ApiError, responses
from api.views import View
from db.api_models import UnitRow
from domain.commands import Words
from operations.credentials import UNIT_ID_PATTERN, UnitError, UnitKind, create_unit, deactivate_unit

router = APIRouter(prefix="/units", tags=["units"])


class UnitIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    id: str = Field(pattern=UNIT_ID_PATTERN, examples=["WJ-XINHUA"])
    name: Words = Field(min_length=1, max_length=200, examples=["武江区新华街道办事处"])
    tier: int = Field(
        ge=1, le=3, examples=[3], description="A6: 1 city-level, 2 a member unit, 3 its sub-units."
    )
    parent_id: str | None = Field(
        None, max_length=64, examples=["WJ"], description="The unit above (a lower tier number)."
    )
    kind: UnitKind = Field("other", examples=["town"])


class UnitOut(UnitIn, View):
    created_at: datetime
    deactivated_at: datetime | None = Field(
        None, description="When the unit was taken off the hotline: no tickets, no credentials."
    )


class DeactivatedUnit(UnitOut):
    revoked_credentials: int = Field(description="Credentials revoked by this request (0 on a repeat).")


def _out(row: UnitRow) -> UnitOut:
    return UnitOut.model_validate(row, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=UnitOut,
    responses=responses(401, 403, 409, 422, 503),
    summary="Register a unit (operator)",
    description="A6: a unit sits below a unit of a higher tier; a tier-2 unit forwards tickets to its "
    "tier-3 sub-units and sees their tickets. Credentials for its staff are issued with "
    "`python -m operations issue-credential`.",
)
async def add_unit(unit: UnitIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep) -> UnitOut:
    try:
        row = await create_unit(
            runtime.session_maker,
            unit_id=unit.id,
            name=unit.name,
            tier=unit.tier,
            kind=unit.kind,
            parent_id=unit.parent_id,
            now=now,
        )
    except UnitError as err:
        raise ApiError(409 if err.code == "UNIT_EXISTS" else 422, err.code, err.message, "A6") from None
    return _out(row)


@router.post(
    "/{unit_id}/deactivation",
    response_model=DeactivatedUnit,
    responses=responses(401, 403, 404, 422, 503),
    summary="Deactivate a unit (operator)",
    description="Takes a unit off the hotline at once: every credential of its staff is revoked (their next "
    "request is 401 `UNAUTHENTICATED`), and dispatching, forwarding, co-assigning or suggesting it is 422 "
    "`UNIT_DEACTIVATED`. Its open tickets stay where they are, for the office to redispatch. A repeat "
    "changes nothing. Also `python -m operations deactivate-unit --id <unit>`.",
)
async def deactivate(
    unit_id: Annotated[str, Path(pattern=UNIT_ID_PATTERN)],
    caller: OperatorDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> DeactivatedUnit:
    try:
        row, revoked = await deactivate_unit(runtime.session_maker, unit_id, now)
    except UnitError as err:
        raise ApiError(404, err.code, err.message) from None
    runtime.callers.forget_unit(unit_id)  # its staff are refused at once here, not a cache lifetime later
    return DeactivatedUnit.model_validate(_out(row).model_dump() | {"revoked_credentials": revoked})


@router.get(
    "",
    response_model=list[UnitOut],
    responses=responses(401, 403, 422, 503),
    summary="The units (staff)",
    description="Every unit, by tier; `parent_id` lists one unit's sub-units.",
)
async def list_units(
    caller: StaffOrOfficeDep,
    session: SessionDep,
    parent_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[UnitOut]:
    query = select(UnitRow).order_by(UnitRow.tier, UnitRow.id)
    if parent_id is not None:
        query = query.where(UnitRow.parent_id == parent_id)
    return [_out(row) for row in await session.scalars(query)]
