"""A4: a county's designated office acts for its own county only.

「各县（市、区）政府要指定部门……由指定部门具体负责热线事项接收、转交办、督办、考核、回访、归档、公开等本级
热线的日常运行管理工作」. The county is a unit (its government's, `kind` county) and its tree (api/unit_tree.py):
the office sees and acts on the tickets handled there (api/privacy.py), names only its units when it
registers or dispatches, and reads the reports of its units only. Outside its county a ticket does not
exist for it (404) and a unit it names is 422 `NOT_IN_YOUR_COUNTY`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.errors import ApiError, invalid
from api.unit_tree import unit_scope


async def county_units(session: AsyncSession, caller: Caller) -> frozenset[str] | None:
    """The units of the caller's county; None for a caller no county bounds (the city's office)."""
    return None if caller.county is None else await unit_scope(session, caller.county)


async def require_in_county(session: AsyncSession, caller: Caller, unit_ids: Iterable[str | None]) -> None:
    """A4: a county office names units of its own county only (to register, dispatch, read a report)."""
    named = {u for u in unit_ids if u is not None}
    scope = await county_units(session, caller) if named else None
    if scope is None:
        return
    outside = sorted(named - scope)
    if outside:
        raise invalid("NOT_IN_YOUR_COUNTY", f"outside {caller.county}'s county: {', '.join(outside)}", "A4")


def report_scope_error(caller: Caller, unit: str) -> ApiError:
    return ApiError(403, "NOT_YOUR_UNIT", f"{unit} is not in {caller.county}'s county", "A4")
