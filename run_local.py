"""`make run`: the whole service on embedded defaults, on one machine, data kept under ./data.

Temporal dev server (SQLite file, UI), the app database (SQLite), migrations, demo seed, worker and API.
Ctrl-C stops everything; running it again keeps the data.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from config import Settings, get_settings
from workflows.search_attributes import cli_flags

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _die_with_parent() -> None:
    """Children stop when `make run` itself dies, even by SIGKILL (Linux; elsewhere Ctrl-C still works)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _wait_for_port(host: str, port: int, seconds: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited early with code {proc.returncode}: {proc.args}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on {host}:{port} after {seconds:.0f}s")


def _start_temporal(data: Path, host: str, port: int, ui_port: int, log: Path) -> subprocess.Popen[bytes]:
    db_file = data / "temporal.db"
    # --search-attribute registers only on a new database file; an existing one is handled by the
    # worker's idempotent registration at start-up.
    flags = [] if db_file.exists() else cli_flags()
    cmd = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--ui-disable-news-fetch",
        "--log-level",
        "warn",
        *flags,
    ]
    return subprocess.Popen(
        cmd,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet
    )


async def _prepare_database() -> list[str]:
    from operations.demo import seed_demo
    from operations.demo_delivery import seed_demo_webhooks
    from operations.migrate import upgrade

    settings = get_settings()
    await upgrade(settings.database_url)
    credentials = await seed_demo(settings.database_url, Path(settings.data_dir))
    await seed_demo_webhooks(settings.database_url, _api_base(settings))
    return credentials


def _api_base(settings: Settings) -> str:
    return f"http://{settings.api_host}:{settings.api_port}"


def main() -> None:
    settings = get_settings()
    data = ROOT / settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    host, port = settings.temporal_address.rsplit(":", 1)
    from operations.demo_delivery import demo_environment

    # The demo's SMS gateway and webhooks point at the API's message sink (/dev/messages).
    env = demo_environment(_api_base(settings)) | os.environ | {"PYTHONUNBUFFERED": "1"}
    children: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in reversed(children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        print("\nstopped; data kept in", data)
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        temporal = _start_temporal(data, host, int(port), settings.temporal_ui_port, data / "temporal.log")
        children.append(temporal)
        _wait_for_port(host, int(port), 60, temporal)
        credentials = asyncio.run(_prepare_database())
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            env=env,
            cwd=ROOT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet
        )
        children.append(worker)
        api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                settings.api_host,
                "--port",
                str(settings.api_port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet
        )
        children.append(api)
        _wait_for_port(settings.api_host, settings.api_port, 60, api)
    except BaseException:
        stop()
        raise
    print(f"""
12345 hotline service is running (Ctrl-C stops it; data stays in {data}):
  API docs      http://{settings.api_host}:{settings.api_port}/docs
  Messages      {_api_base(settings)}/dev/messages   (every SMS and webhook the demo sent)
  Temporal UI   http://{host}:{settings.temporal_ui_port}   (filter e.g. HotlineStage="handling")
  Temporal      {settings.temporal_address}  task queue {settings.task_queue}
  Database      {settings.database_url}
Demo credentials (Authorization: Bearer <token>):""")
    for line in credentials:
        print("  " + line)
    sys.stdout.flush()
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"{child.args[0]} exited with {child.returncode}; stopping")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
