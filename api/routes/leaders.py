"""Leaders and staff of the hotline's units.

A7: leaders of the city, the counties and the departments answer the hotline in person, periodically; the
hotline office keeps the roster. Operators put sessions on it; staff read it (who is on the line when).

A5/A15: each unit files its leaders and hotline staff with the office (备案), and every change is kept;
a return's sign-off names a filed leader or a signatory one authorised (api/preconditions.py
`registered_sign_off`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.bodies import BODY_CONFIG
from api.county import county_units, report_scope_error
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.edge import WrittenInstant
from api.errors import ApiError, conflict, invalid, responses
from api.views import View
from db.api_models import LeaderSessionRow, UnitRow
from db.filing_models import FILED_ROLES, LEADER_ROLES, FiledPersonChangeRow, FiledPersonRow
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
    caller: StaffOrOfficeDep,
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


# -- A5/A15: the register of a unit's hotline people (备案) ----------------------------------------------------
filing_router = APIRouter(prefix="/units/{unit_id}/filed-people", tags=["filed leaders and staff (A5, A15)"])

FiledRole = Literal["first_responsible", "leader_in_charge", "staff", "authorised_signatory"]
assert set(get_args(FiledRole)) == set(FILED_ROLES)
# A row id (an INTEGER column): a larger number names no one, and PostgreSQL would refuse to compare it.
PERSON_ID_MAX = 2**31 - 1
UnitPath = Annotated[str, Path(pattern=UNIT_ID_PATTERN, examples=["WJ-URBAN"], description="The unit.")]


class FilingIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    role: FiledRole = Field(
        examples=["leader_in_charge"],
        description="A5: `first_responsible` (主要领导, 第一责任人), `leader_in_charge` (分管领导), `staff` "
        "(工作人员); A15: `authorised_signatory` (经授权的有关负责同志), named with `authorised_by`.",
    )
    name: Words = Field(min_length=1, max_length=200, examples=["王强"])
    title: Words = Field(min_length=1, max_length=200, examples=["副局长"])
    phone: Words = Field("", max_length=200, examples=["0751-8888888"])
    authorised_by: int | None = Field(
        None,
        ge=1,
        le=PERSON_ID_MAX,
        description="A15: the filed leader of this unit who authorised an `authorised_signatory`.",
    )
    replaces: int | None = Field(
        None,
        ge=1,
        le=PERSON_ID_MAX,
        description="A5 「如有调整」: the filed person this one replaces, withdrawn in the same change.",
    )
    reason: Words = Field("", max_length=2000, examples=["原分管领导调任"])


class WithdrawalIn(BaseModel):
    model_config = BODY_CONFIG

    reason: Words = Field(min_length=1, max_length=2000, examples=["调离本单位"])


class FiledPersonOut(View):
    id: int
    unit_id: str
    role: str
    name: str
    title: str
    phone: str
    authorised_by: int | None
    filed_at: datetime
    withdrawn_at: datetime | None


class FilingChangeOut(View):
    id: int
    person_id: int
    change: str
    at: datetime
    by: int = Field(description="The credential that made the change.")
    reason: str
    person: dict[str, Any]


async def _unit_in_reach(session: AsyncSession, caller: Caller, unit_id: str) -> UnitRow:
    """A5: a unit files its own people; the city's office any unit's, a county's office (A4) its county's."""
    unit = await session.get(UnitRow, unit_id)
    if caller.is_unit and unit_id != caller.unit_id:
        raise ApiError(403, "NOT_YOUR_UNIT", "a unit files its own leaders and staff", "A5")
    county = await county_units(session, caller)
    if county is not None and unit_id not in county:
        raise report_scope_error(caller, unit_id)
    if unit is None:
        raise ApiError(404, "UNKNOWN_UNIT", f"no unit {unit_id}")
    return unit


def _person(row: FiledPersonRow) -> FiledPersonOut:
    return FiledPersonOut.model_validate(row, from_attributes=True)


def _change(
    row: FiledPersonRow, change: str, caller: Caller, now: datetime, reason: str
) -> FiledPersonChangeRow:
    person = _person(row).model_dump(mode="json", exclude={"withdrawn_at"})
    return FiledPersonChangeRow(
        person_id=row.id,
        unit_id=row.unit_id,
        change=change,
        at=now,
        by=caller.credential_id,
        reason=reason,
        person=person,
    )


async def _current(session: AsyncSession, unit_id: str, person_id: int, field: str) -> FiledPersonRow:
    row = await session.get(FiledPersonRow, person_id, with_for_update=True)
    if row is None or row.unit_id != unit_id or row.withdrawn_at is not None:
        raise invalid("NOT_A_FILED_PERSON", f"`{field}`: {person_id} is no one this unit has on file", "A5")
    return row


@filing_router.post(
    "",
    status_code=201,
    response_model=FiledPersonOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="File a leader or staff member with the office (unit staff, offices)",
    description="A5 「各成员单位热线工作分管领导及工作人员如有调整，应及时报12345热线工作领导小组办公室备案」: a "
    "unit files its own people (the city's office any unit's, a county's office its county's). "
    "`replaces` withdraws the person replaced in the same change. An `authorised_signatory` (A15 "
    "「经授权的有关负责同志」) names in `authorised_by` the filed leader of the unit who authorised them. "
    "Every filing and withdrawal is kept in the unit's history (`/changes`): who, when, why.",
)
async def file_person(
    unit_id: UnitPath, filing: FilingIn, caller: StaffOrOfficeDep, runtime: RuntimeDep, now: NowDep
) -> FiledPersonOut:
    if (filing.role == "authorised_signatory") != (filing.authorised_by is not None):
        raise invalid(
            "AUTHORISER_REQUIRED",
            "an authorised signatory, and only one, names the leader who authorised them",
            "A15",
        )
    async with runtime.session_maker.begin() as session:
        await _unit_in_reach(session, caller, unit_id)
        if filing.authorised_by is not None:
            authoriser = await _current(session, unit_id, filing.authorised_by, "authorised_by")
            if authoriser.role not in LEADER_ROLES:
                raise invalid("AUTHORISER_NOT_A_LEADER", "only a filed leader authorises a signatory", "A15")
        if filing.replaces is not None:
            replaced = await _current(session, unit_id, filing.replaces, "replaces")
            replaced.withdrawn_at = now
            session.add(
                _change(replaced, "withdrawn", caller, now, filing.reason or f"replaced: {filing.name}")
            )
        row = FiledPersonRow(
            unit_id=unit_id,
            **filing.model_dump(include={"role", "name", "title", "phone", "authorised_by"}),
            filed_at=now,
            filed_by=caller.credential_id,
        )
        session.add(row)
        await session.flush()
        session.add(_change(row, "filed", caller, now, filing.reason))
        return _person(row)


@filing_router.post(
    "/{person_id}/withdrawal",
    response_model=FiledPersonOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Withdraw a filed person (unit staff, offices)",
    description="A5: the person is no longer on the unit's register (kept in its history). A signatory a "
    "withdrawn leader authorised no longer signs returns (A15).",
)
async def withdraw_person(
    unit_id: UnitPath,
    person_id: Annotated[int, Path(ge=1, le=PERSON_ID_MAX, examples=[1])],
    withdrawal: WithdrawalIn,
    caller: StaffOrOfficeDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> FiledPersonOut:
    async with runtime.session_maker.begin() as session:
        await _unit_in_reach(session, caller, unit_id)
        row = await _current(session, unit_id, person_id, "person_id")
        row.withdrawn_at = now
        session.add(_change(row, "withdrawn", caller, now, withdrawal.reason))
        return _person(row)


@filing_router.get(
    "",
    response_model=list[FiledPersonOut],
    responses=responses(401, 403, 404, 422, 503),
    summary="A unit's register of leaders and staff (unit staff, offices)",
    description="A5: the people the unit has on file now; `withdrawn=true` lists those withdrawn too.",
)
async def list_people(
    unit_id: UnitPath, caller: StaffOrOfficeDep, session: SessionDep, withdrawn: bool = False
) -> list[FiledPersonOut]:
    await _unit_in_reach(session, caller, unit_id)
    query = select(FiledPersonRow).where(FiledPersonRow.unit_id == unit_id)
    if not withdrawn:
        query = query.where(FiledPersonRow.withdrawn_at.is_(None))
    return [_person(row) for row in await session.scalars(query.order_by(FiledPersonRow.id))]


@filing_router.get(
    "/changes",
    response_model=list[FilingChangeOut],
    responses=responses(401, 403, 404, 422, 503),
    summary="The register's history (unit staff, offices)",
    description="A5 「如有调整……备案」: every filing and withdrawal of the unit's people, oldest first, with "
    "the credential that made it, when and why.",
)
async def list_changes(
    unit_id: UnitPath, caller: StaffOrOfficeDep, session: SessionDep
) -> list[FilingChangeOut]:
    await _unit_in_reach(session, caller, unit_id)
    rows = await session.scalars(
        select(FiledPersonChangeRow)
        .where(FiledPersonChangeRow.unit_id == unit_id)
        .order_by(FiledPersonChangeRow.id)
    )
    return [FilingChangeOut.model_validate(row, from_attributes=True) for row in rows]
