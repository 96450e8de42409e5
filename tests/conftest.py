"""Shared fixtures: the database a test runs on, a real time-skipping Temporal server, a real read model,
a real worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.driver import Hotline, own_dev_server, own_time_skipping_server
from tests.support import DATABASES, SQLITE, Backend, read_model
from worker import build_worker


@pytest.fixture(params=DATABASES)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Which database the test runs on: SQLite, and PostgreSQL when HOTLINE_TEST_DATABASE_URL is set
    (tests/support.py). The one place the tests choose a database."""
    chosen: Backend = request.param
    return chosen


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server, one per test (see tests.driver.own_time_skipping_server)."""
    async with own_time_skipping_server() as env:
        yield env


@pytest.fixture(scope="module")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The local dev server (real visibility and search attributes), one per module."""
    async with own_dev_server() as env:
        yield env


@pytest.fixture
async def session_maker(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The read model, seeded: on SQLite, or on the test's `backend` when it has one (on_each_database)."""
    backend: Backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else SQLITE
    async with read_model(backend, tmp_path / "hotline.db") as maker:
        yield maker


@pytest.fixture
async def hotline(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Hotline]:
    task_queue = f"tickets-{uuid.uuid4()}"
    async with build_worker(ts_env.client, session_maker, task_queue):
        yield Hotline(ts_env, task_queue, session_maker)
