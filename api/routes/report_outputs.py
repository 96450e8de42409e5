"""What people look at beside the JSON reports: hot spots, the dashboard, and the reports as files.

Files follow one convention: **the JSON endpoint's path with the format as its extension**, taking the same
query parameters and the same credentials: `/reports/bulletin` → `/reports/bulletin.csv`,
`/reports/bulletin.xlsx`; `/reports/assessment.csv|.xlsx`; `/tickets` → `/tickets.csv|.xlsx` (the ticket
list's every filter, all its pages up to `EXPORT_MAX_ROWS`). A path says what the file is, so a link or a
bookmark keeps its format, and each file is its own OpenAPI operation with its own media type.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller
from api.deps import NowDep, SessionDep, StaffDep
from api.errors import ApiError, responses
from api.exports import Sheet, file_response, file_responses, sheet_of
from api.figures.assessment import Assessment
from api.figures.bulletin import Bulletin
from api.figures.dashboard import Dashboard, dashboard
from api.figures.hotspots import HotSpots, hot_spots
from api.routes import reports, tickets
from api.schemas import TicketPage, TicketSummary
from api.unit_tree import unit_scope
from domain.hotspots import DEFAULT_MIN_COUNT, week_of

router = APIRouter(tags=["reports"])

EXPORT_MAX_ROWS = 10_000  # a ticket list's file: past this, narrow the filters (`X-Export-Truncated`)
_PAGE = 200  # the ticket list's largest page
FILES = (
    "CSV is UTF-8 with a BOM (a spreadsheet opens it as UTF-8); xlsx holds every table of the report, one "
    "sheet each. Headers are Chinese; instants are in Asia/Shanghai; a text cell starting with = + - @ is "
    "written with a leading `'` so that no spreadsheet runs it as a formula. The file is named in "
    "`Content-Disposition` (an ASCII `filename` and the Chinese `filename*`, RFC 5987)."
)


async def report_scope(
    caller: Caller, session: AsyncSession, unit: str | None
) -> tuple[str | None, frozenset[str] | None]:
    """Whose tree a report covers: the office any unit's or all (None); a unit its own tree (A6), or one unit
    of it (a tier-3 unit's tree is itself)."""
    if caller.is_unit:
        assert caller.unit_id is not None
        own = await unit_scope(session, caller.unit_id)
        if unit is not None and unit not in own:
            raise ApiError(403, "NOT_YOUR_UNIT", f"{unit} is not your unit or below it", "A6")
        unit = unit or caller.unit_id
        return unit, own if unit == caller.unit_id else await unit_scope(session, unit)
    if unit is None:
        return None, None
    return unit, await unit_scope(session, unit)


UnitParam = Annotated[
    str | None,
    Query(
        max_length=64, description="One unit's tree (A6). Units: their own tree (default) or a unit in it."
    ),
]


@router.get(
    "/reports/hotspots",
    response_model=HotSpots,
    responses=responses(401, 403, 422, 503),
    summary="Hot spots: tickets by matter type, district and week, and which are rising (staff)",
    description=(
        "Tickets registered per week (Monday to Monday, Asia/Shanghai) by matter type (the registered "
        "`domain`, else the category) and district (the county-level unit the location names, else the "
        "lead's county), for the week asked and the 4 before. **Rising**: this week's count is at least "
        "2 × the mean of the 4 weeks before and at least `min_count`; with a zero mean (nothing before) an "
        "item rises once it reaches `min_count`, and is marked `new`. The office sees every unit (or one "
        "unit's tree with `unit`); a unit its own tree (A6)."
    ),
)
async def get_hot_spots(
    caller: StaffDep,
    session: SessionDep,
    now: NowDep,
    week: Annotated[
        date | None,
        Query(
            ge=date(2000, 1, 1),  # the years instants may have at the edge (api/edge.py)
            le=date(2199, 12, 31),
            description="Any day of the week judged (Asia/Shanghai); default: this week.",
            examples=["2026-11-23"],
        ),
    ] = None,
    min_count: Annotated[int, Query(ge=1, le=1_000_000, description="Fewest tickets a rising item has.")] = (
        DEFAULT_MIN_COUNT
    ),
    unit: UnitParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> HotSpots:
    unit, scope = await report_scope(caller, session, unit)
    monday = week_of(now) if week is None else week - timedelta(days=week.weekday())
    return await hot_spots(session, monday, scope=scope, unit=unit, min_count=min_count, limit=limit)


@router.get(
    "/reports/dashboard",
    response_model=Dashboard,
    responses=responses(401, 403, 422, 503),
    summary="Dashboard: the cards showing now, per unit and tier, and what falls due today and tomorrow",
    description=(
        "A22: open tickets with a yellow or red card now (a concluded ticket's frozen card is not shown), "
        "per unit holding them (the forwarded-to sub-unit, else the lead) and per tier, each with the tickets "
        "behind it (red first, at most `per_unit`, each with its link); and the limits not yet met that fall "
        "due by 24:00 today (Asia/Shanghai) and by 24:00 of the next working day (the State Council "
        "calendar). The office sees every unit; a tier-2 unit its own tree; a tier-3 unit its own (A6). "
        "A confidential requester's ticket is counted, and listed for cleared staff only (A32)."
    ),
)
async def get_dashboard(
    caller: StaffDep,
    session: SessionDep,
    now: NowDep,
    unit: UnitParam = None,
    per_unit: Annotated[
        int | None,
        Query(
            ge=0,
            le=200,
            description="Tickets listed per unit; by default 20 on a unit's board, 3 on the whole city's "
            "(the counts are always whole, `unlisted` says how many more).",
        ),
    ] = None,
) -> Dashboard:
    unit, scope = await report_scope(caller, session, unit)
    return await dashboard(
        session, now, unit=unit, scope=scope, cleared=caller.confidential_clearance, per_unit=per_unit
    )


# -- files -------------------------------------------------------------------------------------------------
def _period_name(period: Any) -> str:
    return f"{period.start.date().isoformat()}_{period.end.date().isoformat()}"


def bulletin_sheets(b: Bulletin) -> list[Sheet]:
    volumes = [("total", "合计", b.volumes.total)]
    volumes += [("category", k, v) for k, v in b.volumes.by_category.items()]
    volumes += [("channel", k, v) for k, v in b.volumes.by_channel.items()]
    return [
        sheet_of("单位办理情况", b.units),
        Sheet("受理总量", ["分类", "项目", "数量"], [list(v) for v in volumes]),
    ]


def assessment_sheets(a: Assessment) -> list[Sheet]:
    return [sheet_of("单位考核", a.units)]


def ticket_sheets(items: list[TicketSummary]) -> list[Sheet]:
    return [sheet_of("工单列表", items)]


Format = Literal["csv", "xlsx"]
_FORMAT = inspect.Parameter(
    "fmt",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=Annotated[Format, Path(description="`csv` (UTF-8 with a BOM) or `xlsx`.")],
)


def _same_parameters(
    source: Callable[..., Awaitable[Any]], drop: tuple[str, ...] = ()
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Give the decorated handler the JSON endpoint's parameters (less `drop`) and the format, so the file
    takes exactly the same query, the same credentials and the same checks, and stays in step when the
    endpoint changes."""

    def give(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        # eval_str: the endpoint's annotations are strings (postponed), resolved in its own module.
        signature = inspect.signature(source, eval_str=True)
        kept = [p for name, p in signature.parameters.items() if name not in drop]
        handler.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*kept, _FORMAT], return_annotation=Response
        )
        return handler

    return give


def _file_route(
    path: str,
    source: Callable[..., Awaitable[Any]],
    make: Callable[[dict[str, Any]], Awaitable[tuple[list[Sheet], str, str, dict[str, str]]]],
    summary: str,
    statuses: tuple[int, ...],
    drop: tuple[str, ...] = (),
) -> None:
    """`<path>.csv` and `<path>.xlsx`: one operation, the format in the path."""

    @_same_parameters(source, drop)
    async def export(fmt: Format, **kwargs: Any) -> Response:
        sheets, name, ascii_name, headers = await make(kwargs)
        response = await file_response(fmt, sheets, name, ascii_name)
        response.headers.update(headers)
        return response

    router.add_api_route(
        f"{path}.{{fmt}}",
        export,
        methods=["GET"],
        response_class=Response,
        responses=file_responses("The report as a file, Chinese headers.") | responses(*statuses),
        summary=f"{summary} as CSV or Excel",
        description=f"`{path}` as a file: the same parameters and access. " + FILES,
        operation_id=f"export_{path.strip('/').replace('/', '_')}",
    )


async def _bulletin_file(kwargs: dict[str, Any]) -> tuple[list[Sheet], str, str, dict[str, str]]:
    b = await reports.get_bulletin(**kwargs)
    suffix = _period_name(b.period) + (f"_{b.unit}" if b.unit else "")
    return bulletin_sheets(b), f"12345热线通报_{suffix}", f"hotline-bulletin_{suffix}", {}


async def _assessment_file(kwargs: dict[str, Any]) -> tuple[list[Sheet], str, str, dict[str, str]]:
    a = await reports.get_assessment(**kwargs)
    suffix = _period_name(a.period)
    return assessment_sheets(a), f"12345热线考核_{suffix}", f"hotline-assessment_{suffix}", {}


async def all_ticket_pages(kwargs: dict[str, Any]) -> tuple[list[TicketSummary], int]:
    items: list[TicketSummary] = []
    total = 0
    while True:
        page: TicketPage = await tickets.list_tickets(**kwargs, limit=_PAGE, offset=len(items))
        items.extend(page.items)
        total = page.total
        if not page.items or len(items) >= min(total, EXPORT_MAX_ROWS):
            return items[:EXPORT_MAX_ROWS], total


async def _tickets_file(kwargs: dict[str, Any]) -> tuple[list[Sheet], str, str, dict[str, str]]:
    items, total = await all_ticket_pages(kwargs)
    headers = {"X-Total-Count": str(total), "X-Export-Truncated": "true" if total > len(items) else "false"}
    return ticket_sheets(items), "12345热线工单列表", "hotline-tickets", headers


_file_route(
    "/reports/bulletin", reports.get_bulletin, _bulletin_file, "Periodic bulletin", (401, 403, 422, 503)
)
_file_route(
    "/reports/assessment", reports.get_assessment, _assessment_file, "Assessment", (401, 403, 422, 503)
)
_file_route(
    "/tickets",
    tickets.list_tickets,
    _tickets_file,
    "Ticket list",
    (401, 403, 422, 503),
    drop=("limit", "offset"),
)
