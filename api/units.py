"""The unit hierarchy (A4–A6), read from `units`: who is below whom, and which units exist."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import invalid
from db.api_models import UnitRow


async def unit_scope(session: AsyncSession, unit_id: str) -> frozenset[str]:
    """The unit and every unit below it (A6: a tier-2 unit sees its sub-units' tickets)."""
    tree = select(UnitRow.id).where(UnitRow.id == unit_id).cte("tree", recursive=True)
    tree = tree.union(select(UnitRow.id).where(UnitRow.parent_id == tree.c.id))
    return frozenset(await session.scalars(select(tree.c.id)))


async def require_units(session: AsyncSession, unit_ids: Iterable[str | None]) -> None:
    """A ticket goes only to units the hotline has registered: an unknown id is the caller's mistake."""
    wanted = {u for u in unit_ids if u is not None}
    if not wanted:
        return
    known = set(await session.scalars(select(UnitRow.id).where(UnitRow.id.in_(wanted))))
    missing = sorted(wanted - known)
    if missing:
        raise invalid("UNKNOWN_UNIT", f"no such unit: {', '.join(missing)}")


async def require_subunit(session: AsyncSession, unit_id: str, sub_unit: str) -> None:
    """A6: a unit forwards only to a unit below it, never sideways or up."""
    await require_units(session, [sub_unit])
    if sub_unit == unit_id or sub_unit not in await unit_scope(session, unit_id):
        raise invalid("NOT_A_SUBUNIT", f"{sub_unit} is not a sub-unit of {unit_id}", "A6")
