"""The reports as pages for a person: the bulletin with its charts and the dashboard, in Chinese, as HTML.

`/reports/bulletin.html` and `/reports/dashboard.html` show what `/reports/bulletin` (with the trend per
week and the hot spots) and `/reports/dashboard` answer, with the same parameters and the same access.
Server-rendered (Jinja2, api/pages/templates/), the charts inline SVG (api/pages/charts.py): no script,
nothing fetched from elsewhere, a CSP that forbids both.

**How a browser is let in.** An API client sends `Authorization: Bearer <token>`, as to the JSON reports.
A browser cannot put a header on a link, so `/reports/sign-in` takes the token in a form and sets it as
an HttpOnly, SameSite=Strict cookie scoped to `/reports` for one shift (the codec server's sign-in does the
same for `/codec`); every page request looks the token up again, so a revoked credential stops at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.auth import Caller, Role, caller_for_token, unauthenticated
from api.deps import NowDep, RuntimeDep, SessionDep
from api.errors import ApiError, forbidden
from api.exports import sheet_of
from api.figures.bulletin import Bulletin
from api.figures.hotspots import hot_spots, weekly_registrations
from api.pages import charts, labels
from api.routes import report_outputs, reports
from domain.calendar import SHANGHAI
from domain.hotspots import week_of

PAGES = Path(__file__).resolve().parent.parent / "pages"
templates = Jinja2Templates(directory=PAGES / "templates")
templates.env.filters |= {"shanghai": labels.shanghai, "deadline": labels.deadline}

router = APIRouter(prefix="/reports", include_in_schema=False)

SESSION_COOKIE = "hotline_reports"
SESSION_SECONDS = 8 * 3600  # one shift
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}
# The limits a dashboard line names (domain/clocks.py); a limit added there shows by its code until named here.
CLOCK_NAMES = {"sign_for": "签收时限", "handle": "紧急处置时限（2小时）", "answer": "办理时限"}


async def page_caller(request: Request, runtime: RuntimeDep) -> Caller | ApiError:
    """The bearer token, or the sign-in cookie; staff only (the office, unit staff), as the JSON reports.
    A refusal is returned, not raised, so the page can say it in words."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    presented = token.strip() if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE, "")
    try:
        if not presented:
            raise unauthenticated("sign in at /reports/sign-in or send `Authorization: Bearer <token>`")
        caller = await caller_for_token(runtime.session_maker, presented)
        if caller.role not in (Role.OPERATOR, Role.UNIT_STAFF):
            raise forbidden("only the hotline office and unit staff see the reports")
    except ApiError as err:
        return err
    return caller


PageCaller = Annotated[Caller | ApiError, Depends(page_caller)]


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status, headers=PAGE_HEADERS)


def refusal_page(request: Request, err: ApiError) -> HTMLResponse:
    """An API refusal on a page: the same status and code, in words, with the way in where it is a 401."""
    response = page(request, "reports_notice.html", err.status, error=err)
    response.headers.update(err.headers)
    return response


def _day(at: Any) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


@router.get("/bulletin.html", response_class=HTMLResponse)
async def bulletin_page(
    request: Request,
    caller: PageCaller,
    session: SessionDep,
    period: reports.PeriodDep,
    now: NowDep,
    unit: reports.UnitQuery = None,
) -> HTMLResponse:
    try:
        if isinstance(caller, ApiError):
            raise caller
        return await _bulletin_page(request, caller, session, period, unit, now)
    except ApiError as err:
        return refusal_page(request, err)


