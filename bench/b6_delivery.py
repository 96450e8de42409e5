"""B6: notices delivered to a loopback webhook — delivery lag and throughput against a bare loop of POSTs.

    .venv/bin/python -m bench.b6_delivery [--rate 50] [--seconds 60] [--tickets 50] [--backlog 3000] [--keep]

One dev server and app database (bench_stack), the dispatcher as its own process (`python -m operations
deliver`, the production code, configured only through HOTLINE_*), a unit's system as a loopback HTTP server
in this process. Events enter the outbox through the projection's own statements (activities/projection.py
`write_projection`, as a ticket's workflow writes them, one event and its notice per projection) at `--rate`
per second spread over `--tickets` tickets, for `--seconds`; no workflow runs, so the figures are the
dispatcher's alone (B1/B2 measure the workflows' side). Phase 1, paced: lag = receipt at the unit's system
minus the event's time, p50/p99. Phase 2, backlog: `--backlog` notices written at once, throughput until the
last arrives; the bare loop POSTs the same signed bodies from this process with the dispatcher's concurrency.
Goal (issue "Reach people"): p99 lag <= 2 s; backlog throughput >= 0.5x the bare loop.
`B6_TEMPORAL=127.0.0.1:9` (an address nobody answers) measures delivery without its reports to Temporal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.projection import write_projection
from bench.common import (
    Stack,
    WorkerProcess,
    bench_stack,
    lag_summary,
    machine_summary,
    progress,
    registration,
    report,
    until,
)
from bench.loopback import LoopbackServer, Request
from db.delivery_models import DeliveryChannelRow
from delivery import signing
from domain.rulesets import CITY
from domain.ticket import TicketState, TimelineEvent

UNIT = "U-B6"
CONCURRENCY = 64
GOAL_P99_SECONDS, GOAL_THROUGHPUT = 2.0, 0.5


class UnitSystem:
    """The unit's system: records when each delivery id first arrived (and how many came twice)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.first: dict[str, float] = {}
        self.repeats = 0

    async def handle(self, request: Request) -> tuple[int, bytes]:
        now = time.time()
        delivery_id = request.headers.get("webhook-id", "")
        if delivery_id in self.first:
            self.repeats += 1
        else:
            self.first[delivery_id] = now
        return 200, b"{}"


