"""The pages a requester's messages open (A19 progress, A20 the unit's answer, A24 rating): HTML, in Chinese.

`/t/<token>` is the whole URL (api/pages/links.py); `/t` takes the ticket number and the access secret
given at registration for a requester who has no link at hand. Server-rendered Jinja2, plain HTML forms,
no script, nothing fetched from elsewhere. Every answer is a page, refusals too: a used or expired link
says so in words (410), an unknown one 404.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.deps import RuntimeDep, update_id
from api.errors import ApiError
from api.pages import labels
from api.pages.links import (
    OPENED_LINK_LIFETIME,
    Link,
    LinkStatus,
    Purpose,
    issue_progress_link,
    look_up,
    spend,
)
from api.pages.view import requester_page
from api.runtime import Runtime
from db.api_models import RequesterAccessRow
from domain.commands import TICKET_NO_PATTERN, Rate
from operations.credentials import digest

log = logging.getLogger("hotline.api.pages")

PAGES = Path(__file__).resolve().parent.parent / "pages"
templates = Jinja2Templates(directory=PAGES / "templates")
templates.env.filters |= {"shanghai": labels.shanghai, "deadline": labels.deadline}
templates.env.globals |= {
    "RATING_OPTIONS": labels.RATING_OPTIONS,
    "RATING_STAGES": labels.RATING_STAGES,
    "RESOLVED_QUESTION": labels.RESOLVED_QUESTION,
    "RESOLVED_LABELS": labels.RESOLVED_LABELS,
}

router = APIRouter(prefix="/t", tags=["requester pages"], include_in_schema=False)

# A token in the URL must not travel on (Referer), be cached or be indexed; the page runs no script.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}
_FORM_LIMIT = 8192
# Compared against when no ticket matches, so a wrong pair costs the same either way.
_NO_SECRET = digest("no such ticket")
# Temporal or the database not answering (what api/errors.py answers 503 for): a page that says so.
UNAVAILABLE = (
    ApiError,
    RPCError,
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    TimeoutError,
    DBAPIError,
)
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Response]])


def in_a_page(handler: Handler) -> Handler:
    """A dependency down answers with a page too (503, Retry-After), not with the API's JSON."""

    @functools.wraps(handler)
    async def answered(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except UNAVAILABLE as err:
            log.warning("requester page unavailable: %r", err)
            return _unavailable(kwargs["request"])

    return cast(Handler, answered)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/t/static", StaticFiles(directory=PAGES / "static"), name="requester-static")


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status, headers=PAGE_HEADERS)


def notice(request: Request, status: int, title: str, message: str, **context: Any) -> HTMLResponse:
    """A refusal in words: what happened and what the requester can do."""
    return _page(request, "notice.html", status, title=title, message=message, **context)


def _unavailable(request: Request) -> HTMLResponse:
    response = notice(request, 503, "服务暂时不可用", "系统正忙，请稍后刷新本页重试，或拨打12345热线查询。")
    response.headers["Retry-After"] = "5"
    return response


def _round_over(request: Request) -> HTMLResponse:
    # A24: a rating link belongs to its round; a later round (after a redo) has its own.
    return notice(request, 410, "链接已失效", "此评价链接对应的评价已结束。", lookup=True)


def _window_closed(request: Request) -> HTMLResponse:
    return notice(
        request, 409, "评价时间已过", "评价须在收到评价请求后24小时内完成；超时未评价视为基本满意。"
    )


def _link_refused(request: Request, link: Link) -> HTMLResponse:
    if link.status == LinkStatus.SPENT:
        return notice(
            request,
            410,
            "您已评价",
            "此评价链接已使用，您的评价已收到，每轮评价只能提交一次。感谢您的反馈！",
            lookup=True,
        )
    if link.status == LinkStatus.EXPIRED:
        return notice(
            request, 410, "链接已过期", "此链接已过期。您可以用工单编号和查询密码重新查询。", lookup=True
        )
    return notice(request, 404, "链接无效", "找不到此链接，请核对短信中的链接是否完整。", lookup=True)


