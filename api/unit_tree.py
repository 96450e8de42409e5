"""The unit hierarchy (A4–A6), read from `units`: who is below whom."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.api_models import UnitRow

# A4–A6: the hotline (tier 1) dispatches a ticket to a member unit (tier 2) to lead it; a tier-3 unit leads
# a ticket only when the member unit above it forwards it (A6). Co-units, who assist, may be of any tier.
MEMBER_TIER = 2


async def unit_scope(session: AsyncSession, unit_id: str) -> frozenset[str]:
    """The unit and every unit below it (A6: a tier-2 unit sees its sub-units' tickets)."""
    tree = select(UnitRow.id).where(UnitRow.id == unit_id).cte("tree", recursive=True)
    tree = tree.union(select(UnitRow.id).where(UnitRow.parent_id == tree.c.id))
    return frozenset(await session.scalars(select(tree.c.id)))
