"""B4: a timer storm — N tickets whose sign-for limits fall at the same instant; card-change lag vs bare.

    .venv/bin/python -m bench.b4_timer_storm [--n 2000] [--in-flight 16] [--slack 1.5] [--margin 20]
        [--bare-shape instant|mirror] [--keep]

One dev server (SQLite file), the production worker (`python worker.py`) and a bare worker. The due
instants coincide although registration takes minutes: a sign-for limit in natural hours runs from the
dispatch instant (A22), so each ticket gets a one-off rule set (`b4-<run>-<n>`, captured at registration)
whose limit is the time left from its expected dispatch to the common instant T. Registration is paced
(at most `--in-flight` tickets not yet dispatched) so the dispatch delay stays close to the one measured
on a pilot batch first.

Card-change lag per ticket, two ways: (1) when the workflow saw its timer fire — the start of the
first workflow task after TimerFired in its history, i.e. the workflow.now() it acted at (the
card_changed event itself is stamped with the limit it crossed, A22, so its time carries no lag);
(2) when the read model showed the yellow card (the row's updated_at). Each minus the ticket's due
instant. Baseline: N `BareTimer` workflows armed to one instant (or, with --bare-shape mirror, to the
tickets' own offsets from T), lag = workflow.now() after the timer minus its instant.
Goal (issue 4): ticket lag <= 1.5 x bare lag at p50, p99 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bench.common import (
    Stack,
    bench_stack,
    dispatched_count,
    gather_limited,
    lag_summary,
    machine_summary,
    progress,
    registration,
    report,
    start_ticket,
    timer_observed_at,
    tiny_rule_set,
    until,
    wait_dispatched,
    wait_idle,
)
from db.models import TicketRow, TimelineEventRow
from db.seed import load_rule_set
from domain.vocabulary import Card

GOAL = 1.5


# A limit shorter than this may pass before the ticket's timer is even armed.
MIN_LIMIT_SECONDS = 5.0


class Behind(Exception):
    """The tickets could not all be registered before their common limit: the storm would be smeared."""


@dataclass
class TicketStorm:
    registered_in: float
    rate: float  # pilot tickets per second, paced
    delay: float  # pilot: seconds from start to dispatch
    headroom: float  # seconds left before the storm when registration ended
    storm_at: datetime
    offsets: list[float]  # each due instant, seconds from storm_at
    seen_lags: list[float]  # the workflow saw its timer fire, minus the due instant
    row_lags: list[float]  # the read model showed the yellow card, minus the due instant
    problems: list[str] = field(default_factory=list)


@dataclass
class BareStorm:
    rate: float
    headroom: float
    lags: list[float]


async def register_paced(
    stack: Stack,
    task_queue: str,
    numbers: Sequence[str],
    in_flight: int,
    limit_for: dict[str, datetime] | None = None,
    delay: float = 0.0,
) -> dict[str, datetime]:
    """Start tickets with at most `in_flight` not yet dispatched; return when each was started.

    With `limit_for`, ticket n gets its own rule set whose sign-for limit ends at `limit_for[n]`, counted
    from its expected dispatch (now + `delay` seconds).
    """
    prefix = _common_prefix(numbers)
    started: dict[str, datetime] = {}
    done = 0
    while len(started) < len(numbers):
        done = await dispatched_count(stack.sessions, prefix)
        while len(started) < len(numbers) and len(started) - done < in_flight:
            ticket_no = numbers[len(started)]
            rule_set_id = None
            if limit_for is not None:
                seconds = (limit_for[ticket_no] - datetime.now(UTC)).total_seconds() - delay
                if seconds < MIN_LIMIT_SECONDS:
                    raise Behind(
                        f"registration fell behind the storm instant after {len(started):,} of "
                        f"{len(numbers):,} tickets (the machine is slower or busier than the pilot "
                        f"measured): raise --slack or --margin, or rerun on a quieter machine"
                    )
                rule_set_id = ticket_no.lower()
                await load_rule_set(stack.sessions, tiny_rule_set(rule_set_id, seconds))
            started[ticket_no] = datetime.now(UTC)
            await start_ticket(stack.client, task_queue, registration(ticket_no, rule_set_id=rule_set_id))
        await asyncio.sleep(0.05)
    return started


def _common_prefix(numbers: Sequence[str]) -> str:
    first = numbers[0]
    return first[: first.rindex("-") + 1]


async def dispatch_delays(stack: Stack, started: dict[str, datetime]) -> list[float]:
    """Seconds from each start call to the ticket's `dispatched` event (its limits' anchor)."""
    async with stack.sessions() as session:
        rows = (
            await session.execute(
                select(TimelineEventRow.ticket_no, TimelineEventRow.at).where(
                    TimelineEventRow.ticket_no.in_(list(started)), TimelineEventRow.kind == "dispatched"
                )
            )
        ).all()
    return [(at - started[no]).total_seconds() for no, at in rows]


async def ticket_storm(
    stack: Stack, run_id: str, n: int, in_flight: int, slack: float, margin: float
) -> TicketStorm:
    worker = await stack.ticket_worker(f"b4-tickets-{run_id}")
    await wait_idle([worker.pid, stack.server.pid])

    # Pilot: the pace and the dispatch delay of paced registration on this machine, now.
    pilot = [f"B4P-{run_id}-{i:04d}" for i in range(max(2 * in_flight, 20))]
    began = time.monotonic()
    started = await register_paced(stack, worker.task_queue, pilot, in_flight)
    await wait_dispatched(stack.sessions, _common_prefix(pilot), len(pilot), timeout=300)
    rate = len(pilot) / (time.monotonic() - began)
    delay = statistics.median(await dispatch_delays(stack, started))
    await wait_idle([worker.pid, stack.server.pid])

    storm_at = datetime.now(UTC) + timedelta(seconds=slack * n / rate + margin)
    progress(
        f"pilot: {rate:.1f} tickets/s, dispatch {delay:.2f}s after start; registering {n:,} tickets "
        f"due at {storm_at:%H:%M:%S}"
    )
    numbers = [f"B4-{run_id}-{i:05d}" for i in range(n)]
    began = time.monotonic()
    await register_paced(
        stack, worker.task_queue, numbers, in_flight, dict.fromkeys(numbers, storm_at), delay
    )
    prefix = _common_prefix(numbers)
    await wait_dispatched(stack.sessions, prefix, n, timeout=max(300.0, n))
    registered_in = time.monotonic() - began
    headroom = (storm_at - datetime.now(UTC)).total_seconds()
    if headroom < 0:
        progress(f"WARNING: registration ended {-headroom:.0f}s after the storm instant; raise --slack")

    async def all_yellow() -> bool:
        async with stack.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(TicketRow)
                .where(TicketRow.ticket_no.like(f"{prefix}%"), TicketRow.card == Card.YELLOW.value)
            )
        return count == n

    progress(f"waiting for the storm at {storm_at:%H:%M:%S}")
    await until(
        all_yellow, timeout=max(0.0, headroom) + max(600.0, n * 0.5), interval=1.0, what=f"{n} cards yellow"
    )
    await wait_idle([worker.pid, stack.server.pid], timeout=600)

    async with stack.sessions() as session:
        rows = (
            await session.execute(
                select(
                    TicketRow.ticket_no, TicketRow.sign_for_due_at, TicketRow.updated_at, TimelineEventRow.at
                )
                .join(TimelineEventRow, TimelineEventRow.ticket_no == TicketRow.ticket_no)
                .where(TicketRow.ticket_no.like(f"{prefix}%"), TimelineEventRow.kind == "card_changed")
            )
        ).all()
    problems = []
    if len(rows) != n or len({r.ticket_no for r in rows}) != n:
        problems.append(
            f"{len(rows)} card_changed events for {len({r.ticket_no for r in rows})} of {n} tickets"
        )
    if any(r.at != r.sign_for_due_at for r in rows):
        problems.append("a card_changed event is not stamped with the limit it crossed (A22)")
    dues = [r.sign_for_due_at for r in rows]
    worker.stop()  # the baseline storm runs alone

    # When each workflow saw its timer fire: the first workflow task after it (its workflow.now()).
    progress("reading when each ticket saw its timer (histories)")
    observed = await gather_limited(
        (timer_observed_at(stack.client, f"ticket-{r.ticket_no}") for r in rows), 16
    )
    seen_lags = [
        (seen[0] - r.sign_for_due_at).total_seconds() for r, seen in zip(rows, observed, strict=True) if seen
    ]
    if len(seen_lags) != len(rows):
        problems.append(f"{len(rows) - len(seen_lags)} tickets show no fired timer")
    return TicketStorm(
        registered_in=registered_in,
        rate=rate,
        delay=delay,
        headroom=headroom,
        storm_at=storm_at,
        offsets=[(d - storm_at).total_seconds() for d in dues],
        seen_lags=seen_lags,
        row_lags=[(r.updated_at - r.sign_for_due_at).total_seconds() for r in rows],
        problems=problems,
    )


async def bare_storm(
    stack: Stack, run_id: str, offsets: Sequence[float], concurrency: int, slack: float, margin: float
) -> BareStorm:
    """Bare timers to `wake_at + offset` for each offset: all zeros is one instant, the tickets' offsets is
    a storm of the same shape."""
    n = len(offsets)
    worker = await stack.bare_worker(f"b4-bare-{run_id}")
    await wait_idle([worker.pid, stack.server.pid])
    # Pilot: how fast bare workflows start and arm their timers here.
    began = time.monotonic()
    pilot = await gather_limited(
        (
            stack.client.start_workflow(
                "BareTimer",
                datetime.now(UTC),
                id=f"bare-pilot-{run_id}-{i}",
                task_queue=worker.task_queue,
                result_type=datetime,
            )
            for i in range(50)
        ),
        concurrency,
    )
    await gather_limited((h.result() for h in pilot), concurrency)
    rate = 50 / (time.monotonic() - began)

    wake_at = datetime.now(UTC) + timedelta(seconds=slack * n / rate + margin)
    progress(f"bare pilot: {rate:.1f}/s; arming {n:,} bare timers for {wake_at:%H:%M:%S}")
    wakes = [wake_at + timedelta(seconds=offset) for offset in offsets]
    handles = await gather_limited(
        (
            stack.client.start_workflow(
                "BareTimer",
                wake,
                id=f"bare-{run_id}-{i:05d}",
                task_queue=worker.task_queue,
                result_type=datetime,
            )
            for i, wake in enumerate(wakes)
        ),
        concurrency,
    )
    await wait_idle([worker.pid, stack.server.pid], timeout=600)
    headroom = (min(wakes) - datetime.now(UTC)).total_seconds()
    if headroom < 0:
        progress(f"WARNING: bare timers armed {-headroom:.0f}s after their instant; raise --slack")
    woke: list[datetime] = await gather_limited((h.result() for h in handles), concurrency)
    worker.stop()
    return BareStorm(
        rate=rate, headroom=headroom, lags=[(w - t).total_seconds() for w, t in zip(woke, wakes, strict=True)]
    )


def _ratios(ticket: dict[str, float], bare: dict[str, float]) -> str:
    ratios = {k: ticket[k] / bare[k] if bare[k] > 0 else float("inf") for k in bare}
    verdict = "met" if all(r <= GOAL for r in ratios.values()) else "NOT met"
    return "  ".join(f"{k} {v:.2f}x" for k, v in ratios.items()) + f"  ({verdict})"


def _fmt(summary: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:7.2f}s" for k, v in summary.items())


async def run(
    n: int, in_flight: int, concurrency: int, slack: float, margin: float, bare_shape: str, keep: bool
) -> int:
    shape = "to one instant" if bare_shape == "instant" else "at the tickets' due offsets"
    print(f"B4: a timer storm of {n:,} tickets' sign-for limits, against {n:,} bare timers {shape}")
    print(f"machine: {machine_summary()}")
    run_id = uuid.uuid4().hex[:6]
    async with bench_stack("b4", keep=keep) as stack:
        try:
            tickets = await ticket_storm(stack, run_id, n, in_flight, slack, margin)
        except Behind as err:
            print(f"\nB4 not measured: {err}")
            return 2
        offsets = tickets.offsets if bare_shape == "mirror" else [0.0] * n
        bare = await bare_storm(stack, run_id, offsets, concurrency, slack, margin)

    seen, row, base = lag_summary(tickets.seen_lags), lag_summary(tickets.row_lags), lag_summary(bare.lags)
    early, late = (min(tickets.offsets), max(tickets.offsets)) if tickets.offsets else (0.0, 0.0)
    registered = (
        f"{n:,} in {tickets.registered_in:.1f}s (pilot {tickets.rate:.1f}/s, dispatch {tickets.delay:.2f}s "
        f"after start); {tickets.headroom:.0f}s to spare before the storm"
    )
    checks = (
        "one card_changed per ticket, stamped with its limit"
        if not tickets.problems
        else f"NO: {tickets.problems}"
    )
    report(
        f"B4 timer storm, tickets (N={n:,})",
        [
            ("registration", registered),
            ("due instants", f"{early:+.2f}s .. {late:+.2f}s around {tickets.storm_at:%H:%M:%S}"),
            ("lag, workflow saw the timer", _fmt(seen)),
            ("lag, read model shows yellow", _fmt(row)),
            ("checks", checks),
        ],
    )
    report(
        f"baseline: bare timers {shape} (N={n:,})",
        [
            ("armed", f"{bare.headroom:.0f}s to spare (pilot {bare.rate:.1f}/s)"),
            ("lag, workflow saw the timer", _fmt(base)),
        ],
    )
    report(
        f"ratio ticket / bare (goal <= {GOAL}x)",
        [
            ("workflow saw the timer", _ratios(seen, base)),
            ("read model shows yellow", _ratios(row, base)),
        ],
    )
    print(f"\nmachine at the end: {machine_summary()}")
    return 1 if tickets.problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.b4_timer_storm", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--n", type=int, default=2_000, help="tickets in the storm (and bare timers)")
    parser.add_argument("--in-flight", type=int, default=16, help="tickets registering at once (pacing)")
    parser.add_argument("--concurrency", type=int, default=64, help="bare workflow starts in flight")
    parser.add_argument(
        "--slack",
        type=float,
        default=1.5,
        help="registration time allowed, as a multiple of the pilot's pace",
    )
    parser.add_argument("--margin", type=float, default=20.0, help="seconds added before each storm")
    parser.add_argument(
        "--bare-shape",
        choices=["instant", "mirror"],
        default="instant",
        help="bare timers all to one instant, or at the tickets' own offsets from it (the same storm shape)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args()
    raise SystemExit(
        asyncio.run(
            run(args.n, args.in_flight, args.concurrency, args.slack, args.margin, args.bare_shape, args.keep)
        )
    )


if __name__ == "__main__":
    main()
