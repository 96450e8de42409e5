"""Helpers of the dev-server tier: a local dev server whose client encrypts, a seeded SQLite read model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.seed import seed_reference_data
from db.session import create_schema, make_engine, make_session_maker
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


@asynccontextmanager
async def read_model(path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await create_schema(engine)
        maker = make_session_maker(engine)
        await seed_reference_data(maker)
        yield maker
    finally:
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll until `check` holds (visibility and projections lag a little), for at most SECONDS."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + SECONDS
    while not await check():
        assert loop.time() < give_up, what
        await asyncio.sleep(0.1)
