"""Shared fixtures: a real time-skipping Temporal server, a real SQLite read model, a real worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from db.seed import seed_reference_data
from db.session import create_schema, make_engine, make_session_maker
from tests.driver import DEV_SERVER, TEST_SERVER, Hotline, own_time_skipping_server
from worker import build_worker

__all__ = ["DEV_SERVER", "TEST_SERVER"]


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server, one per test (see tests.driver.own_time_skipping_server)."""
    async with own_time_skipping_server() as env:
        yield env


@pytest.fixture
async def session_maker(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await create_schema(engine)
    maker = make_session_maker(engine)
    await seed_reference_data(maker)
    yield maker
    await engine.dispose()


@pytest.fixture
async def hotline(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Hotline]:
    task_queue = f"tickets-{uuid.uuid4()}"
    async with build_worker(ts_env.client, session_maker, task_queue):
        yield Hotline(ts_env, task_queue, session_maker)
