"""The databases the tests run on: SQLite always and PostgreSQL when HOTLINE_TEST_DATABASE_URL is set.

The choice is made once, by the `backend` fixture (tests/conftest.py) over `DATABASES`: a test that needs
it (directly, through a fixture such as tests/db's `engine`, or marked `on_each_database`) runs once per
database, its id saying which (`[sqlite]`, `[postgresql]`). Without the URL the PostgreSQL run is skipped.

PostgreSQL: e.g. HOTLINE_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test. A test gets a
schema of its own (a unique name, first on the connection's search_path), dropped afterwards, so runs never
see each other's rows and nothing is left behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.seed import seed_reference_data
from db.session import create_schema, make_engine, make_session_maker

Backend = Literal["sqlite", "postgresql"]
SQLITE: Backend = "sqlite"
POSTGRES_URL = os.environ.get("HOTLINE_TEST_DATABASE_URL")
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(POSTGRES_URL is None, reason="HOTLINE_TEST_DATABASE_URL not set"),
        ],
    ),
]
# For a test whose database is otherwise incidental (the API's read model): run it on each database.
on_each_database = pytest.mark.usefixtures("backend")


@dataclass
class Database:
    """An empty database: no tables, not even Alembic's."""

    engine: AsyncEngine
    url: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@asynccontextmanager
async def empty_database(backend: Backend, sqlite_file: Path) -> AsyncIterator[Database]:
    """A fresh database: the SQLite file `sqlite_file`, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{sqlite_file}"
        engine = make_engine(url)
        try:
            yield Database(engine, url)
        finally:
            await engine.dispose()
        return
    async with isolated_postgres_engine() as engine:
        yield Database(engine, postgres_url())


@asynccontextmanager
async def read_model(backend: Backend, sqlite_file: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh read model with the schema and the reference data (calendars, rule sets)."""
    async with empty_database(backend, sqlite_file) as database:
        await create_schema(database.engine)
        maker = make_session_maker(database.engine)
        await seed_reference_data(maker)
        yield maker


def postgres_url() -> str:
    assert POSTGRES_URL is not None, "the postgresql runs are skipped without HOTLINE_TEST_DATABASE_URL"
    return POSTGRES_URL


@asynccontextmanager
async def isolated_postgres_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on a schema of its own, dropped afterwards: test runs never see each other's rows."""
    url = postgres_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()