async def _bulletin_page(
    request: Request, caller: Caller, session: Any, period: Any, unit: str | None, now: datetime
) -> HTMLResponse:
    b: Bulletin = await reports.get_bulletin(caller, session, period, unit)
    unit, scope = await report_outputs.report_scope(caller, session, b.unit)
    # The trend and the hot spots so far: a period reaching past today (to 9999, say) ends now.
    so_far = max(min(period.end, now), period.start + timedelta(microseconds=1))
    trend = await weekly_registrations(session, period.start, so_far, scope)
    last_week = week_of(so_far - timedelta(microseconds=1))
    spots = await hot_spots(session, last_week, scope=scope, unit=unit, limit=10)
    table = sheet_of("单位办理情况", b.units)
    ranked = sorted(b.units, key=lambda u: (-u.received, u.unit))[:15]
    yellow, red = sum(u.yellow for u in b.units), sum(u.red for u in b.units)
    green = sum(u.concluded + u.open for u in b.units) - yellow - red
    return page(
        request,
        "bulletin_page.html",
        bulletin=b,
        first_day=_day(period.start),
        last_day=_day(period.end - timedelta(microseconds=1)),
        table=table,
        trend=trend,
        spots=spots,
        trend_chart=charts.column_chart(
            "每周受理量", [(f"{m.month}/{m.day}", n) for m, n in trend], unit="件"
        ),
        ranking_chart=charts.bar_chart(
            "各单位受理量排名", [charts.Bar(u.name or u.unit, u.received) for u in ranked]
        ),
        cards=[("绿牌", green, "green"), ("黄牌", yellow, "yellow"), ("红牌", red, "red")],
        cards_chart=charts.stacked_bar(
            "工单亮牌构成",
            [
                charts.Bar("绿牌", green, charts.GREEN),
                charts.Bar("黄牌", yellow, charts.AMBER),
                charts.Bar("红牌", red, charts.RED),
            ],
        ),
        spots_chart=charts.bar_chart(
            f"热点诉求（{last_week.month}月{last_week.day}日起一周）",
            [
                charts.Bar(
                    f"{s.matter_type}·{s.district_name}",
                    s.this_week,
                    charts.RED if s.rising else charts.BLUE,
                    ("新出现" if s.new else "上升") if s.rising else "",
                )
                for s in spots.items
            ],
        ),
    )


@router.get("/dashboard.html", response_class=HTMLResponse)
async def dashboard_page(
    request: Request,
    caller: PageCaller,
    session: SessionDep,
    now: NowDep,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    try:
        if isinstance(caller, ApiError):
            raise caller
        board = await report_outputs.get_dashboard(caller, session, now, unit, per_unit=None)
    except ApiError as err:
        return refusal_page(request, err)
    ranked = sorted(board.units, key=lambda u: (-u.red, -u.yellow, u.unit))[:15]
    return page(
        request,
        "dashboard_page.html",
        board=board,
        clock_names=CLOCK_NAMES,
        as_of=labels.shanghai(board.as_of),
        red_chart=charts.bar_chart(
            "各单位在办红黄牌工单",
            [
                charts.Bar(
                    u.name or u.unit,
                    u.red + u.yellow,
                    charts.RED if u.red else charts.AMBER,
                    f"红{u.red} 黄{u.yellow}",
                )
                for u in ranked
            ],
        ),
        tier_chart=charts.stacked_bar(
            "在办亮牌工单按层级",
            [
                charts.Bar(f"{'第' + str(t.tier) + '级' if t.tier else '未登记单位'}{card}", n, colour)
                for t in board.tiers
                for card, n, colour in (("黄牌", t.yellow, charts.AMBER), ("红牌", t.red, charts.RED))
            ],
        ),
    )


# -- sign-in for the browser -------------------------------------------------------------------------------
@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    return page(request, "reports_sign_in.html", message="")


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Form field `token`: an HttpOnly cookie for `/reports`, one shift."""
    body = (await request.body())[:8192]
    token = (parse_qs(body.decode(errors="replace")).get("token") or [""])[0].strip()
    try:
        if not token:
            raise unauthenticated("no token given")
        caller = await caller_for_token(runtime.session_maker, token)
        if caller.role not in (Role.OPERATOR, Role.UNIT_STAFF):
            raise forbidden("only the hotline office and unit staff see the reports")
    except ApiError as err:
        return page(
            request, "reports_sign_in.html", err.status, message=f"未能登录：{err.message}（{err.code}）"
        )
    response = page(request, "reports_sign_in.html", message=f"已登录：{caller.name}", signed_in=True)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/reports",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    response = page(request, "reports_sign_in.html", message="已退出登录")
    response.delete_cookie(SESSION_COOKIE, path="/reports")
    return response


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/reports/static", StaticFiles(directory=PAGES / "static"), name="reports-static")
