"""B3: N open tickets waiting on their timers — memory per open ticket against bare Temporal.

    .venv/bin/python -m bench.b3_open_tickets [--n 10000] [--concurrency 64] [--sample 200] [--keep]

One dev server (SQLite file) and the production worker (`python worker.py`). The tickets are registered
and dispatched to a unit, so each waits on its sign-for and answer limits (days away, A17/A22). Measured:
worker RSS empty and with N open tickets, dev-server RSS, and the delta per open ticket. Then every ticket
is checked still correct: the read model has N rows, each dispatched with its two timeline events, a
sample is queried and equals its row, and visibility counts N running. The baseline, in the same run on
the same server: N `BareTimer` workflows sleeping on a timer a day away, on a bare worker process with the
same SDK defaults (sandbox, 1,000 cached workflows).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import (
    Stack,
    bench_stack,
    dispatched_count,
    gather_limited,
    kib,
    machine_summary,
    mib,
    progress,
    registration,
    report,
    start_ticket,
    wait_dispatched,
    wait_idle,
)
from config import Settings
from db.models import TicketRow, TimelineEventRow
from domain.ticket import ANSWER, SIGN_FOR, TicketState
from domain.vocabulary import Card, Stage
from workflows.ticket import TicketWorkflow

# Both workers' `max_cached_workflows` (HOTLINE_WORKER_MAX_CACHED_WORKFLOWS; 1,000, the SDK's default).
WORKER_CACHE = Settings().worker_max_cached_workflows


def ratio(ticket: float, bare: float) -> str:
    return f"{ticket / bare:.2f}x" if bare > 0 else "n/a"


async def verify_tickets(stack: Stack, prefix: str, numbers: list[str], sample: int) -> list[str]:
    """Everything that is wrong with the N open tickets; empty when all are correct."""
    problems: list[str] = []
    n = len(numbers)
    async with stack.sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(TicketRow).where(TicketRow.ticket_no.like(f"{prefix}%"))
        )
        events = await session.scalar(
            select(func.count())
            .select_from(TimelineEventRow)
            .where(TimelineEventRow.ticket_no.like(f"{prefix}%"))
        )
    if rows != n:
        problems.append(f"{rows} rows in tickets, expected {n}")
    if events != 2 * n:  # registered + dispatched
        problems.append(f"{events} timeline rows, expected {2 * n}")
    dispatched = await dispatched_count(stack.sessions, prefix)
    if dispatched != n:
        problems.append(f"{dispatched} rows dispatched, expected {n}")
    running = (
        await stack.client.count_workflows('WorkflowType="TicketWorkflow" AND ExecutionStatus="Running"')
    ).count
    if running != n:
        problems.append(f"visibility counts {running} running tickets, expected {n}")

    chosen = random.Random(4).sample(numbers, min(sample, n))
    now = datetime.now(UTC)

    async def check(ticket_no: str) -> str | None:
        state: TicketState = await stack.client.get_workflow_handle(f"ticket-{ticket_no}").query(
            TicketWorkflow.state
        )
        async with stack.sessions() as session:
            row = await session.get(TicketRow, ticket_no)
        wrong = []
        if row is None or (row.revision, row.stage, row.card) != (
            state.revision,
            state.stage.value,
            state.card().value,
        ):
            wrong.append("row differs from the workflow")
        if state.stage != Stage.DISPATCHED or [e.kind for e in state.timeline] != [
            "registered",
            "dispatched",
        ]:
            wrong.append(f"stage {state.stage}, timeline {[e.kind for e in state.timeline]}")
        clocks = [state.clocks.get(SIGN_FOR), state.clocks.get(ANSWER)]
        if any(c is None or c.met_at is not None or c.due_at <= now or c.card != Card.GREEN for c in clocks):
            wrong.append("limits not running")
        return f"{ticket_no}: {'; '.join(wrong)}" if wrong else None

    problems += [p for p in await gather_limited((check(no) for no in chosen), 16) if p]
    return problems


async def verify_bare(stack: Stack, ids: list[str], sample: int) -> list[str]:
    problems = []
    running = (
        await stack.client.count_workflows('WorkflowType="BareTimer" AND ExecutionStatus="Running"')
    ).count
    if running != len(ids):
        problems.append(f"visibility counts {running} running bare workflows, expected {len(ids)}")

    async def armed(workflow_id: str) -> str | None:
        # Started, workflow task scheduled/started/completed, timer started: the timer is armed.
        description = await stack.client.get_workflow_handle(workflow_id).describe()
        length = description.raw_description.workflow_execution_info.history_length
        return None if length >= 5 else f"{workflow_id}: history length {length}"

    chosen = random.Random(4).sample(ids, min(sample, len(ids)))
    problems += [p for p in await gather_limited((armed(i) for i in chosen), 16) if p]
    return problems


async def run(n: int, concurrency: int, sample: int, keep: bool) -> int:
    print(f"B3: {n:,} open tickets waiting on their timers, against {n:,} bare sleeping workflows")
    print(f"machine: {machine_summary()}")
    run_id = uuid.uuid4().hex[:6]
    prefix = f"B3-{run_id}-"
    async with bench_stack("b3", keep=keep) as stack:
        server = stack.server
        worker = await stack.ticket_worker(f"b3-tickets-{run_id}")
        await wait_idle([worker.pid, server.pid])
        worker_empty, server_empty, store_empty = worker.rss(), server.rss(), server.store_bytes()

        progress(f"registering {n:,} tickets")
        began = time.monotonic()
        numbers = [f"{prefix}{i:05d}" for i in range(n)]
        await gather_limited(
            (start_ticket(stack.client, worker.task_queue, registration(no)) for no in numbers), concurrency
        )
        started_in = time.monotonic() - began
        await wait_dispatched(stack.sessions, prefix, n, timeout=max(600.0, n * 0.5))
        registered_in = time.monotonic() - began
        await wait_idle([worker.pid, server.pid], timeout=600)
        worker_full, server_tickets, store_tickets = worker.rss(), server.rss(), server.store_bytes()

        progress("verifying the tickets")
        ticket_problems = await verify_tickets(stack, prefix, numbers, sample)
        worker.stop()  # the tickets stay open on the server; the baseline runs alone

        bare = await stack.bare_worker(f"b3-bare-{run_id}")
        await wait_idle([bare.pid, server.pid])
        bare_empty, server_before_bare, store_before_bare = bare.rss(), server.rss(), server.store_bytes()
        progress(f"starting {n:,} bare workflows")
        began = time.monotonic()
        wake_at = datetime.now(UTC) + timedelta(days=1)
        ids = [f"bare-{run_id}-{i:05d}" for i in range(n)]
        await gather_limited(
            (
                stack.client.start_workflow("BareTimer", wake_at, id=i, task_queue=bare.task_queue)
                for i in ids
            ),
            concurrency,
        )
        await wait_idle([bare.pid, server.pid], timeout=600)
        bare_in = time.monotonic() - began
        bare_full, server_bare, store_bare = bare.rss(), server.rss(), server.store_bytes()
        bare_problems = await verify_bare(stack, ids, sample)

    cached = min(n, WORKER_CACHE)
    per_ticket, per_bare = (worker_full - worker_empty) / n, (bare_full - bare_empty) / n
    server_per_ticket = (server_tickets - server_empty) / n
    server_per_bare = (server_bare - server_before_bare) / n
    store_per_ticket = (store_tickets - store_empty) / n
    store_per_bare = (store_bare - store_before_bare) / n
    registered = (
        f"{n:,} started in {started_in:.1f}s, all dispatched and projected in {registered_in:.1f}s "
        f"({n / registered_in:.1f} tickets/s)"
    )
    per_cached_ticket = kib((worker_full - worker_empty) / cached)
    server_rss = f"empty {mib(server_empty)}, +tickets {mib(server_tickets)}, +bare {mib(server_bare)}"
    report(
        f"B3 open tickets (N={n:,})",
        [
            ("registration", registered),
            ("ticket worker RSS", f"empty {mib(worker_empty)}, with {n:,} open {mib(worker_full)}"),
            (
                "  per open ticket",
                f"{kib(per_ticket)}  ({per_cached_ticket} per cached workflow, {cached:,} cached)",
            ),
            ("dev server RSS", server_rss),
            ("  per open ticket", kib(server_per_ticket)),
            ("dev server store per ticket", kib(store_per_ticket)),
            ("tickets correct", "all" if not ticket_problems else f"NO: {ticket_problems[:5]}"),
        ],
    )
    per_cached_bare = kib((bare_full - bare_empty) / cached)
    report(
        f"baseline: bare workflows sleeping on a timer (N={n:,})",
        [
            ("started and armed in", f"{bare_in:.1f}s ({n / bare_in:.1f}/s)"),
            ("bare worker RSS", f"empty {mib(bare_empty)}, with {n:,} sleeping {mib(bare_full)}"),
            ("  per workflow", f"{kib(per_bare)}  ({per_cached_bare} per cached workflow)"),
            ("dev server RSS per workflow", kib(server_per_bare)),
            ("dev server store per workflow", kib(store_per_bare)),
            ("bare workflows armed", "all" if not bare_problems else f"NO: {bare_problems[:5]}"),
        ],
    )
    report(
        "ratio ticket / bare",
        [
            ("worker RSS per open workflow", ratio(per_ticket, per_bare)),
            ("dev server RSS per open workflow", ratio(server_per_ticket, server_per_bare)),
            ("dev server store per open workflow", ratio(store_per_ticket, store_per_bare)),
        ],
    )
    print(f"\nmachine at the end: {machine_summary()}")
    return 1 if ticket_problems or bare_problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.b3_open_tickets", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=10_000, help="open tickets (and bare workflows)")
    parser.add_argument("--concurrency", type=int, default=64, help="workflow starts in flight")
    parser.add_argument("--sample", type=int, default=200, help="tickets queried one by one to check them")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(run(args.n, args.concurrency, args.sample, args.keep)))


if __name__ == "__main__":
    main()
