"""Rule sets (A17, A33): time limits as data, versioned; a ticket keeps the version it opened with."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bodies import require_writable
from api.deps import OperatorDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.edge import require_rule_set_size
from api.errors import conflict, invalid, responses
from api.views import View
from db.models import RuleSetRow
from db.seed import load_rule_set
from domain.rulesets import DEFAULT_RULE_SETS, RuleSet, county_rule_set

router = APIRouter(prefix="/rule-sets", tags=["rule sets"])


class StoredRuleSet(View):
    rule_set: RuleSet
    created_at: datetime


async def current_rule_set(session: AsyncSession, rule_set_id: str) -> RuleSet:
    """The latest stored version, else the packaged default with that id (as a new ticket would get)."""
    row = await session.scalar(
        select(RuleSetRow).where(RuleSetRow.id == rule_set_id).order_by(RuleSetRow.version.desc()).limit(1)
    )
    if row is not None:
        return row.to_rule_set()
    default = next((r for r in DEFAULT_RULE_SETS if r.id == rule_set_id), None)
    if default is None:
        raise invalid("UNKNOWN_RULE_SET", f"no rule set {rule_set_id}", "A33")
    return default


@router.post(
    "",
    status_code=201,
    response_model=RuleSet,
    responses=responses(401, 403, 409, 422, 503),
    summary="Load a rule-set version (operator)",
    description=(
        "A17.4/A17.5: the provincial and national platforms' limits; A33: a county's own rules. A version is "
        "immutable: loading the same (id, version) with the same content is a no-op, with other content 409 "
        "`RULE_SET_VERSION_EXISTS` (load it as a new version). New tickets take the latest version. The title "
        "is at most 200 characters and the basis 2,000 (422 `TOO_LONG`)."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": county_rule_set("440203", "武江区 12345 工单办理细则").model_dump(mode="json")
                }
            }
        }
    },
)
async def create_rule_set(rule_set: RuleSet, caller: OperatorDep, runtime: RuntimeDep) -> RuleSet:
    # Every ticket opened under it keeps a copy (A33): free text is short, the whole is small (api/edge.py).
    require_rule_set_size(rule_set.model_dump(mode="json"))
    require_writable(rule_set.model_dump(mode="json"))
    try:
        await load_rule_set(runtime.session_maker, rule_set)
    except ValueError as err:
        raise conflict("RULE_SET_VERSION_EXISTS", str(err), "A33") from None
    return rule_set


@router.get(
    "",
    response_model=list[StoredRuleSet],
    responses=responses(401, 403, 503),
    summary="Every stored rule-set version (staff)",
)
async def list_rule_sets(caller: StaffOrOfficeDep, session: SessionDep) -> list[StoredRuleSet]:
    rows = await session.scalars(select(RuleSetRow).order_by(RuleSetRow.id, RuleSetRow.version))
    return [StoredRuleSet(rule_set=row.to_rule_set(), created_at=row.created_at) for row in rows]
