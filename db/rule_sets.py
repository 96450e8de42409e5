"""Which rule set governs a ticket (A17.4, A17.5, A33): the latest version of an id, and a county's own set."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.api_models import UnitRow
from db.models import RuleSetRow
from domain.rulesets import DEFAULT_RULE_SETS, RuleSet

_DEFAULTS = {r.id: r for r in DEFAULT_RULE_SETS}
# A unit tree is three tiers deep (A4–A6); a longer walk up means a cycle in the register.
_MAX_DEPTH = 8


async def latest_rule_set(session: AsyncSession, rule_set_id: str) -> RuleSet | None:
    """The latest version stored, or the packaged default when that is newer (a default shipped as a new
    version, A17.4's provincial figures, governs new tickets even before the seed has stored it)."""
    row = await session.scalar(
        select(RuleSetRow).where(RuleSetRow.id == rule_set_id).order_by(RuleSetRow.version.desc()).limit(1)
    )
    stored = row.to_rule_set() if row is not None else None
    default = _DEFAULTS.get(rule_set_id)
    if default is not None and (stored is None or default.version > stored.version):
        return default
    return stored


async def county_of(session: AsyncSession, unit_id: str) -> str | None:
    """A33: the county (a unit of kind `county`) whose tree the unit is in, the unit itself included."""
    current: str | None = unit_id
    for _ in range(_MAX_DEPTH):
        if current is None:
            return None
        row = (
            await session.execute(select(UnitRow.kind, UnitRow.parent_id).where(UnitRow.id == current))
        ).one_or_none()
        if row is None:
            return None
        if row.kind == "county":
            return current
        current = row.parent_id
    return None


async def county_rule_set(session: AsyncSession, unit_id: str | None) -> RuleSet | None:
    """A33: the latest version of the own rules of the county the unit is in, if the office loaded any."""
    county = await county_of(session, unit_id) if unit_id else None
    if county is None:
        return None
    # Rule sets are few (a city's, two platforms', a county's each): read them, not a JSON path per dialect.
    rows = await session.scalars(select(RuleSetRow).order_by(RuleSetRow.version.desc()))
    for row in rows:
        rules = row.to_rule_set()
        if rules.county_unit_id == county:
            return rules
    return None
