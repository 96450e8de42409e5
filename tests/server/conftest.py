"""The server tier: `python -m api.serve` as an OS process on a free loopback port (tests/server/support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.server.support import Served, served_api


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    """One API process per module: each test opens its own connections, and starting the app (imports,
    migrations, seed) was most of this tier's time when every test had its own."""
    async with served_api(tmp_path_factory.mktemp("api")) as api:
        yield api
