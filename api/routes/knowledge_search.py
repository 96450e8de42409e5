"""Finding and reading knowledge points (A12, A28–A31): the search an operator answers a consultation on
the spot from, one point, and the versions its corrections kept (A29).

A30: staff credentials only (StaffOrOfficeDep: a county office answers from it too, A4); integrators and the public are refused. A31: a sub-centre's points
are searched with every unit's the moment they are written (the index is written with the point).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.deps import NowDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.errors import responses
from api.kb.analyzer import ANALYZER_VERSION
from api.kb.index import live, refresh_stale, search
from api.routes.knowledge import KnowledgePointOut, KnowledgePointPage, PointId, _out, _point
from api.runtime import Runtime
from api.views import View
from db.api_models import KnowledgePointRow, KnowledgePointVersionRow
from db.session import count_rows
from domain.calendar import WorkingCalendar
from domain.commands import Words
from domain.knowledge import PointKind

router = APIRouter(prefix="/knowledge-points", tags=["knowledge base"])


class KnowledgePointVersionOut(View):
    point_id: str
    version: int
    title: str
    body: str
    written_at: datetime = Field(description="When this text entered the knowledge base (A16.6).")


class KnowledgePointVersions(View):
    point_id: str
    current: int
    items: list[KnowledgePointVersionOut] = Field(description="Oldest first.")


async def _index_stale(runtime: Runtime) -> None:
    """Points not yet indexed by this analyzer (seeded, migrated, or an older analyzer's) are indexed
    before a search answers. Two searches racing on the same point: the second's insert collides and is
    dropped, the first's index stands."""
    async with runtime.session_maker() as session:
        stale = await session.scalar(
            select(KnowledgePointRow.id).where(KnowledgePointRow.indexed_by < ANALYZER_VERSION).limit(1)
        )
    if stale is None:
        return
    try:
        async with runtime.session_maker.begin() as session:
            await refresh_stale(session)
    except IntegrityError:
        pass


@router.get(
    "",
    response_model=KnowledgePointPage,
    responses=responses(401, 403, 422, 503),
    summary="Search the knowledge base (staff)",
    description="A28/A31: shared by the hotline, every unit and the sub-centres. A30: not open to other "
    "systems (integrators) or the public. `q`: the question as the caller put it (A12, the operator "
    "answering a consultation on the spot), in Simplified or Traditional Chinese: its words are found "
    "through the office's synonym groups (`/knowledge-synonyms`) and ranked best first (BM25F, the title "
    "weighing more than the text), each with its `score`. Without `q`, newest first. `kind` and `unit_id` "
    "narrow it; withdrawn points and points past their `expires_on` are left out unless `withdrawn=true`.",
)
async def list_points(
    caller: StaffOrOfficeDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    q: Annotated[Words | None, Query(max_length=200, description="e.g. `路灯不亮找谁`")] = None,
    kind: PointKind | None = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    withdrawn: Annotated[
        bool, Query(description="also list withdrawn and expired points (not with `q`)")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> KnowledgePointPage:
    today = WorkingCalendar.local_date(now)
    if q is not None and q.strip():
        await _index_stale(runtime)
        found = await search(session, q, today, kind=kind.value if kind else None, unit_id=unit_id)
        shown = found.ranked[offset : offset + limit]
        rows = {
            r.id: r
            for r in await session.scalars(
                select(KnowledgePointRow).where(KnowledgePointRow.id.in_([i for i, _ in shown]))
            )
        }
        items = [_out(rows[i]).model_copy(update={"score": round(s, 4)}) for i, s in shown if i in rows]
        return KnowledgePointPage(total=found.total, limit=limit, offset=offset, items=items)
    query = select(KnowledgePointRow)
    if not withdrawn:
        query = query.where(live(today))
    if unit_id is not None:
        query = query.where(KnowledgePointRow.unit_id == unit_id)
    if kind is not None:
        query = query.where(KnowledgePointRow.kind == kind.value)
    total = await count_rows(session, query)
    listed = await session.scalars(
        query.order_by(KnowledgePointRow.uploaded_at.desc(), KnowledgePointRow.id).limit(limit).offset(offset)
    )
    return KnowledgePointPage(total=total, limit=limit, offset=offset, items=[_out(r) for r in listed])


@router.get(
    "/{point_id}",
    response_model=KnowledgePointOut,
    responses=responses(401, 403, 404, 422, 503),
    summary="One knowledge point (staff), withdrawn or not",
)
async def get_point(point_id: PointId, caller: StaffOrOfficeDep, session: SessionDep) -> KnowledgePointOut:
    return _out(await _point(session, point_id))


@router.get(
    "/{point_id}/versions",
    response_model=KnowledgePointVersions,
    responses=responses(401, 403, 404, 422, 503),
    summary="Every text a knowledge point has had (staff)",
    description="A29: a correction keeps the earlier text; an answer on the spot (A12) or a refused "
    "return (A16.6) cites the version it relied on, read here.",
)
async def list_versions(
    point_id: PointId, caller: StaffOrOfficeDep, session: SessionDep
) -> KnowledgePointVersions:
    point = await _point(session, point_id)
    versions = await session.scalars(
        select(KnowledgePointVersionRow)
        .where(KnowledgePointVersionRow.point_id == point_id)
        .order_by(KnowledgePointVersionRow.version)
    )
    return KnowledgePointVersions(
        point_id=point_id,
        current=point.version,
        items=[KnowledgePointVersionOut.model_validate(v, from_attributes=True) for v in versions],
    )
