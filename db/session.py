"""Engines and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite), behaving the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Select, Table, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# The API's tables live on the same Base: importing them here makes create_schema create them too.
import db.api_models
import db.catalogue_models
import db.delivery_models
import db.filing_models
import db.linkage_models  # noqa: F401
from db.models import Base

# How long a SQLite writer waits for another connection's write lock before failing (and retrying).
SQLITE_BUSY_TIMEOUT_MS = 15_000


def make_engine(url: str, **engine_kwargs: Any) -> AsyncEngine:
    """An async engine; `engine_kwargs` go to `create_async_engine` (e.g. `connect_args`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # A worker outlives database restarts: test a pooled connection before handing it out.
        engine_kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(parsed, **engine_kwargs)

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    if not in_memory:
        Path(database.removeprefix("file:").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)
    if not in_memory:
        # Enough pooled connections for the API's bursts (B2: 64 requests in flight, each reading and
        # writing): past the pool's 5, every overflow checkout opened a new SQLite connection, with its own
        # aiosqlite thread and pragmas, and closed it again on return. A connection is a file handle and an
        # idle thread; SQLite still admits one writer at a time (busy_timeout below).
        engine_kwargs.setdefault("pool_size", 20)
        engine_kwargs.setdefault("max_overflow", 20)
    engine = create_async_engine(parsed, **engine_kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless told, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not in_memory:
            # The API reads while the worker writes: WAL lets readers proceed during a write.
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL is still safe against corruption and loses a commit only to a power cut
            # (never to a crashed process), and it spares an fsync per commit. SQLite is the single-machine
            # default; production runs PostgreSQL.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def make_session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(engine: AsyncEngine) -> None:
    """Create every table of `Base` that is missing (tests and `make run`, until Alembic lands)."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def count_rows(session: AsyncSession, query: Select[*tuple[Any, ...]]) -> int:
    """How many rows `query` selects: the `total` of a page, before its LIMIT and OFFSET."""
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def insert_for(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that accepts ON CONFLICT clauses on both backends (their APIs are the same), so a write
    keyed by a primary key is idempotent and a concurrent duplicate is absorbed by the database."""
    return dialect_insert(session.get_bind().dialect.name, model)


def dialect_insert(dialect: str, target: type[Base] | Table) -> postgresql.Insert | sqlite.Insert:
    """insert_for by dialect name, for statements built once per dialect (activities/projection.py)."""
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"unsupported database dialect {dialect!r}")
