"""Chapter 5 reports (A25–A27), from the SQL read model (api/figures/), never Temporal visibility."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BeforeValidator

from api.county import county_units, report_scope_error
from api.deps import OfficeDep, SessionDep, StaffOrOfficeDep
from api.errors import forbidden, invalid, responses
from api.figures.assessment import Assessment, assessment
from api.figures.bulletin import Bulletin, bulletin
from api.figures.common import Period
from api.figures.supervision import Signal, SupervisionPage, supervision
from api.routes.tickets import _rfc3339_only
from domain import commands
from domain.assessment import AssessmentWeights

router = APIRouter(prefix="/reports", tags=["reports"])

Instant = Annotated[commands.Instant, BeforeValidator(_rfc3339_only)]
PERIOD = (
    "The period is half-open, `[from, to)`, RFC 3339 instants with their offset "
    "(e.g. `2026-11-01T00:00:00+08:00`)."
)


def _period(
    start: Annotated[Instant, Query(alias="from", description="The period's first instant.")],
    end: Annotated[Instant, Query(alias="to", description="The instant after the period.")],
) -> Period:
    return _checked(start, end)


def _optional_period(
    start: Annotated[
        Instant | None, Query(alias="from", description="Only signals from this instant.")
    ] = None,
    end: Annotated[Instant | None, Query(alias="to", description="Only signals before this instant.")] = None,
) -> Period | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid("INVALID_PERIOD", "give both `from` and `to`, or neither")
    return _checked(start, end)


def _checked(start: AwareDatetime, end: AwareDatetime) -> Period:
    try:
        # The read model stores UTC: an instant with no UTC equivalent (year 1 at +05:00) is no period.
        start.astimezone(UTC), end.astimezone(UTC)
    except OverflowError:
        raise invalid("INVALID_PERIOD", "`from` and `to` must be instants with a UTC equivalent") from None
    if start >= end:
        raise invalid("INVALID_PERIOD", "`from` must be before `to`")
    return Period(start=start, end=end)


PeriodDep = Annotated[Period, Depends(_period)]
UnitQuery = Annotated[str | None, Query(max_length=64, description="One unit only.")]


@router.get(
    "/bulletin",
    response_model=Bulletin,
    responses=responses(401, 403, 422, 503),
    summary="Periodic bulletin (operator; unit staff for their own unit)",
    description=(
        "A26: ticket volumes by category and channel, and the handling performance of each member unit "
        "(by id and name; one with nothing in the period is listed at zero): tickets "
        "received and concluded; on time, yellow and red (A17, A22); returns applied, approved, refused and "
        "overdue (A14–A16); extensions (A17); redos, callbacks and handling ratings per option (A24); cards on "
        "statutory and office-set limits apart; the three rates 响应率, 解决率, 满意率 per unit and for all, and "
        "the acceptance stage's ratings (formulas: /reference/reports.md). "
        "Unit staff get their own unit's bulletin only (`unit` is forced to theirs; another unit is 403); a "
        "county's office (A4) a unit of its county (its county's by default; another is 403). "
        "With `unit`, volumes count the tickets that unit leads. " + PERIOD
    ),
)
async def get_bulletin(
    caller: StaffOrOfficeDep, session: SessionDep, period: PeriodDep, unit: UnitQuery = None
) -> Bulletin:
    county = await county_units(session, caller)
    if county is not None:
        # A4 「督办、考核」: a county's office reads its county's units, its own county's by default.
        if unit is not None and unit not in county:
            raise report_scope_error(caller, unit)
        unit = unit or caller.county
    if caller.is_unit:
        if unit is not None and unit != caller.unit_id:
            raise forbidden("unit staff see their own unit's bulletin only")
        unit = caller.unit_id
    return await bulletin(session, period, unit)


@router.get(
    "/assessment",
    response_model=Assessment,
    responses=responses(401, 403, 422, 503),
    summary="Weighted assessment of units (operator)",
    description=(
        "A27: a score per unit, 0–100, from timeliness (share of judged tickets answered on time), return "
        "quality (approved / decided returns: refused ones count against) and satisfaction (share of each "
        "rated ticket's last handling rating that is not (very) dissatisfied), with each component's value, "
        "counts and effective weight. Weights are query parameters (defaults 0.4 / 0.2 / 0.4), normalised. "
        "Mediation and law-enforcement matters (`domain` one of `satisfaction_exempt_domains`) are not "
        "judged by satisfaction: their share of the satisfaction weight moves to timeliness (A27). A county's "
        "office (A4 「考核」) assesses its county's units only; a sub-centre (A8) is assessed like a unit. "
        + PERIOD
    ),
)
async def get_assessment(
    caller: OfficeDep,
    session: SessionDep,
    period: PeriodDep,
    weights: Annotated[AssessmentWeights, Query()],
) -> Assessment:
    return await assessment(session, period, weights, await county_units(session, caller))


@router.get(
    "/supervision",
    response_model=SupervisionPage,
    responses=responses(401, 403, 422, 503),
    summary="Poor-handling signals to refer (operator)",
    description=(
        "A25: overdue returns (A14.2/A14.3), improper returns refused by the hotline (A16), red cards "
        "(A22), redos ordered (A24), supervision orders issued (`supervision_ordered`) and orders whose time "
        "passed unanswered (`supervision_overdue`, counted against the unit), oldest first, each with the "
        "ticket, the unit holding it at the time and the rule recorded. `hotline_overdue` lists the office's "
        "own limits that passed (reviewing a return, an extension or a closure; a callback, A24; a "
        "coordination, A14.5; a line's acknowledgement, A23): `charged_to` is `hotline`, never the unit, and "
        "a list for one `unit` leaves them out. A confidential requester's ticket is listed for cleared staff only (A32). "
        "`from`/`to` (both or neither) limit the period. A county's office (A4 「督办」) sees the signals of "
        "its county's units only. " + PERIOD
    ),
)
async def get_supervision(
    caller: OfficeDep,
    session: SessionDep,
    period: Annotated[Period | None, Depends(_optional_period)],
    unit: UnitQuery = None,
    signal: Signal | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SupervisionPage:
    county = await county_units(session, caller)
    if county is not None and unit is not None and unit not in county:
        raise report_scope_error(caller, unit)
    return await supervision(
        session,
        period=period,
        unit=unit,
        units=county,
        signal=signal,
        include_confidential=caller.confidential_clearance,
        limit=limit,
        offset=offset,
    )
