"""Alembic environment: async engines (asyncpg, aiosqlite), the URL from the settings, batch mode on SQLite.

Where the URL comes from, first found wins:
1. `alembic -x url=...`;
2. `config.attributes["database_url"]` or the `sqlalchemy.url` option, set by calling code
   (operations/migrate.py);
3. `config.Settings.database_url` (HOTLINE_DATABASE_URL, else the local SQLite file).

Calling code that already holds a connection passes it as `config.attributes["connection"]` (Alembic's
"connection sharing" recipe; with an AsyncConnection, call the command inside `conn.run_sync`), and the
migration runs on it: tests use this to migrate a PostgreSQL schema of their own.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from pathlib import Path
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import TypeDecorator, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

# The API's tables live on the same Base as the read model: import both so autogenerate sees them all.
import db.api_models
import db.catalogue_models
import db.delivery_models
import db.filing_models
import db.linkage_models  # noqa: F401
from config import get_settings
from db.models import Base

config = context.config
target_metadata = Base.metadata

if config.cmd_opts is not None and config.config_file_name is not None:
    # The `alembic` command line logs as alembic.ini says; code that calls alembic.command (make run,
    # tests) keeps its own logging configuration.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return (
        url
        or config.attributes.get("database_url")
        or config.get_main_option("sqlalchemy.url")
        or get_settings().database_url
    )


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types (db.models.UtcDateTime) as the SQL type they stand for: a migration must
    not import application code that may later move or change."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=True,
        **options,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    url = make_url(database_url())
    configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place: batch mode copies the table ("move and copy").
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    url = make_url(database_url())
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no data/
    # Not db.session.make_engine: its SQLite foreign_keys=ON would make batch mode's table copies cascade.
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
