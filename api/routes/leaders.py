"""A7: leaders of the city, the counties and the departments answer the hotline in person, periodically;
the hotline office keeps the roster. Operators put sessions on it; staff read it (who is on the line when).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep, StaffDep
from api.edge import WrittenInstant
from api.errors import conflict, invalid, responses
from api.views import View
from db.api_models import LeaderSessionRow, UnitRow
from domain.commands import Words
from operations.credentials import UNIT_ID_PATTERN

router = APIRouter(prefix="/leader-sessions", tags=["leaders on the line (A7)"])

# A7 names the city, the counties and the departments: tier-1 and tier-2 units, not a town's sub-unit.
LEADER_TIERS = (1, 2)
# A session is an hour or an afternoon on the line, not a standing assignment.
LONGEST_SESSION_HOURS = 12


class LeaderSessionIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    leader_name: Words = Field(min_length=1, max_length=200, examples=["王伟"])
    title: Words = Field(min_length=1, max_length=200, examples=["区长"])
    unit_id: str = Field(
        pattern=UNIT_ID_PATTERN, examples=["WJ"], description="The leader's unit (tier 1 or 2)."
    )
    starts_at: WrittenInstant = Field(examples=["2026-12-03T09:00:00+08:00"])
    ends_at: WrittenInstant = Field(examples=["2026-12-03T11:00:00+08:00"])


class LeaderSessionOut(LeaderSessionIn, View):
    id: int
    recorded_at: datetime


def _out(row: LeaderSessionRow) -> LeaderSessionOut:
    return LeaderSessionOut.model_validate(row, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=LeaderSessionOut,
    responses=responses(401, 403, 409, 422, 503),
    summary="Put a leader's session on the roster (operator)",
    description="A7. The unit must be the city's, a county's or a department's (tier 1 or 2); a session "
    f"ends after it starts and lasts at most {LONGEST_SESSION_HOURS} hours; one leader is not on the line "
    "twice at once.",
)
async def add_session(
    session_in: LeaderSessionIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> LeaderSessionOut:
    if session_in.ends_at <= session_in.starts_at:
        raise invalid("SESSION_ENDS_BEFORE_IT_STARTS", "a session ends after it starts", "A7")
    if (session_in.ends_at - session_in.starts_at).total_seconds() > LONGEST_SESSION_HOURS * 3600:
        raise invalid("SESSION_TOO_LONG", f"a session lasts at most {LONGEST_SESSION_HOURS} hours", "A7")
    async with runtime.session_maker.begin() as session:
        unit = await session.get(UnitRow, session_in.unit_id)
        if unit is None:
            raise invalid("UNKNOWN_UNIT", f"no such unit: {session_in.unit_id}")
        if unit.tier not in LEADER_TIERS:
            raise invalid(
                "NOT_A_LEADERS_UNIT", "A7 names leaders of the city, the counties and the departments", "A7"
            )
        overlapping = await session.scalar(
            select(LeaderSessionRow.id)
            .where(
                LeaderSessionRow.leader_name == session_in.leader_name,
                LeaderSessionRow.unit_id == session_in.unit_id,
                LeaderSessionRow.starts_at < session_in.ends_at,
                LeaderSessionRow.ends_at > session_in.starts_at,
            )
            .limit(1)
        )
        if overlapping is not None:
            raise conflict(
                "SESSION_OVERLAPS", f"{session_in.leader_name} is already on the roster then", "A7"
            )
        row = LeaderSessionRow(**session_in.model_dump(), recorded_by=caller.credential_id, recorded_at=now)
        session.add(row)
        await session.flush()
        return _out(row)


@router.get(
    "",
    response_model=list[LeaderSessionOut],
    responses=responses(401, 403, 422, 503),
    summary="The roster (staff): sessions that overlap a window, earliest first",
    description="A7. Without `from`/`to`: from now on. `unit_id` narrows it to one unit's leaders.",
)
async def list_sessions(
    caller: StaffDep,
    session: SessionDep,
    now: NowDep,
    start: Annotated[WrittenInstant | None, Query(alias="from")] = None,
    end: Annotated[WrittenInstant | None, Query(alias="to")] = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[LeaderSessionOut]:
    query = select(LeaderSessionRow).where(LeaderSessionRow.ends_at > (start or now))
    if end is not None:
        if start is not None and end <= start:
            raise invalid("EMPTY_WINDOW", "`to` comes after `from`")
        query = query.where(LeaderSessionRow.starts_at < end)
    if unit_id is not None:
        query = query.where(LeaderSessionRow.unit_id == unit_id)
    rows = await session.scalars(query.order_by(LeaderSessionRow.starts_at, LeaderSessionRow.id).limit(limit))
    return [_out(row) for row in rows]