class Writer:
    """Tickets whose workflows would be projecting: each projection adds one event telling the unit."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], tickets: int) -> None:
        self.sessions = sessions
        run = uuid.uuid4().hex[:6]
        self.states = [
            TicketState(
                ticket_no=f"B6-{run}-{n:04d}", registration=registration(f"B6-{run}-{n:04d}"), rule_set=CITY
            )
            for n in range(tickets)
        ]
        self.written: dict[str, float] = {}  # notice id -> the event's time
        self._next = 0

    async def write(self, count: int = 1) -> None:
        """`count` events, one per ticket in turn, in one transaction (a projection writes one)."""
        async with self.sessions.begin() as session:
            conn = await session.connection()
            for _ in range(count):
                state = self.states[self._next % len(self.states)]
                self._next += 1
                now = datetime.now(UTC)
                event = TimelineEvent(
                    id=str(uuid.uuid4()),
                    seq=len(state.timeline) + 1,
                    at=now,
                    kind="signed_for",
                    actor="unit:U1",
                    notify=[f"unit:{UNIT}"],
                )
                state.timeline.append(event)
                state.revision += 1
                await write_projection(conn, state.model_copy(update={"timeline": [event]}))
                self.written[f"{event.id}:unit:{UNIT}"] = now.timestamp()


async def bare_loop(url: str, secret: str, count: int) -> float:
    """The same signed POSTs, `CONCURRENCY` at a time, from this process: requests per second."""
    bodies = [
        json.dumps({"type": "ticket.signed_for", "data": {"delivery_id": f"bare-{n}", "seq": n}}).encode()
        for n in range(count)
    ]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    async with httpx.AsyncClient(timeout=10) as http:

        async def sender() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                headers = signing.headers(secret, f"bare-{n}", int(time.time()), bodies[n])
                (await http.post(url, content=bodies[n], headers=headers)).raise_for_status()

        t0 = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        return count / (time.monotonic() - t0)


async def run(args: argparse.Namespace) -> None:
    async with bench_stack("b6", keep=args.keep) as stack:
        secret = signing.new_secret()
        unit = UnitSystem(secret)
        async with LoopbackServer(unit.handle) as server:
            await _set_webhook(stack, f"{server.url}/hooks", secret)
            dispatcher = _dispatcher(stack)
            dispatcher.start()
            writer = Writer(stack.sessions, args.tickets)
            # Warm-up: the dispatcher process is up and draining before the clock starts.
            await writer.write()
            warm = dict(writer.written)
            await until(lambda: _arrived(unit, warm), timeout=60, interval=0.1, what="the dispatcher up")
            writer.written.clear()

            progress(f"B6 phase 1: {args.rate}/s for {args.seconds}s over {args.tickets} tickets")
            t0 = time.monotonic()
            for n in range(int(args.rate * args.seconds)):
                await asyncio.sleep(max(0.0, t0 + n / args.rate - time.monotonic()))
                await writer.write()
            offered_for = time.monotonic() - t0
            paced = dict(writer.written)
            await until(lambda: _arrived(unit, paced), timeout=120, interval=0.2, what="phase 1 delivered")
            lags = [unit.first[i] - at for i, at in paced.items()]

            progress(f"B6 phase 2: a backlog of {args.backlog}")
            writer.written.clear()
            for _ in range(args.backlog // 100):
                await writer.write(100)
            backlog = dict(writer.written)
            await until(lambda: _arrived(unit, backlog), timeout=600, interval=0.2, what="backlog delivered")
            arrivals = sorted(unit.first[i] for i in backlog)
            drained = arrivals[-1] - arrivals[0]  # the drain rate, not the writer's
            dispatcher_rate = len(backlog) / drained
            dispatcher.stop()

            progress("B6 bare loop: the same POSTs from this process")
            bare_rate = await bare_loop(f"{server.url}/hooks", secret, args.backlog)

    summary = lag_summary(lags)
    ratio = dispatcher_rate / bare_rate
    report(
        "B6 delivery to a loopback webhook",
        [
            ("machine", machine_summary()),
            (
                "phase 1 offered",
                f"{len(paced)} events in {offered_for:.1f}s ({len(paced) / offered_for:.1f}/s)",
            ),
            ("lag p50 / p99 / max", f"{summary['p50']:.3f} / {summary['p99']:.3f} / {summary['max']:.3f} s"),
            ("backlog throughput", f"{dispatcher_rate:.1f}/s ({len(backlog)} notices in {drained:.1f}s)"),
            ("bare loop", f"{bare_rate:.1f}/s ({CONCURRENCY} in flight)"),
            ("ratio", f"{ratio:.2f}x"),
            ("repeated ids", str(unit.repeats)),
            ("goal", _verdict(summary["p99"], ratio)),
        ],
    )


def _verdict(p99: float, ratio: float) -> str:
    lag = "met" if p99 <= GOAL_P99_SECONDS else "NOT met"
    rate = "met" if ratio >= GOAL_THROUGHPUT else "NOT met"
    return f"p99 <= {GOAL_P99_SECONDS:g} s: {lag}; throughput >= {GOAL_THROUGHPUT}x: {rate}"


async def _arrived(unit: UnitSystem, written: dict[str, float]) -> bool:
    return all(i in unit.first for i in written)


async def _set_webhook(stack: Stack, url: str, secret: str) -> None:
    async with stack.sessions.begin() as session:
        session.add(
            DeliveryChannelRow(
                recipient=f"unit:{UNIT}", url=url, secret=secret, enabled=True, updated_at=datetime.now(UTC)
            )
        )


def _dispatcher(stack: Stack) -> WorkerProcess:
    env = {
        "HOTLINE_TEMPORAL_ADDRESS": os.environ.get("B6_TEMPORAL", stack.server.address),
        "HOTLINE_DATABASE_URL": stack.app_url,
        "HOTLINE_LOG_LEVEL": "WARNING",
        "HOTLINE_DELIVERY_CONCURRENCY": str(CONCURRENCY),
    }
    proc = WorkerProcess(
        [sys.executable, "-m", "operations", "deliver"], env, stack.folder / "deliver.log", "-"
    )
    stack.workers.append(proc)
    return proc


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.b6_delivery", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--rate", type=float, default=50.0, help="events per second in phase 1")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=3000, help="notices written at once in phase 2")
    parser.add_argument("--keep", action="store_true")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