async def _form(request: Request) -> dict[str, list[str]]:
    """A plain HTML form (application/x-www-form-urlencoded), small; anything else reads as empty."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _FORM_LIMIT:
            return {}
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:
        return {}


# -- /t: the ticket number and the access secret (A19) -------------------------------------------------------
@router.get("", response_class=HTMLResponse)
async def lookup_form(request: Request) -> HTMLResponse:
    return _page(request, "lookup.html")


@router.post("", response_class=HTMLResponse)
@in_a_page
async def lookup(request: Request, runtime: RuntimeDep) -> Response:
    form = await _form(request)
    ticket_no = (form.get("ticket_no") or [""])[0].strip().upper()
    secret = (form.get("secret") or [""])[0].strip()
    now = await runtime.clock()
    async with runtime.session_maker.begin() as session:
        known = re.fullmatch(TICKET_NO_PATTERN, ticket_no) is not None
        access = await session.get(RequesterAccessRow, ticket_no) if known else None
        expected = access.secret_hash if access is not None else _NO_SECRET
        # One refusal for a wrong secret and for no such ticket (as GET /public/tickets/{no} does).
        if access is None or not hmac.compare_digest(expected, digest(secret)):
            return _page(request, "lookup.html", 404, ticket_no=ticket_no, refused=True)
        path = await issue_progress_link(session, ticket_no, now=now, lifetime=OPENED_LINK_LIFETIME)
    return RedirectResponse(path, status_code=303, headers=PAGE_HEADERS)


# -- /t/<token>: the ticket's page ----------------------------------------------------------------------------
@router.get("/{token}", response_class=HTMLResponse)
@in_a_page
async def ticket_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    now = await runtime.clock()
    async with runtime.session_maker() as session:
        link = await look_up(session, token, now)
    if link.status != LinkStatus.OPEN:
        return _link_refused(request, link)
    return await _render(request, runtime, link, token)


async def _render(
    request: Request, runtime: Runtime, link: Link, token: str, status: int = 200, **context: Any
) -> HTMLResponse:
    state = await runtime.ticket_state(link.ticket_no)
    if state is None:
        return notice(request, 404, "暂时查不到此工单", "工单可能正在登记，请稍后刷新本页。")
    now = await runtime.clock()
    current = state.current_rating()
    if link.purpose == Purpose.RATING and (current is None or current.round != link.rating_round):
        return _round_over(request)
    async with runtime.session_maker() as session:
        page = await requester_page(session, state, link, now)
    return _page(request, "ticket.html", status, page=page, token=token, **context)


# -- /t/<token>/rating: both stages, once (A24) ---------------------------------------------------------------
@router.post("/{token}/rating", response_class=HTMLResponse)
@in_a_page
async def rate(token: str, request: Request, runtime: RuntimeDep) -> Response:
    form = await _form(request)
    now = await runtime.clock()
    async with runtime.session_maker() as session:
        link = await look_up(session, token, now)
    if link.status != LinkStatus.OPEN:
        return _link_refused(request, link)
    state = await runtime.ticket_state(link.ticket_no)
    rating = state.current_rating() if state is not None else None
    if (
        state is not None
        and link.purpose == Purpose.RATING
        and (rating is None or rating.round != link.rating_round)
    ):
        return _round_over(request)
    if state is None or rating is None:
        return notice(request, 409, "当前无需评价", "此工单目前没有待评价的事项。")
    if (rating.rated_at or now) >= rating.expires_at:
        return _window_closed(request)  # A24: the 24 hours passed (unanswered, read as basically satisfied)
    if rating.rated_at is not None:
        return await _already_rated(request, runtime, link, now)
    acceptance, handling = form.get("acceptance", []), form.get("handling", [])
    if not acceptance or not handling:
        # The page asks for one option per stage; a half-filled form is shown again, nothing is spent.
        return await _render(request, runtime, link, token, 422, missing=True)
    try:
        command = Rate.model_validate(
            {
                "acceptance": acceptance[:10],
                "handling": handling[:10],
                # A24 是否解决: optional on the page too; anything but the two answers is no answer.
                "resolved": labels.RESOLVED_ANSWERS.get((form.get("resolved") or [""])[0]),
                "via": "link",
            }
        )
    except ValidationError:  # not what the form sends (an overlong value): ask again
        return await _render(request, runtime, link, token, 422, missing=True)
    # One update id per ticket and round: a double submit, a replay or a second tab is one rating.
    rate_id = update_id("rate", "requester-page", f"{link.ticket_no}:round-{rating.round}")
    try:
        await runtime.temporal.update_ticket(link.ticket_no, "rate", command, rate_id)
    except WorkflowUpdateFailedError as err:
        code = err.cause.type if isinstance(err.cause, ApplicationError) else None
        if code == "ALREADY_RATED":
            return await _already_rated(request, runtime, link, now)
        if code == "RATING_WINDOW_CLOSED":
            return _window_closed(request)
        log.info("rating refused on %s: %s", link.ticket_no, code)
        return notice(request, 409, "当前无法评价", "此工单目前不能评价，请稍后刷新或拨打12345热线。")
    return await _rated(runtime, link, now)


@router.get("/{token}/rating", response_class=HTMLResponse)
async def rating_path(token: str) -> Response:
    """The rating's address opened from the history (after a refused submit): the page itself."""
    return RedirectResponse(f"/t/{token}", status_code=303, headers=PAGE_HEADERS)


async def _rated(runtime: Runtime, link: Link, now: datetime) -> Response:
    """Spend a rating link; then GET a fresh page (POST-redirect-GET), so a reload does not post again."""
    async with runtime.session_maker.begin() as session:
        if link.purpose == Purpose.RATING:
            await spend(session, link, now)
        path = await issue_progress_link(session, link.ticket_no, now=now, lifetime=OPENED_LINK_LIFETIME)
    return RedirectResponse(path, status_code=303, headers=PAGE_HEADERS)


async def _already_rated(request: Request, runtime: Runtime, link: Link, now: datetime) -> HTMLResponse:
    async with runtime.session_maker.begin() as session:
        if link.purpose == Purpose.RATING:
            await spend(session, link, now)
    return notice(request, 409, "您已评价", "这一轮评价已经收到，不会重复计入。感谢您的反馈！", lookup=True)
