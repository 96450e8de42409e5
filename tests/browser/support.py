"""Headless Chromium for the tests that look at a page as a person would, with no network but 127.0.0.1.

Debian's chromium (/usr/bin/chromium; .ci/run installs it with `apt-get install chromium fonts-noto-cjk`)
driven by playwright, the Python package only: never `playwright install`, which downloads a browser.
Missing chromium skips the test on a developer's machine and fails it in CI (CI=true), as
tests/unit/test_compose.py does for docker-compose.

`offline_page` opens a page whose every request not to 127.0.0.1 is aborted and recorded: the hotline's
machines have no internet, so a page that needs one is broken there.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1"}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must install it (.ci/run: apt-get install chromium fonts-noto-cjk)")
    pytest.skip(
        f"{reason} (apt-get install chromium fonts-noto-cjk); this skip becomes a failure when CI=true"
    )


def require_chromium() -> Any:
    """playwright's async API, once chromium and playwright are both there."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright import async_api
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    return async_api


@dataclass
class OfflinePage:
    page: Any  # playwright.async_api.Page
    blocked: list[str] = field(default_factory=list)


@asynccontextmanager
async def offline_page(**context_options: Any) -> AsyncIterator[OfflinePage]:
    """A page in a fresh browser context (`context_options`: a phone's viewport, say)."""
    async_api = require_chromium()
    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(**context_options)
            page = await context.new_page()
            offline = OfflinePage(page)

            async def only_local(route: Any) -> None:
                url = route.request.url
                if urlsplit(url).hostname in LOCAL_HOSTS:
                    await route.continue_()
                else:
                    offline.blocked.append(url)
                    await route.abort("internetdisconnected")

            await page.route("**/*", only_local)
            yield offline
        finally:
            await browser.close()


@asynccontextmanager
async def served(app: Any, *, lifespan: str = "off") -> AsyncIterator[str]:
    """`app` on a free port of 127.0.0.1 (a browser needs a real one), in this event loop; its base URL.
    The socket is bound first, so no other process can take the port between choosing and serving."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan=lifespan, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def rendered_fonts(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium actually drew `selector`'s text with (family -> glyphs), from DevTools: a glyph
    missing from every font would be drawn as a box (tofu) in the fallback, never counted under a CJK font."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = await cdp.send("DOM.getDocument")
    node = await cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
    fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {f["familyName"]: f["glyphCount"] for f in fonts["fonts"]}


async def screenshot(page: Any, folder: Path, name: str) -> Path:
    """A full-page PNG in `folder` (the test's tmp_path), copied to $HOTLINE_SCREENSHOTS when set."""
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    if copy_to := os.environ.get("HOTLINE_SCREENSHOTS"):
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        (Path(copy_to) / path.name).write_bytes(path.read_bytes())
    assert path.stat().st_size > 5_000  # a page, not a blank
    return path
