"""Shared harness for the benchmarks (bench/b3_*, bench/b4_*) and the fault tests (tests/faults/).

* `DevServer`: `temporal server start-dev` on a SQLite file and a free port, as a subprocess that can be
  stopped (SIGTERM) and started again on the same file and port.
* `WorkerProcess`: the real ticket worker (`python worker.py`, settings from HOTLINE_* env) or the bare
  baseline worker (`python -m bench.common bare-worker`), each an OS process that can be SIGKILLed.
* `bare-worker`: the baselines' worker process for `bench/bare_timer.py` (a workflow that only sleeps).
* Readings from /proc (RSS, CPU time), percentiles, and a registration like an operator's.

Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, GetSystemInfoRequest
from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare_timer import BareTimerWorkflow
from db.models import TicketRow
from db.seed import load_rule_set, seed_reference_data
from db.session import create_schema, make_engine, make_session_maker
from domain.commands import Actor, Registration, Requester
from domain.rulesets import CITY, RuleSet, hours
from domain.ticket import TicketInput
from domain.vocabulary import ActorKind, Category, Channel, Stage
from workflows.converter import demo_data_converter
from workflows.search_attributes import cli_flags
from workflows.ticket import TicketWorkflow, ticket_workflow_id

REPO = Path(__file__).resolve().parents[1]
TEMPORAL = Path(sys.prefix) / "bin" / "temporal"
OPERATOR = Actor(kind=ActorKind.OPERATOR, id="op-bench", name="Bench Operator")
T = TypeVar("T")


def temporal_available() -> bool:
    return TEMPORAL.is_file() and os.access(TEMPORAL, os.X_OK)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unit_actor(unit_id: str) -> Actor:
    return Actor(kind=ActorKind.UNIT, id=f"{unit_id}-clerk", name=f"clerk of {unit_id}", unit_id=unit_id)


# ------------------------------------------------------------------------------------------ /proc readings
def rss_bytes(pid: int) -> int:
    """Resident set size of one process (VmRSS), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_idle(
    pids: Sequence[int], *, window: float = 2.0, max_share: float = 0.03, timeout: float = 300.0
) -> float:
    """Wait until the processes together use under `max_share` of a core over `window` seconds.

    Returns the seconds waited. A worker that is idle has drained its task queues.
    """
    started = time.monotonic()
    while True:
        before = sum(cpu_seconds(p) for p in pids)
        await asyncio.sleep(window)
        used = sum(cpu_seconds(p) for p in pids) - before
        if used / window < max_share:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"processes {list(pids)} still busy after {timeout:.0f}s")


def mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def kib(n: float) -> str:
    return f"{n / 2**10:,.1f} KiB"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def lag_summary(lags: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(lags, 50), "p99": percentile(lags, 99), "max": max(lags, default=math.nan)}


def machine_summary() -> str:
    """What the figures were measured on: CPUs, memory, load, date, versions."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem = next(
        int(line.split()[1]) * 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    temporal = subprocess.run([str(TEMPORAL), "--version"], check=False, capture_output=True, text=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    from config import Settings

    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} x {model}; {mib(mem)} RAM; "
        f"load average {load}; Python {platform.python_version()}; {temporal.stdout.strip()}; "
        f"workers cache {Settings().worker_max_cached_workflows:,} workflows"
    )


def report(title: str, rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print(f"\n== {title}")
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ waiting
async def until(
    predicate: Callable[[], Awaitable[T]], *, timeout: float, interval: float = 0.25, what: str = "condition"
) -> T:
    """Poll an async predicate until it returns a truthy value; its last exception is in the timeout's."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = await predicate()
            if result:
                return result
        except Exception as err:  # noqa: BLE001 - the thing polled may not be up yet
            last = err
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s (last error: {last!r})")
        await asyncio.sleep(interval)


