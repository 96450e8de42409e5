"""Issue 18: a demo ticket's page in Temporal UI, as an operator's browser shows it (headless Debian chromium).

A dev server with its Web UI, a worker, and a complaint with a named requester and a phone number in its
text. The workflow page must show the ticket's summary in Chinese and the lead unit by name (the memo), and
nothing on the page may show the requester's name or phone in clear: the payloads that carry them are
encrypted and this UI has no codec server (A32).
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.commands import Requester
from domain.vocabulary import Category
from operations.credentials import create_unit
from tests.browser.support import offline_page, require_chromium
from tests.driver import DEV_SERVER, SERVER_STARTUP, Hotline
from tests.support import SQLITE, read_model
from worker import build_worker
from workflows import search_attributes as sa
from workflows.converter import demo_data_converter

REQUESTER = Requester(name="李华", phone="13800000000")
SUMMARY = "投诉｜新华南路路灯连续一周不亮｜武江区新华南路"
SECONDS = 60_000  # the UI is a single-page app: its first load compiles a lot of JavaScript


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _visible_text(page: Any) -> str:
    """The text of the page and of its frames: the UI renders summaries and details (markdown) in frames."""
    texts = []
    for frame in page.frames:
        with contextlib.suppress(Exception):  # a frame navigating away while read: the next poll reads it
            texts.append(await frame.inner_text("body"))
    return "\n".join(texts)


async def _shows(page: Any, words: str) -> str:
    """Poll until the visible text holds `words`; that text."""
    for _ in range(SECONDS // 250):
        text = await _visible_text(page)
        if words in text:
            return text
        await page.wait_for_timeout(250)
    raise AssertionError(f"the page never showed {words!r}:\n{await _visible_text(page)}")


async def test_the_workflow_page_shows_the_summary_and_no_identity(tmp_path: Path) -> None:
    require_chromium()
    ui_port = _free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER),
        dev_server_startup_timeout=SERVER_STARTUP,
        data_converter=demo_data_converter(),
        search_attributes=sa.ALL,
        ui=True,
        ui_port=ui_port,
    )
    try:
        async with read_model(SQLITE, tmp_path / "hotline.db") as maker:
            await create_unit(maker, unit_id="U1", name="韶关市武江区人民政府", tier=2, kind="county")
            task_queue = f"ui-page-{uuid.uuid4()}"
            async with build_worker(env.client, maker, task_queue):
                hotline = Hotline(env, task_queue, maker)
                handle = await hotline.register(
                    Category.COMPLAINT,
                    dispatch_to="U1",
                    requester=REQUESTER,
                    content="新华南路路灯连续一周不亮，我是李华，电话13800000000。",
                    location="武江区新华南路88号",
                )
                url = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{handle.id}"
                async with offline_page(timezone_id="Asia/Shanghai", locale="zh-CN") as offline:
                    page = offline.page
                    await page.goto(url, timeout=SECONDS)
                    # UI 2.x: the summary and details under "User Metadata", the unit names under "Memo".
                    await page.get_by_text("User Metadata", exact=True).first.click(timeout=SECONDS)
                    await _shows(page, "新华南路路灯连续一周不亮")
                    await _shows(page, "主办：韶关市武江区人民政府（U1）")
                    await page.screenshot(path=str(tmp_path / "temporal-ui-ticket.png"), full_page=True)
                    text = await _visible_text(page)
                    html = "".join([await f.content() for f in page.frames])
                    await page.get_by_text("Memo", exact=True).first.click(timeout=SECONDS)
                    await _shows(page, "韶关市武江区人民政府（U1）")
                    text += await _visible_text(page)
                    html += "".join([await f.content() for f in page.frames])
    finally:
        await env.shutdown()
    assert (tmp_path / "temporal-ui-ticket.png").stat().st_size > 10_000
    for secret in (REQUESTER.name, REQUESTER.phone):
        assert secret not in text and secret not in html, secret
    # The summary as the page renders it (its separators may sit in their own elements).
    assert SUMMARY.replace("｜", "") in text.replace("｜", "").replace("\n", "")
    assert "A17 答复时限" in text and "24:00" in text  # the current details: limits in China time
