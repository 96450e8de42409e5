"""Writing a knowledge point (A29): every text it has had kept as a version, the search index following
in the same transaction, and the checks before its unit changes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller, Role
from api.errors import ApiError, conflict
from api.kb.index import index_point
from db.api_models import KnowledgePointRow, KnowledgePointVersionRow


async def write_version(session: AsyncSession, row: KnowledgePointRow, caller: Caller, now: datetime) -> None:
    """A29: the point's current text, kept as its version `row.version`; then the search index follows."""
    session.add(
        KnowledgePointVersionRow(
            point_id=row.id,
            version=row.version,
            title=row.title,
            body=row.body,
            written_at=now,
            written_by=caller.credential_id,
        )
    )
    await session.flush()
    await index_point(session, row)


async def owned_point(session: AsyncSession, point_id: str, caller: Caller, action: str) -> KnowledgePointRow:
    """A29: the owning unit (or the office) changes a point, locked against a concurrent change; a
    withdrawn point is changed no more."""
    row = await session.get(KnowledgePointRow, point_id, with_for_update=True)
    if row is None:
        raise ApiError(404, "KNOWLEDGE_POINT_NOT_FOUND", f"no knowledge point {point_id}")
    if caller.role == Role.UNIT_STAFF and row.unit_id != caller.unit_id:
        raise ApiError(403, "NOT_YOUR_UNIT", f"a unit {action} its own knowledge points", "A29")
    if row.withdrawn_at is not None:
        raise conflict("KNOWLEDGE_POINT_WITHDRAWN", f"{point_id} was withdrawn", "A29")
    return row
