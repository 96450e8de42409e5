"""What the ticket workflow shows about its units in Temporal UI (issue 18): their names and their county.

Read from the units table when a ticket's lead or co-units change, so the memo, the current details and the
`HotlineDistrict` search attribute name the unit, not only its id. A read, no write: a retry changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.hotline import database_answers
from db.api_models import UnitRow
from domain.ticket import ActivityNames
from domain.ticket_summary import UnitDescription, short_county

CITY_LEVEL = "市直"  # a city department or utility: in no county's tree
_MAX_TIERS = 3  # A4–A6: the city, its member units, their sub-units


class UnitDirectory:
    def __init__(self, session_maker: async_sessionmaker[AsyncSession]) -> None:
        self._session_maker = session_maker

    @activity.defn(name=ActivityNames.DESCRIBE_UNITS)
    async def describe_units(self, unit_ids: list[str]) -> dict[str, UnitDescription]:
        """Each unit's name and the county (district) whose tree it sits in; an unknown id is left out."""
        async with database_answers(), self._session_maker() as session:
            known: dict[str, UnitRow] = {}
            wanted = set(unit_ids)
            for _ in range(_MAX_TIERS):
                rows = (await session.scalars(select(UnitRow).where(UnitRow.id.in_(wanted)))).all()
                known.update({r.id: r for r in rows})
                wanted = {r.parent_id for r in rows if r.parent_id and r.parent_id not in known}
                if not wanted:
                    break
        return {
            unit_id: UnitDescription(name=known[unit_id].name, county=_county(known, unit_id))
            for unit_id in unit_ids
            if unit_id in known
        }


def _county(known: dict[str, UnitRow], unit_id: str) -> str:
    row: UnitRow | None = known.get(unit_id)
    while row is not None:
        if row.kind == "county":
            return short_county(row.name)
        row = known.get(row.parent_id) if row.parent_id else None
    return CITY_LEVEL
