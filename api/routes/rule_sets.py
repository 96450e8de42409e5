"""Rule sets (A17, A33): time limits as data, versioned; a ticket keeps the version it opened with."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.bodies import require_writable
from api.deps import OperatorDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.edge import require_rule_set_size
from api.errors import conflict, invalid, responses
from api.views import View
from db.api_models import UnitRow
from db.models import RuleSetRow, TicketRow
from db.rule_sets import latest_rule_set
from db.seed import load_rule_set
from domain.calendar import SHANGHAI
from domain.rulesets import RuleSet, county_rule_set
from domain.vocabulary import OPEN_STAGES

router = APIRouter(prefix="/rule-sets", tags=["rule sets"])


class StoredRuleSet(View):
    rule_set: RuleSet
    created_at: datetime


async def current_rule_set(session: AsyncSession, rule_set_id: str) -> RuleSet:
    """The latest version (stored, or the packaged default if newer), as a new ticket would get."""
    found = await latest_rule_set(session, rule_set_id)
    if found is None:
        raise invalid("UNKNOWN_RULE_SET", f"no rule set {rule_set_id}", "A33")
    return found


@router.post(
    "",
    status_code=201,
    response_model=RuleSet,
    responses=responses(401, 403, 409, 422, 503),
    summary="Load a rule-set version (operator)",
    description=(
        "A17.4/A17.5: the provincial and national platforms' limits; A33: a county's own rules (its "
        "`county_unit_id`: a ticket led by a unit in that county's tree takes the latest version without the "
        "operator naming it; 422 `NOT_A_COUNTY` unless it names a unit of kind `county`, 409 "
        "`COUNTY_HAS_RULE_SET` if the county's rules already have another id); A35: `valid_from`/`valid_until`, "
        "local dates. A version is "
        "immutable: loading the same (id, version) with the same content is a no-op, with other content 409 "
        "`RULE_SET_VERSION_EXISTS` (load it as a new version). New tickets take the latest version. The title "
        "is at most 200 characters and the basis 2,000 (422 `TOO_LONG`)."
    ),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": county_rule_set(
                        "440203", "武江区 12345 工单办理细则", county_unit_id="WJ"
                    ).model_dump(mode="json")
                }
            }
        }
    },
)
async def create_rule_set(rule_set: RuleSet, caller: OperatorDep, runtime: RuntimeDep) -> RuleSet:
    # Every ticket opened under it keeps a copy (A33): free text is short, the whole is small (api/edge.py).
    require_rule_set_size(rule_set.model_dump(mode="json"))
    require_writable(rule_set.model_dump(mode="json"))
    if rule_set.county_unit_id is not None:
        async with runtime.session_maker() as session:
            await _require_county(session, rule_set)
    try:
        await load_rule_set(runtime.session_maker, rule_set)
    except ValueError as err:
        raise conflict("RULE_SET_VERSION_EXISTS", str(err), "A33") from None
    return rule_set


async def _require_county(session: AsyncSession, rule_set: RuleSet) -> None:
    """A33: a county's own set names a registered county (a unit of kind `county`), and a county has one set
    (its versions): two ids for one county would leave its tickets' rules to chance."""
    kind = await session.scalar(select(UnitRow.kind).where(UnitRow.id == rule_set.county_unit_id))
    if kind != "county":
        raise invalid("NOT_A_COUNTY", f"{rule_set.county_unit_id} is not a registered county", "A33")
    for row in await session.scalars(select(RuleSetRow).where(RuleSetRow.id != rule_set.id)):
        if row.to_rule_set().county_unit_id == rule_set.county_unit_id:
            raise conflict(
                "COUNTY_HAS_RULE_SET",
                f"{rule_set.county_unit_id}'s own rules are {row.id}: load them as a new version",
                "A33",
            )


@router.get(
    "",
    response_model=list[StoredRuleSet],
    responses=responses(401, 403, 503),
    summary="Every stored rule-set version (staff)",
)
async def list_rule_sets(caller: StaffOrOfficeDep, session: SessionDep) -> list[StoredRuleSet]:
    rows = await session.scalars(select(RuleSetRow).order_by(RuleSetRow.id, RuleSetRow.version))
    return [StoredRuleSet(rule_set=row.to_rule_set(), created_at=row.created_at) for row in rows]


class LapsedRuleSet(View):
    """A35: a rule set past its validity that tickets were registered under, and what the office does."""

    rule_set: str = Field(description="`id@version`, as the tickets keep it.")
    valid_until: date | None
    tickets: int = Field(description="Tickets registered after `valid_until` under it.")
    open_tickets: list[str] = Field(description="Those still open (up to 200), oldest first.")
    successor: str | None = Field(
        description="The latest version of the id if it is in force today (new tickets take it); None: load "
        "the successor as a new version (`POST /rule-sets`)."
    )


@router.get(
    "/lapsed",
    response_model=list[LapsedRuleSet],
    responses=responses(401, 403, 503),
    summary="Tickets registered under rules past their validity (operator)",
    description=(
        "A35 「本细则自印发之日起施行，有效期 3 年」: the city's rules (韶府办发函〔2022〕174号, 2022-11-04) ran "
        "to 2025-11-03. A ticket registered after its rule set's `valid_until` is not refused: it opens under "
        "that set, flagged (`rule_set_lapsed` on the ticket and in the read model) and listed here per rule set, "
        "with its successor if one is in force: the office loads it as a new version (`POST /rule-sets`)."
    ),
)
async def lapsed_rule_sets(
    caller: OperatorDep, session: SessionDep, runtime: RuntimeDep
) -> list[LapsedRuleSet]:
    counts = (
        await session.execute(
            select(TicketRow.rule_set_key, func.count())
            .where(TicketRow.rule_set_lapsed.is_(True))
            .group_by(TicketRow.rule_set_key)
            .order_by(TicketRow.rule_set_key)
        )
    ).all()
    today = (await runtime.clock()).astimezone(SHANGHAI).date()
    found: list[LapsedRuleSet] = []
    for key, count in counts:
        rule_set_id, _, version = key.rpartition("@")
        stored = await session.get(RuleSetRow, (rule_set_id, int(version)))
        latest = await latest_rule_set(session, rule_set_id)
        open_tickets = await session.scalars(
            select(TicketRow.ticket_no)
            .where(
                TicketRow.rule_set_key == key,
                TicketRow.rule_set_lapsed.is_(True),
                TicketRow.stage.in_([s.value for s in OPEN_STAGES]),
            )
            .order_by(TicketRow.registered_at)
            .limit(200)
        )
        found.append(
            LapsedRuleSet(
                rule_set=key,
                valid_until=stored.to_rule_set().valid_until if stored else None,
                tickets=count,
                open_tickets=list(open_tickets),
                successor=latest.key if latest and latest.key != key and latest.in_force_on(today) else None,
            )
        )
    return found
