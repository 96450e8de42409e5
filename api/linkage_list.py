"""A23: the emergency-matter list as the registration reads it (edited at `/emergency-matters`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.linkage_models import EmergencyMatterRow
from domain.linkage import EmergencyMatter


async def listed_matters(session: AsyncSession) -> list[EmergencyMatter]:
    rows = (await session.scalars(select(EmergencyMatterRow).order_by(EmergencyMatterRow.id))).all()
    return [EmergencyMatter.model_validate(r, from_attributes=True) for r in rows]
