"""The server tier: `python -m api.serve` as an OS process on a free loopback port (tests/server/support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.server.support import Served, served_api


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with served_api(tmp_path / "api") as api:
        yield api
