"""The API as production runs it, `python -m api.serve` (real uvicorn, the options of config.py), on a free
loopback port, with a migrated SQLite database and no Temporal (an address nothing listens on), and raw
sockets to talk to it the way an attacker would.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.api_support import prepare_database, seed_callers
from bench.common import free_port
from db.session import make_engine, make_session_maker

REPO = Path(__file__).resolve().parents[2]
# Short deadlines so that the tests wait seconds, not the production defaults' tens of seconds.
BOUNDS = {
    "HOTLINE_API_MAX_BODY_BYTES": str(64 * 1024),
    "HOTLINE_API_HEADER_TIMEOUT_SECONDS": "2",
    "HOTLINE_API_BODY_TIMEOUT_SECONDS": "3",
    "HOTLINE_API_KEEP_ALIVE_SECONDS": "2",
}


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path
    tokens: dict[str, str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[str]:
        return [line for line in self.log_file.read_text("utf-8", errors="replace").splitlines() if line]

    def connect(self, timeout: float = 30.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.settimeout(timeout)
        return sock


@asynccontextmanager
async def served_api(folder: Path, **env: str) -> AsyncIterator[Served]:
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{folder / 'hotline.db'}"
    await prepare_database(url)
    engine = make_engine(url)
    try:
        callers = await seed_callers(make_session_maker(engine))
    finally:
        await engine.dispose()
    port = free_port()
    settings = {
        "HOTLINE_ENVIRONMENT": "test",
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # nothing listens there
        "HOTLINE_TEMPORAL_RPC_TIMEOUT_SECONDS": "1",
        "HOTLINE_API_HOST": "127.0.0.1",
        "HOTLINE_API_PORT": str(port),
        "HOTLINE_LOG_LEVEL": "INFO",
    }
    log_file = folder / "api.log"
    process = _spawn(os.environ | settings | BOUNDS | env | {"PYTHONUNBUFFERED": "1"}, log_file)
    served = Served(port, process, log_file, {who: token for who, (_, token) in callers.items()})
    try:
        await _until_serving(served)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print("--- api log (tail)\n" + "\n".join(served.log_lines()[-30:]))


def _spawn(env: dict[str, str], log_file: Path) -> subprocess.Popen[bytes]:
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "api.serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


async def _until_serving(served: Served, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=served.base_url, timeout=5) as http:
        while True:
            if served.process.poll() is not None:
                raise RuntimeError("API exited:\n" + "\n".join(served.log_lines()[-30:]))
            try:
                if (await http.get("/openapi.json")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"API on {served.base_url} not serving within {timeout:.0f}s")
            await asyncio.sleep(0.2)


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the socket's timeout)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body
