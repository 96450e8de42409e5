"""The browser tier: Debian's Chromium, headless, driven by playwright (the Python package only: the browser
is the system's, never one `playwright install` downloads), against the app served over real HTTP.

Missing Chromium skips the tier on a developer machine and fails it in CI (CI=true), as
tests/unit/test_compose.py does for docker-compose. Every request the page makes to anywhere but
127.0.0.1 is blocked and recorded: the pages must need nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page, Route, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{CHROMIUM} is missing; CI must install it (Debian packages 'chromium', 'fonts-noto-cjk')"
        )
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk); a failure when CI=true")


@asynccontextmanager
async def over_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` (its lifespan already running) on a free 127.0.0.1 port, in this event loop; yields the
    base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
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


@asynccontextmanager
async def chromium_page(**context_options: Any) -> AsyncIterator[tuple[Page, list[str]]]:
    """A page in a fresh context of headless Chromium, and the list of outside requests it tried."""
    require_chromium()
    blocked: list[str] = []

    async def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(**context_options)
            await context.route("**/*", local_only)
            yield await context.new_page(), blocked
        finally:
            await browser.close()
