"""The unit hierarchy (A4–A6), read from `units`: who is below whom, and which units exist."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import conflict, invalid
from db.api_models import CredentialRow, UnitRow


async def unit_scope(session: AsyncSession, unit_id: str) -> frozenset[str]:
    """The unit and every unit below it (A6: a tier-2 unit sees its sub-units' tickets)."""
    tree = select(UnitRow.id).where(UnitRow.id == unit_id).cte("tree", recursive=True)
    tree = tree.union(select(UnitRow.id).where(UnitRow.parent_id == tree.c.id))
    return frozenset(await session.scalars(select(tree.c.id)))


# A4–A6: the hotline (tier 1) dispatches a ticket to a member unit (tier 2) to lead it; a tier-3 unit leads
# a ticket only when the member unit above it forwards it (A6). Co-units, who assist, may be of any tier.
MEMBER_TIER = 2


async def require_units(
    session: AsyncSession,
    unit_ids: Iterable[str | None],
    *,
    lead: str | None = None,
    confidential: bool = False,
) -> None:
    """A ticket goes only to units the hotline has registered: an unknown id is the caller's mistake.
    `lead`: the unit the hotline sends the ticket to, to lead it, which must be a member unit, and for a
    `confidential` request one with cleared staff (A32)."""
    wanted = {u for u in [lead, *unit_ids] if u is not None}
    if not wanted:
        return
    rows = (
        await session.execute(
            select(UnitRow.id, UnitRow.tier, UnitRow.deactivated_at).where(UnitRow.id.in_(wanted))
        )
    ).all()
    tiers = {row.id: row.tier for row in rows}
    missing = sorted(wanted - set(tiers))
    if missing:
        raise invalid("UNKNOWN_UNIT", f"no such unit: {', '.join(missing)}")
    deactivated = sorted(row.id for row in rows if row.deactivated_at is not None)
    if deactivated:
        # 422 like an unknown unit: naming it is the caller's mistake, whatever the ticket's stage.
        raise invalid("UNIT_DEACTIVATED", f"deactivated, it receives no tickets: {', '.join(deactivated)}")
    if lead is not None and tiers[lead] != MEMBER_TIER:
        raise invalid(
            "NOT_A_MEMBER_UNIT",
            f"the hotline dispatches to member units (tier 2); {lead} is tier {tiers[lead]}: a sub-unit "
            "gets a ticket forwarded from the unit above it",
            "A6",
        )
    if lead is not None and confidential:
        await require_cleared_staff(session, lead)


async def require_cleared_staff(session: AsyncSession, unit_id: str) -> None:
    """A32: a confidential request "travels through a dedicated channel handled by designated staff". A unit
    with no cleared staff could not even see the ticket it is given, and its limits would run to red."""
    cleared = await session.scalar(
        select(CredentialRow.id)
        .where(
            CredentialRow.unit_id == unit_id,
            CredentialRow.confidential_clearance.is_(True),
            CredentialRow.revoked_at.is_(None),
        )
        .limit(1)
    )
    if cleared is None:
        raise conflict(
            "NO_CLEARED_STAFF",
            f"{unit_id} has no staff cleared for confidential requests; issue one a cleared credential first",
            "A32",
        )


async def require_subunit(session: AsyncSession, unit_id: str, sub_unit: str, *, confidential: bool) -> None:
    """A6: a unit forwards only to a unit below it, never sideways or up; a confidential request only to
    one with cleared staff (A32)."""
    await require_units(session, [sub_unit])
    if sub_unit == unit_id or sub_unit not in await unit_scope(session, unit_id):
        raise invalid("NOT_A_SUBUNIT", f"{sub_unit} is not a sub-unit of {unit_id}", "A6")
    if confidential:
        await require_cleared_staff(session, sub_unit)
