"""Read-model fixtures: a fresh database per test on each database (tests/support.py `backend`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activities.hotline import HotlineActivities
from db.session import create_schema, make_session_maker
from tests.support import Backend, empty_database


@pytest.fixture
async def engine(backend: Backend, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """The read model's schema, no data. SQLite in a nested folder, which also checks that make_engine
    creates it; PostgreSQL in a schema of its own."""
    async with empty_database(backend, tmp_path / "data" / "hotline.db") as database:
        await create_schema(database.engine)
        yield database.engine


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_maker(engine)


@pytest.fixture
def acts(sessions: async_sessionmaker[AsyncSession]) -> HotlineActivities:
    return HotlineActivities(sessions)
