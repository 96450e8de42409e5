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


def _start_temporal(
    data: Path, host: str, port: int, ui_port: int, codec_endpoint: str, log: Path
) -> subprocess.Popen[bytes]:
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
        # Payloads are encrypted (workflows/converter.py): the UI decodes them through the API's codec
        # server, for an operator signed in at /codec/sign-in.
        "--ui-codec-endpoint",
        codec_endpoint,
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


async def _seed_demo_tickets() -> list[str]:
    """The demo's tickets, through the app in this process (the worker must be running): once."""
    import httpx

    from api.app import create_app
    from operations.demo import demo_tokens
    from operations.demo_tickets import DEMO_TICKETS, DemoSeedError, keep_requester_secrets, seed_demo_tickets

    settings = get_settings()
    tokens = demo_tokens(Path(settings.data_dir))
    if not tokens:
        return []
    app = create_app(settings)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as http,
        ):
            created = await seed_demo_tickets(app, http, tokens)
    except DemoSeedError as err:  # the service runs on; the demo is only a start
        return [f"(the demo tickets could not all be seeded: {err})"]
    kept = keep_requester_secrets(Path(settings.data_dir), created)
    return [
        f"{t.no}  {t.shows}  (access secret {kept[t.no]['access_secret']})"
        for t in DEMO_TICKETS
        if t.no in kept
    ]


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """The last started first: the API, then the worker, then Temporal. SIGTERM, which each takes as a
    graceful stop once running, and which ends one still starting quietly (SIGINT there is a traceback)."""
    for child in reversed(children):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops `make run` as Ctrl-C does


def main() -> int:
    settings = get_settings()
    data = ROOT / settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run(settings, data, children)
    except KeyboardInterrupt:
        pass
    except SystemExit as err:  # a child that would not start: said in err
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop(children)
        print(err, file=sys.stderr)
        return 1
    # Ctrl-C again while stopping would interrupt the stop itself: each child has a deadline instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _stop(children)
    print("\nstopped; data kept in", data, flush=True)
    return 0


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C reaches `make run` only, which stops the children in order.
    return subprocess.Popen(
        args,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads yet
    )


def _run(settings: Settings, data: Path, children: list[subprocess.Popen[bytes]]) -> None:
    host, port = settings.temporal_address.rsplit(":", 1)
    from operations.demo_delivery import demo_environment

    # The demo's SMS gateway and webhooks point at the API's message sink (/dev/messages).
    env = demo_environment(_api_base(settings)) | os.environ | {"PYTHONUNBUFFERED": "1"}
    codec_endpoint = f"http://{settings.api_host}:{settings.api_port}/codec"
    temporal = _start_temporal(
        data, host, int(port), settings.temporal_ui_port, codec_endpoint, data / "temporal.log"
    )
    children.append(temporal)
    _wait_for_port(host, int(port), 60, temporal)
    credentials = asyncio.run(_prepare_database())
    children.append(_child([sys.executable, str(ROOT / "worker.py")], env))
    # The one uvicorn configuration (config.py Settings.uvicorn_options), as in the Dockerfile and
    # docker-compose.yml; quiet on the terminal unless HOTLINE_LOG_LEVEL says otherwise.
    api = _child([sys.executable, "-m", "api.serve"], {"HOTLINE_LOG_LEVEL": "WARNING"} | env)
    children.append(api)
    _wait_for_port(settings.api_host, settings.api_port, 60, api)
    # Last: its Temporal client starts threads in this process, and no child may be forked after that
    # with a preexec_fn.
    tickets = asyncio.run(_seed_demo_tickets())
    print(f"""
12345 hotline service is running (Ctrl-C stops it; data stays in {data}):
  API docs      http://{settings.api_host}:{settings.api_port}/docs
  Rules         http://{settings.api_host}:{settings.api_port}/reference
  Messages      {_api_base(settings)}/dev/messages   (every SMS and webhook the demo sent)
  Temporal UI   http://{host}:{settings.temporal_ui_port}   (filter e.g. HotlineStage="handling")
  Payloads      encrypted; to read them in the UI sign in at {codec_endpoint}/sign-in with the operator
                token, then turn on "Include cross-origin credentials" in the UI's codec server settings
  Temporal      {settings.temporal_address}  task queue {settings.task_queue}
  Database      {settings.database_url}""")
    if tickets:
        print("Demo tickets (requesters follow them at /public/tickets/{no} with X-Access-Secret):")
        for line in tickets:
            print("  " + line)
    print("Demo credentials (Authorization: Bearer <token>):")
    for line in credentials:
        print("  " + line)
    sys.stdout.flush()
    while True:
        for child in children:
            if child.poll() is not None:
                raise SystemExit(f"{child.args[0]} exited with {child.returncode}; stopping")
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
