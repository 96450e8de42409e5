"""The knowledge base (A28, A29): units keep their points current; A16.6 weighs when a point was uploaded.

A30: the content is the hotline's and the units'. Staff credentials read it; integrators (other systems)
and anonymous callers do not. A31: a sub-centre is a unit (kind `sub_centre`) whose staff upload like any
unit's, so its points are in 12345's base the moment they are written.

A28's own limits: a policy is reported 3–10 working days before it is published (the point records how
many it was, and whether that was on time, late or early); an error the hotline finds is fixed by the
owning unit within 2 working days, or 24 hours when it touches a major or sudden event (an error notice
with its due time, closed by the unit's correction, listed for supervision while open or overdue).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller, Role
from api.bodies import BODY_CONFIG
from api.deps import NowDep, OperatorDep, RuntimeDep, SessionDep, StaffDep
from api.edge import WrittenDay
from api.errors import ApiError, invalid, responses
from api.kb.index import index_point
from api.kb.points import owned_point, write_version
from api.preconditions import require_units
from api.views import View
from db.api_models import KnowledgeErrorRow, KnowledgePointRow
from db.seed import read_working_calendar
from db.session import count_rows
from domain.calendar import WorkingCalendar
from domain.commands import Words
from domain.knowledge import (
    ErrorSeverity,
    PointKind,
    ReportTiming,
    correction_due,
    policy_lead,
    policy_report_timing,
)
from operations.credentials import UNIT_ID_PATTERN

router = APIRouter(prefix="/knowledge-points", tags=["knowledge base"])


PUBLICATION_HORIZON_DAYS = 730


class KnowledgePointIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    title: Words = Field(min_length=1, max_length=200, examples=["社保卡补办"])
    body: Words = Field(
        min_length=1, max_length=20_000, examples=["携带身份证到任一社保网点办理，当场制卡。"]
    )
    unit_id: str | None = Field(
        None,
        pattern=UNIT_ID_PATTERN,
        examples=["SG-HRSS"],
        description="Operators name the unit; unit staff upload for their own unit only (A29).",
    )
    kind: PointKind = Field(
        PointKind.DUTY,
        description="A28.1 `duty` (duties, power lists, service items, contacts, hours), A28.2 `policy` "
        "(reported 3–10 working days before publication), A28.3 `event_script` (major or sudden events).",
    )
    publishes_on: WrittenDay | None = Field(
        None, description="A28.2: the policy's publication day (Asia/Shanghai); required for a policy only."
    )
    expires_on: WrittenDay | None = Field(
        None,
        description="The last day the point applies (a temporary policy, an event's script); the search "
        "no longer offers it after that day (Asia/Shanghai).",
    )


class KnowledgePointOut(View):
    id: str = Field(examples=["kp-3f9a0c1b2d4e"])
    unit_id: str
    title: str
    body: str
    uploaded_at: datetime
    kind: PointKind
    publishes_on: date | None
    report_lead_working_days: int | None = Field(
        description="A28.2: working days from the report to the publication (a limit's way of counting)."
    )
    report_timing: ReportTiming | None = Field(description="A28.2: on time is 3–10 working days ahead.")
    corrected_at: datetime | None
    version: int = Field(description="A29: the number of the current text; every earlier one is kept.")
    expires_on: date | None
    withdrawn_at: datetime | None = Field(description="A29: withdrawn by its unit; no longer searched.")
    withdrawal_reason: str | None
    score: float | None = Field(
        None, description="A12: how well the point matches the question `q` (BM25F), in a search only."
    )


class KnowledgeCorrection(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    title: Words = Field(min_length=1, max_length=200, examples=["社保卡补办"])
    body: Words = Field(
        min_length=1,
        max_length=20_000,
        examples=["携带身份证到任一社保网点办理，当场制卡；也可线上申请邮寄。"],
    )


class WithdrawalIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    reason: Words = Field(min_length=1, max_length=2_000, examples=["政策已废止，以新文件为准"])


class ErrorNoticeIn(BaseModel):
    model_config = BODY_CONFIG  # an unknown field is a mistake, answered 422

    severity: ErrorSeverity = Field(
        examples=["general"],
        description="`general`: fixed within 2 working days; `major` (a major or sudden event): 24 hours.",
    )
    note: Words = Field(min_length=1, max_length=2_000, examples=["停水公告的联系电话已变更"])


class ErrorState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    CORRECTED_ON_TIME = "corrected_on_time"
    CORRECTED_LATE = "corrected_late"


class ErrorNoticeOut(View):
    id: int
    point_id: str
    unit_id: str
    severity: ErrorSeverity
    note: str
    noticed_at: datetime
    due_at: datetime
    provisional: bool = Field(description="The due time rests on a year whose holiday notice is not loaded.")
    corrected_at: datetime | None
    state: ErrorState


class ErrorNoticePage(View):
    total: int
    items: list[ErrorNoticeOut]


class KnowledgePointPage(View):
    total: int
    limit: int
    offset: int
    items: list[KnowledgePointOut]


def _out(row: KnowledgePointRow) -> KnowledgePointOut:
    return KnowledgePointOut.model_validate(row, from_attributes=True)


def _state(now: datetime) -> ColumnElement[str]:
    """A28: an error notice's state, the one rule both the list's filter and every answer read."""
    notice = KnowledgeErrorRow
    return case(
        (and_(notice.corrected_at.is_(None), notice.due_at < now), ErrorState.OVERDUE.value),
        (notice.corrected_at.is_(None), ErrorState.OPEN.value),
        (notice.corrected_at <= notice.due_at, ErrorState.CORRECTED_ON_TIME.value),
        else_=ErrorState.CORRECTED_LATE.value,
    )


def _notice_out(row: KnowledgeErrorRow, unit_id: str, state: str) -> ErrorNoticeOut:
    return ErrorNoticeOut(
        id=row.id,
        point_id=row.point_id,
        unit_id=unit_id,
        severity=ErrorSeverity(row.severity),
        note=row.note,
        noticed_at=row.noticed_at,
        due_at=row.due_at,
        provisional=row.provisional,
        corrected_at=row.corrected_at,
        state=ErrorState(state),
    )


async def _point(session: AsyncSession, point_id: str) -> KnowledgePointRow:
    row = await session.get(KnowledgePointRow, point_id)
    if row is None:
        raise ApiError(404, "KNOWLEDGE_POINT_NOT_FOUND", f"no knowledge point {point_id}")
    return row


PointId = Annotated[str, Path(min_length=1, max_length=64, examples=["kp-3f9a0c1b2d4e"])]


@router.post(
    "",
    status_code=201,
    response_model=KnowledgePointOut,
    responses=responses(401, 403, 422, 503),
    summary="Upload a knowledge point (unit staff, operator)",
    description="A28/A29: a unit's duties, policies and answer scripts. The upload time is recorded: "
    "a return refused on A16.6 cites a point and its upload time.",
)
async def upload(
    point: KnowledgePointIn, caller: StaffDep, runtime: RuntimeDep, now: NowDep
) -> KnowledgePointOut:
    if caller.role == Role.UNIT_STAFF:
        if point.unit_id not in (None, caller.unit_id):
            raise invalid("NOT_YOUR_UNIT", "unit staff upload knowledge points for their own unit", "A29")
        unit_id = caller.unit_id
    else:
        unit_id = point.unit_id
    if unit_id is None:
        raise invalid("UNIT_REQUIRED", "name the unit the knowledge point belongs to", "A29")
    if (
        point.publishes_on is not None
        and abs((point.publishes_on - WorkingCalendar.local_date(now)).days) > PUBLICATION_HORIZON_DAYS
    ):
        # A28.2 reports a policy days ahead: a date years away is a typo, and counting working days to it
        # would hold the API for as long as it takes.
        raise invalid(
            "PUBLICATION_DAY_OUT_OF_RANGE",
            f"a publication day within {PUBLICATION_HORIZON_DAYS} days of today",
            "A28.2",
        )
    if (point.kind == PointKind.POLICY) != (point.publishes_on is not None):
        if point.kind == PointKind.POLICY:
            raise invalid(
                "PUBLICATION_DAY_REQUIRED", "a policy is reported with its publication day", "A28.2"
            )
        raise invalid("PUBLICATION_DAY_ONLY_FOR_POLICY", "only a policy has a publication day", "A28.2")
    async with runtime.session_maker.begin() as session:
        await require_units(session, [unit_id])
        row = KnowledgePointRow(
            id=f"kp-{secrets.token_hex(6)}",
            unit_id=unit_id,
            title=point.title,
            body=point.body,
            uploaded_at=now,
            uploaded_by=caller.credential_id,
            kind=point.kind.value,
            publishes_on=point.publishes_on,
            expires_on=point.expires_on,
            version=1,
        )
        if point.publishes_on is not None:
            # A28.2: reported late or early is recorded (for assessment, A27), not refused: a late report
            # is still better than none.
            lead = policy_lead(await read_working_calendar(session), now, point.publishes_on)
            row.report_lead_working_days, row.report_timing = lead, policy_report_timing(lead).value
        session.add(row)
        await session.flush()
        await write_version(session, row, caller, now)
    return _out(row)


@router.put(
    "/{point_id}",
    response_model=KnowledgePointOut,
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Correct a knowledge point (its unit's staff, operator)",
    description="A29: the owning unit keeps its points current; the earlier text is kept as a version "
    "(`/versions`), the one an earlier answer or refusal cited. A28: a correction closes the error notices "
    "open on the point, on time or late against their due time. A withdrawn point is not corrected (409).",
)
async def correct(
    point_id: PointId, correction: KnowledgeCorrection, caller: StaffDep, runtime: RuntimeDep, now: NowDep
) -> KnowledgePointOut:
    async with runtime.session_maker.begin() as session:
        row = await owned_point(session, point_id, caller, "corrects")
        row.title, row.body, row.corrected_at = correction.title, correction.body, now
        row.version += 1
        await write_version(session, row, caller, now)
        await session.execute(
            update(KnowledgeErrorRow)
            .where(KnowledgeErrorRow.point_id == point_id, KnowledgeErrorRow.corrected_at.is_(None))
            .values(corrected_at=now)
        )
    return _out(row)


@router.post(
    "/{point_id}/withdrawal",
    response_model=KnowledgePointOut,
    responses=responses(401, 403, 404, 409, 422, 503),
    summary="Withdraw a knowledge point (its unit's staff, operator)",
    description="A29: a point no longer lawful or accurate is withdrawn by its unit: the search stops "
    "offering it at once, and an answer can no longer cite it (A12). Its versions stay, for the answers "
    "and refusals that cited them. Withdrawn once (409 after).",
)
async def withdraw(
    point_id: PointId, withdrawal: WithdrawalIn, caller: StaffDep, runtime: RuntimeDep, now: NowDep
) -> KnowledgePointOut:
    async with runtime.session_maker.begin() as session:
        row = await owned_point(session, point_id, caller, "withdraws")
        row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = (
            now,
            caller.credential_id,
            withdrawal.reason,
        )
        await session.flush()
        await index_point(session, row)
    return _out(row)


@router.post(
    "/{point_id}/errors",
    status_code=201,
    response_model=ErrorNoticeOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="Tell a unit of an error in its knowledge point (operator)",
    description="A28: the owning unit fixes a general error within 2 working days of the notice, an error "
    "touching a major or sudden event within 24 hours. The notice carries its due time.",
)
async def notice_error(
    point_id: PointId, notice: ErrorNoticeIn, caller: OperatorDep, runtime: RuntimeDep, now: NowDep
) -> ErrorNoticeOut:
    async with runtime.session_maker.begin() as session:
        point = await _point(session, point_id)
        due = correction_due(await read_working_calendar(session), now, notice.severity)
        row = KnowledgeErrorRow(
            point_id=point_id,
            severity=notice.severity.value,
            note=notice.note,
            noticed_at=now,
            noticed_by=caller.credential_id,
            due_at=due.due_at,
            provisional=due.provisional,
        )
        session.add(row)
        await session.flush()
        state = await session.scalar(select(_state(now)).where(KnowledgeErrorRow.id == row.id))
        return _notice_out(row, point.unit_id, str(state))


@router.get(
    "/errors",
    response_model=ErrorNoticePage,
    responses=responses(401, 403, 422, 503),
    summary="Error notices (staff): what is open or overdue, and what was fixed late",
    description="A28 supervision. Unit staff see their own unit's notices; operators every unit's, or one. "
    "Newest first.",
)
async def list_errors(
    caller: StaffDep,
    session: SessionDep,
    now: NowDep,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[ErrorState | None, Query(description="only notices in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ErrorNoticePage:
    units = _visible_unit(caller, unit_id)
    query = select(KnowledgeErrorRow, KnowledgePointRow.unit_id, _state(now)).join(
        KnowledgePointRow, KnowledgePointRow.id == KnowledgeErrorRow.point_id
    )
    if units is not None:
        query = query.where(KnowledgePointRow.unit_id == units)
    if state is not None:
        query = query.where(_state(now) == state.value)
    total = await count_rows(session, query)
    rows = await session.execute(
        query.order_by(KnowledgeErrorRow.noticed_at.desc(), KnowledgeErrorRow.id.desc()).limit(limit)
    )
    return ErrorNoticePage(total=total, items=[_notice_out(row, unit, state) for row, unit, state in rows])


def _visible_unit(caller: Caller, unit_id: str | None) -> str | None:
    """The unit whose notices the caller asks for: unit staff only their own."""
    if caller.role == Role.UNIT_STAFF:
        if unit_id not in (None, caller.unit_id):
            raise ApiError(403, "NOT_YOUR_UNIT", "unit staff see their own unit's error notices", "A29")
        return caller.unit_id
    return unit_id
