"""Helpers of the dev-server tier: a local dev server whose client encrypts, polling until a check holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from temporalio.testing import WorkflowEnvironment

from tests.driver import DEV_SERVER
from workflows import search_attributes as sa
from workflows.converter import demo_data_converter

SECONDS = 20.0


@asynccontextmanager
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server of its own, the hotline's data converter (encrypting) on its client."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(DEV_SERVER),
        data_converter=demo_data_converter(),
        search_attributes=sa.ALL,
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll until `check` holds (visibility and projections lag a little), for at most SECONDS."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + SECONDS
    while not await check():
        assert loop.time() < give_up, what
        await asyncio.sleep(0.1)