async def gather_limited(coros: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Run awaitables with at most `limit` in flight; results in order."""
    semaphore = asyncio.Semaphore(limit)

    async def one(c: Awaitable[T]) -> T:
        async with semaphore:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


async def connect(address: str) -> Client:
    return await Client.connect(address, data_converter=demo_data_converter())


# ------------------------------------------------------------------------------------------- processes
def _terminate(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _with_parent(argv: list[str]) -> list[str]:
    """The command, wrapped so that it gets SIGTERM when the process that started it dies: a crashed
    benchmark or test run leaves no server or worker behind (util-linux `setpriv`, where installed)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", *argv] if setpriv else argv


def _spawn(
    argv: list[str], log_file: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log_file.open("ab") as log:
        return subprocess.Popen(
            _with_parent(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
        )


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@dataclass
class DevServer:
    """`temporal server start-dev` on `db_file`; stop() and start() again keep its workflows."""

    db_file: Path
    port: int = field(default_factory=free_port)
    log_file: Path | None = None
    # e.g. ("synchronous=OFF",): `--sqlite-pragma` values for the server's own store.
    pragmas: Sequence[str] = ()
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        # --search-attribute registers on a new file and is accepted again on an existing one.
        return [
            str(TEMPORAL),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db-filename",
            str(self.db_file),
            "--log-level",
            "error",
            *cli_flags(),
            *(f"--sqlite-pragma={p}" for p in self.pragmas),
        ]

    async def start(self, timeout: float = 40.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        log_path = self.log_file or self.db_file.with_suffix(".log")
        self.proc = _spawn(self.command(), log_path, self.db_file.parent)

        async def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"dev server exited ({self.proc.returncode}):\n{tail(log_path, 30)}")
            client = await connect(self.address)
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
            await client.count_workflows()  # the default namespace and visibility answer
            return True

        try:
            await until(ready, timeout=timeout, interval=0.2, what=f"dev server on {self.address}")
        except Exception:
            self.stop()
            raise

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.proc is not None:
            _terminate(self.proc, sig, timeout)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def store_bytes(self) -> int:
        """Size of the server's SQLite store (the file and its -wal/-shm companions)."""
        return sum(p.stat().st_size for p in self.db_file.parent.glob(f"{self.db_file.name}*"))


@dataclass
class WorkerProcess:
    """One worker as an OS process; its output goes to `log_file`."""

    argv: list[str]
    env: dict[str, str]
    log_file: Path
    task_queue: str
    proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def tickets(
        cls,
        address: str,
        database_url: str,
        task_queue: str,
        log_file: Path,
        *,
        delivery: dict[str, str] | None = None,
    ) -> WorkerProcess:
        """The production worker, `python worker.py`, configured only through HOTLINE_* settings.

        Its outbox dispatcher runs only when `delivery` gives its settings (F6, B6): the other faults and
        benchmarks measure the tickets alone, as before the dispatcher existed. `HOTLINE_BENCH_DELIVERY=1`
        turns it on in every benchmark's ticket worker, to measure what delivery costs actions and timers
        (B2, B4): units without a webhook (their feed), no SMS gateway."""
        if delivery is None and os.environ.get("HOTLINE_BENCH_DELIVERY") == "1":
            delivery = {}
        env = {
            "HOTLINE_TEMPORAL_ADDRESS": address,
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_TASK_QUEUE": task_queue,
            "HOTLINE_LOG_LEVEL": "WARNING",
            "HOTLINE_DELIVERY_IN_WORKER": "false",
        } | ({"HOTLINE_DELIVERY_IN_WORKER": "true"} | delivery if delivery is not None else {})
        return cls([sys.executable, str(REPO / "worker.py")], env, log_file, task_queue)

    @classmethod
    def bare(cls, address: str, task_queue: str, log_file: Path) -> WorkerProcess:
        argv = [
            sys.executable,
            "-m",
            "bench.common",
            "bare-worker",
            "--address",
            address,
            "--task-queue",
            task_queue,
        ]
        return cls(argv, {}, log_file, task_queue)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        self.proc = _spawn(self.argv, self.log_file, REPO, os.environ | self.env | {"PYTHONUNBUFFERED": "1"})

    async def wait_ready(self, client: Client, timeout: float = 40.0) -> None:
        """Until this process polls the workflow task queue (its identity is `<pid>@<host>`)."""
        request = DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=self.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )

        async def polling() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited ({self.proc.returncode}):\n{self.log_tail()}")
            response = await client.workflow_service.describe_task_queue(request)
            return any(p.identity.startswith(f"{self.pid}@") for p in response.pollers)

        await until(polling, timeout=timeout, interval=0.2, what=f"worker {self.pid} polling")

    async def start_ready(self, client: Client, timeout: float = 40.0) -> WorkerProcess:
        self.start()
        await self.wait_ready(client, timeout)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, in-flight workflow and activity tasks are lost to the server's timeouts."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is not None:
            _terminate(self.proc, signal.SIGTERM, timeout)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_file, lines)


# ----------------------------------------------------------------------------------------- app database
def tiny_rule_set(rule_set_id: str, sign_for_seconds: float) -> RuleSet:
    """The city's rules with a sign-for limit of a few seconds (natural hours), for timer-driven runs."""
    return RuleSet.model_validate(
        CITY.model_dump()
        | {
            "id": rule_set_id,
            "title": f"sign for within {sign_for_seconds:g}s",
            "sign_for": hours(sign_for_seconds / 3600),
        }
    )


async def prepare_app_db(url: str, rule_sets: Sequence[RuleSet] = (), **engine_kwargs: Any) -> None:
    """Schema, reference data and extra rule sets, as `make run` would leave them."""
    engine = make_engine(url, **engine_kwargs)
    try:
        await create_schema(engine)
        maker = make_session_maker(engine)
        await seed_reference_data(maker)
        for rule_set in rule_sets:
            await load_rule_set(maker, rule_set)
    finally:
        await engine.dispose()


def registration(
    ticket_no: str,
    *,
    received_at: datetime | None = None,
    dispatch_to: str | None = "U1",
    rule_set_id: str | None = None,
) -> Registration:
    return Registration(
        ticket_no=ticket_no,
        channel=Channel.PHONE,
        category=Category.COMPLAINT,
        requester=Requester(name="Li Hua", phone="13800000000"),
        content="Streetlight broken on Jiefang Road",
        received_at=received_at or datetime.now(UTC),
        registered_by=OPERATOR,
        dispatch_to=dispatch_to,
        rule_set_id=rule_set_id,
    )


async def dispatched_count(sessions: async_sessionmaker[AsyncSession], prefix: str) -> int:
    """Tickets numbered `<prefix>…` that the read model shows dispatched (their limits running)."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(TicketRow)
            .where(TicketRow.ticket_no.like(f"{prefix}%"), TicketRow.stage == Stage.DISPATCHED.value)
        )
    return int(count or 0)


async def wait_dispatched(
    sessions: async_sessionmaker[AsyncSession], prefix: str, n: int, timeout: float
) -> None:
    last_report = time.monotonic()

    async def done() -> bool:
        nonlocal last_report
        count = await dispatched_count(sessions, prefix)
        if time.monotonic() - last_report > 15:
            progress(f"{count:,}/{n:,} tickets dispatched")
            last_report = time.monotonic()
        return count >= n

    await until(done, timeout=timeout, interval=1.0, what=f"{n} tickets dispatched")


async def start_ticket(client: Client, task_queue: str, reg: Registration) -> Any:
    return await client.start_workflow(
        TicketWorkflow.run,
        TicketInput(registration=reg),
        id=ticket_workflow_id(reg.ticket_no),
        task_queue=task_queue,
    )


async def timer_observed_at(client: Client, workflow_id: str) -> list[datetime]:
    """For each timer that fired, when a workflow task next started: the workflow.now() at which the
    workflow saw it (events it records may carry another instant, e.g. the boundary a card crossed)."""
    seen: list[datetime] = []
    fired = False
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            fired = True
        elif fired and event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            seen.append(event.event_time.ToDatetime(tzinfo=UTC))
            fired = False
    return seen


# ----------------------------------------------------------------------------------------- a bench stack
@dataclass
class Stack:
    """One benchmark's dev server, application database (SQLite) and the workers it started."""

    folder: Path
    server: DevServer
    client: Client
    app_url: str
    sessions: async_sessionmaker[AsyncSession]
    workers: list[WorkerProcess] = field(default_factory=list)

    async def ticket_worker(self, task_queue: str) -> WorkerProcess:
        worker = WorkerProcess.tickets(
            self.server.address, self.app_url, task_queue, self.folder / f"worker-{task_queue}.log"
        )
        self.workers.append(worker)
        return await worker.start_ready(self.client)

    async def bare_worker(self, task_queue: str) -> WorkerProcess:
        worker = WorkerProcess.bare(self.server.address, task_queue, self.folder / f"worker-{task_queue}.log")
        self.workers.append(worker)
        return await worker.start_ready(self.client)


@asynccontextmanager
async def bench_stack(name: str, *, keep: bool = False, pragmas: Sequence[str] = ()) -> AsyncIterator[Stack]:
    """A fresh dev server on a SQLite file and an application database in a temporary folder; everything
    is stopped and the folder removed afterwards (kept with `keep`, e.g. to read the worker logs)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    server = DevServer(folder / "temporal.db", log_file=folder / "temporal.log", pragmas=pragmas)
    app_url = f"sqlite+aiosqlite:///{folder / 'hotline.db'}"
    await prepare_app_db(app_url)
    engine = make_engine(app_url)
    stack: Stack | None = None
    try:
        await server.start()
        stack = Stack(folder, server, await connect(server.address), app_url, make_session_maker(engine))
        yield stack
    finally:
        for worker in stack.workers if stack else []:
            worker.stop()
        server.stop()
        await engine.dispose()
        if keep:
            progress(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------- the baseline
async def _bare_worker(address: str, task_queue: str) -> None:
    client = await connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The same settings as the ticket worker (sandbox; the cache from HOTLINE_WORKER_MAX_CACHED_WORKFLOWS,
    # 1,000 unless set), no activities.
    from config import Settings

    cache = Settings().worker_max_cached_workflows
    async with Worker(
        client, task_queue=task_queue, workflows=[BareTimerWorkflow], max_cached_workflows=cache
    ):
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.common")
    sub = parser.add_subparsers(dest="command", required=True)
    bare = sub.add_parser("bare-worker", help="run the baseline worker (BareTimer workflows only)")
    bare.add_argument("--address", required=True)
    bare.add_argument("--task-queue", required=True)
    args = parser.parse_args(argv)
    if args.command == "bare-worker":
        asyncio.run(_bare_worker(args.address, args.task_queue))


if __name__ == "__main__":
    main()
