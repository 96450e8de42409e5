"""The API fixtures: the real app with a real worker on the time-skipping server (tests/api/support.py
`serving`), per test or once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from tests.api.support import Api, serving
from tests.driver import own_time_skipping_server
from tests.support import SQLITE, read_model


@pytest.fixture
async def api(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Api]:
    async with serving(ts_env, session_maker) as driver:
        yield driver


@pytest.fixture(scope="module")
async def module_session_maker(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A read model shared by one module's tests (for fixture worlds built once)."""
    async with read_model(SQLITE, tmp_path_factory.mktemp("api") / "hotline.db") as maker:
        yield maker


@pytest.fixture(scope="module")
async def module_api(module_session_maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[Api]:
    """`api`, once per module (with a time-skipping server of its own): for tests that share a world of
    tickets and only read it or are refused."""
    async with own_time_skipping_server() as env, serving(env, module_session_maker) as driver:
        yield driver
