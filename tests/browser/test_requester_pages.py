"""The requester's page in headless Chromium (A19, A24): what a phone shows, over real HTTP.

The app and a real worker run in this event loop (tests/api/conftest.py `serving`), uvicorn carries the
browser's requests to it, and the page may reach nothing but 127.0.0.1. Screenshots land in the test's
tmp_path (and in $HOTLINE_SCREENSHOTS when set, to look at them).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.pages.links import issue_progress_link, issue_rating_link
from tests.api.support import Api, serving, ticket_in
from tests.browser.support import offline_page, rendered_fonts, screenshot
from tests.browser.support import served as over_http

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
UNIT_NAME = "武江区城市管理和综合执法局"


@pytest.fixture
async def served(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[Api, str]]:
    async with serving(ts_env, session_maker) as api, over_http(api.app) as base_url:
        yield api, base_url


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS `rgb(...)` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


async def colours(page: Page, selector: str, background_of: str | None = None) -> tuple[str, str]:
    """`selector`'s text colour and the background it sits on (its own, or `background_of`'s)."""
    foreground, background = await page.evaluate(
        """([selector, backgroundOf]) => {
            const style = getComputedStyle(document.querySelector(selector));
            const back = getComputedStyle(document.querySelector(backgroundOf || selector));
            return [style.color, back.backgroundColor];
        }""",
        [selector, background_of],
    )
    return str(foreground), str(background)


async def ratings_given(api: Api, no: str) -> list[dict[str, Any]]:
    return [e["data"] for e in (await api.ticket(no))["timeline"] if e["kind"] == "rated"]


async def test_the_progress_page_renders_in_chinese_on_a_phone(
    served: tuple[Api, str], tmp_path: Path
) -> None:
    api, base = served
    created = await api.register()
    async with offline_page(**PHONE) as offline:
        page, blocked = offline.page, offline.blocked
        response = await page.goto(base + created["progress_page"])
        assert response is not None and response.status == 200
        await screenshot(page, tmp_path, "progress")

        assert await page.title() == "工单办理进度 - 韶关市12345政务服务便民热线"
        assert await page.locator("html").get_attribute("lang") == "zh-CN"
        assert await page.get_by_role("heading", level=1).inner_text() == "工单办理进度"
        assert await page.locator(".unit").inner_text() == UNIT_NAME
        progress = page.get_by_role("region", name="办理进展").get_by_role("listitem")
        texts = await progress.all_inner_texts()
        assert any("已派至承办单位" in t for t in texts) and any("诉求已登记" in t for t in texts)
        assert all(re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", t) for t in texts)

        # The Chinese text is drawn with a CJK font (fonts-noto-cjk), every glyph of it, not as boxes.
        fonts = await rendered_fonts(page, "h1")
        cjk = {family: n for family, n in fonts.items() if "CJK" in family}
        assert cjk and sum(cjk.values()) == len("工单办理进度"), fonts

        # Headings in order, readable contrast, no outside request.
        levels = await page.evaluate("[...document.querySelectorAll('h1,h2,h3')].map(h => +h.tagName[1])")
        assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels))
        assert contrast(*await colours(page, "body")) >= 7
        assert contrast(*await colours(page, ".facts dt", ".card")) >= 4.5
        assert contrast(*await colours(page, ".brand", ".masthead")) >= 4.5
        assert blocked == []


async def rate_on(page: Page, acceptance: str, handling: str, resolved: str | None = None) -> None:
    """Pick one option per stage by its label, in its group (fieldset and legend), and submit; A24
    是否解决 is answered when `resolved` names an answer (the question is optional)."""
    await page.get_by_role("group", name=re.compile("^受理环节")).get_by_label(acceptance, exact=True).check()
    await page.get_by_role("group", name=re.compile("^办理环节")).get_by_label(handling, exact=True).check()
    if resolved is not None:
        await (
            page.get_by_role("group", name="您反映的问题是否已解决？")
            .get_by_label(resolved, exact=True)
            .check()
        )
    await page.get_by_role("button", name="提交评价").click()
    await page.wait_for_load_state()


async def test_a_rating_from_the_page_lands_once(served: tuple[Api, str], tmp_path: Path) -> None:
    """Submit; reload; press back; submit again from a second tab opened before; reload that (a re-POST):
    the ticket holds exactly one rating, the first."""
    api, base = served
    t = await ticket_in(api, "rating")
    async with api.session_maker.begin() as session:
        link = await issue_rating_link(session, t.no, 1, now=await api.now())
    async with offline_page(**PHONE) as offline:
        page, blocked = offline.page, offline.blocked
        posted: list[str] = []
        page.context.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
        stale = await page.context.new_page()
        await stale.goto(base + link)
        await page.goto(base + link)
        # Keyboard first: the focus lands on the first option, and it shows.
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement); return [document.activeElement.id,"
            " s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
        )
        assert focused[0] == "acceptance-very_satisfied" and focused[1] == "solid" and focused[2] >= 2, (
            focused
        )
        await screenshot(page, tmp_path, "rating-form")

        await rate_on(page, "满意", "非常满意", resolved="已解决")
        await page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{32}$"))
        assert page.url != base + link  # POST-redirect-GET, to a page of its own
        await screenshot(page, tmp_path, "rated")
        assert "已评价" in await page.get_by_role("region", name="您的评价").inner_text()
        await page.reload()  # a GET: nothing is posted again
        assert "非常满意" in await page.get_by_role("region", name="您的评价").inner_text()

        await page.go_back()  # the spent link, fetched again (no-store): it says so, and has no form
        assert await page.get_by_role("heading", level=1).inner_text() == "您已评价"
        assert await page.get_by_role("button", name="提交评价").count() == 0

        await rate_on(stale, "不满意", "不满意")  # the form still open in the other tab
        assert await stale.get_by_role("heading", level=1).inner_text() == "您已评价"
        await stale.reload()  # the answer to a POST: Chromium posts the form again
        assert await stale.get_by_role("heading", level=1).inner_text() == "您已评价"
        await screenshot(stale, tmp_path, "already-rated")
        assert posted == [base + link + "/rating"] * 3, posted

        given = await ratings_given(api, t.no)
        assert [(g["acceptance"]["option"], g["handling"]["option"]) for g in given] == [
            ("satisfied", "very_satisfied")
        ]
        last = (await api.ticket(t.no))["ratings"][-1]
        assert last["handling"]["option"] == "very_satisfied" and last["resolved"] is True  # A24 是否解决
        assert blocked == []


async def test_a_used_or_expired_link_says_so(served: tuple[Api, str], tmp_path: Path) -> None:
    api, base = served
    t = await ticket_in(api, "rating")
    now = await api.now()
    async with api.session_maker.begin() as session:
        rating = await issue_rating_link(session, t.no, 1, now=now)
        progress = await issue_progress_link(session, t.no, now=now, lifetime=timedelta(hours=1))
    async with offline_page(**PHONE) as offline:
        page, blocked = offline.page, offline.blocked
        await page.goto(base + rating)
        await rate_on(page, "满意", "满意")
        await page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{32}$"))

        used = await page.goto(base + rating)
        assert used is not None and used.status == 410
        assert await page.get_by_role("heading", level=1).inner_text() == "您已评价"
        assert "只能提交一次" in await page.get_by_role("status").inner_text()
        await screenshot(page, tmp_path, "used")

        await api.env.sleep(timedelta(hours=2))
        expired = await page.goto(base + progress)
        assert expired is not None and expired.status == 410
        assert await page.get_by_role("heading", level=1).inner_text() == "链接已过期"
        await screenshot(page, tmp_path, "expired")

        # The way on: the form with the ticket number and the access secret, found by its labels.
        await page.get_by_role("link", name="用工单编号和查询密码查询").click()
        await page.get_by_label("工单编号").fill(t.no)
        await page.get_by_label("查询密码").fill(t.access_secret)
        await screenshot(page, tmp_path, "lookup")
        await page.get_by_role("button", name="查询").click()
        await page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]{32}$"))
        assert await page.get_by_role("heading", level=1).inner_text() == "工单办理进度"
        assert "已评价" in await page.get_by_role("region", name="您的评价").inner_text()
        assert len(await ratings_given(api, t.no)) == 1
        assert blocked == []
