"""Helpers of the dev-server tier: a local dev server whose client encrypts, polling until a check holds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.driver import own_dev_server

SECONDS = 20.0


# A dev server of its own, the hotline's data converter (encrypting) on its client.
dev_server = own_dev_server


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll until `check` holds (visibility and projections lag a little), for at most SECONDS."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + SECONDS
    while not await check():
        assert loop.time() < give_up, what
        await asyncio.sleep(0.1)
