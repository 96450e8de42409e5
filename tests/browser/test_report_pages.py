"""The office's report pages in headless Chromium (issue 15, must-show 4): the bulletin with its charts and
the dashboard, signed in through the page's own form (the HttpOnly cookie), offline but for 127.0.0.1.

Charts are inline SVG: counted, and their bars and labels drawn; Chinese is drawn with a CJK font, every
glyph (DevTools' platform fonts for the node), in the page's text and in the charts' SVG text alike.
Screenshots go to the test's tmp_path ($HOTLINE_SCREENSHOTS to keep them).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.api.support import serving
from tests.browser.support import offline_page, rendered_fonts, screenshot
from tests.browser.support import served as over_http

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def cjk(fonts: dict[str, int]) -> int:
    return sum(n for family, n in fonts.items() if "CJK" in family)


async def test_the_bulletin_and_the_dashboard_draw_their_charts_in_legible_chinese(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with serving(ts_env, session_maker) as api, over_http(api.app) as base:
        await api.weekends_only()
        monday = await api.next_monday()
        await api.sleep_until(monday)
        signed = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
        await api.act(signed, "sign-for", as_="urban")
        late = (await api.register(dispatch_to="WJ-POWER"))["ticket_no"]
        await api.sleep_until(monday + timedelta(days=4))  # Friday: the unsigned one is red (A22)
        await api.until(late, lambda v: v["card"] == "red")
        await api.listed(late, (await api.ticket(late))["revision"])
        period = f"from={monday.isoformat()}&to={(monday + timedelta(days=7)).isoformat()}".replace(
            "+", "%2B"
        )

        async with offline_page(**DESKTOP) as offline:
            page = offline.page
            await page.goto(base + "/reports/sign-in")
            await page.get_by_label("令牌（热线办或承办单位工作人员）").fill(api.tokens["operator"])
            await page.get_by_role("button", name="登录", exact=True).click()
            await page.wait_for_load_state()
            assert "已登录" in await page.get_by_role("status").inner_text()

            response = await page.goto(f"{base}/reports/bulletin.html?{period}")
            assert response is not None and response.status == 200
            await screenshot(page, tmp_path, "bulletin")
            assert await page.title() == "热线工作通报 - 韶关市12345政务服务便民热线"
            charts = page.locator("svg.chart")
            assert await charts.count() == 4  # trend per week, ranking, mix of cards, hot spots
            for i in range(4):  # each names itself for a screen reader, and has a table or words beside it
                assert await charts.nth(i).get_attribute("role") == "img"
                assert (await charts.nth(i).locator("title").text_content() or "").strip()
            assert await page.locator("svg.chart-bars rect.bar").count() >= 3  # units ranked, the hot spot
            assert await page.locator("svg.chart-stacked rect.bar").count() == 2  # green and red
            drawn = await page.evaluate(
                "[...document.querySelectorAll('svg.chart text')].map(t => t.getBBox().width)"
            )
            assert drawn and min(drawn) > 0
            heading = await rendered_fonts(page, "h1")
            assert cjk(heading) == len("热线工作通报"), heading
            label = await rendered_fonts(page, "svg.chart-bars text")  # a unit's name in the ranking
            name = await page.locator("svg.chart-bars text").first.text_content() or ""
            assert cjk(label) == sum(1 for c in name if "\u4e00" <= c <= "\u9fff") > 0, (name, label)

            response = await page.goto(base + "/reports/dashboard.html")
            assert response is not None and response.status == 200
            await screenshot(page, tmp_path, "dashboard")
            assert await page.locator("svg.chart").count() == 2
            assert late in await page.get_by_role("table", name="各单位在办亮牌工单及其工单编号").inner_text()
            assert signed not in await page.locator("main").inner_text()  # green: not on the dashboard
            assert cjk(await rendered_fonts(page, "h1")) == len("实时看板")
            assert offline.blocked == []
        assert (tmp_path / "bulletin.png").stat().st_size > 20_000
