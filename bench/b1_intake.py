"""B1 intake: tickets registered through the API per second vs bare Temporal workflow starts per second.

    .venv/bin/python -m bench.b1_intake [--concurrency 16] [--requests 500] [--rounds 5] [--dispatch]
                                        [--no-profile] [--no-bytecode-cache] [--keep]

One run, one dev server (bench/api_support.py `service_stack`): the real worker (`python worker.py`), the
API under uvicorn, SQLite app database. Measured, each at the same concurrency from this one client process:

* bare: `start_workflow` of a trivial workflow (BareTicket, its own worker process with the same defaults)
  and an update that answers once its first (trivial) activity is done: started and opened;
* api: `POST /tickets` (operator token, an Idempotency-Key each), which answers once the ticket's workflow
  has started and opened it (the `opened` update: the `open_ticket` activity done; with `--dispatch` also
  dispatched to a unit, i.e. `plan_deadlines` done too);
* direct (profile): the API's own Temporal calls (api.temporal.TemporalGateway start_ticket +
  opened_state) without HTTP, auth or SQL: what the ticket workflow costs compared with the bare one.

The phases alternate in `--rounds` slices (the machine may be shared; a drift in its load then weighs on
all of them alike). Goal (issue 4): api rate >= 0.8 x bare rate. The profile reports CPU time per request
of each process (until the work a slice left behind is done) and splits median latencies by the server's
history (before the workflow started / start to first activity done / to opened / after).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bench.api_support import (
    Phase,
    Run,
    Service,
    api_bench_stack,
    bare_start_opened,
    bench_main,
    bench_parser,
    cpu_rows,
    drive,
    header_rows,
    history_marks,
    http_error,
    interleaved,
    median_ms,
    registration_body,
    report,
    stamp,
    ticket_workflow_id,
)
from bench.common import progress

GOAL = 0.8


async def breakdown(svc: Service, run: Run, workflow_ids: dict[str, str], size: int) -> list[tuple[str, str]]:
    """Median split of a sample of calls by the workflow's history."""
    before, to_activity, to_opened, after = [], [], [], []
    for sample in run.ok[:: max(1, len(run.ok) // size)][:size]:
        marks = await history_marks(svc.client, workflow_ids[sample.item])
        opened = marks.updates.get("opened", (None, None))[1]
        if marks.first_activity_done is None or opened is None:
            continue
        before.append(marks.started - sample.sent)
        to_activity.append(marks.first_activity_done - marks.started)
        to_opened.append(opened - marks.first_activity_done)
        after.append(sample.done - opened)
    return [
        ("  call sent -> workflow started", median_ms(before)),
        ("  started -> first activity completed", median_ms(to_activity)),
        ("  first activity -> `opened` update completed", median_ms(to_opened)),
        ("  `opened` completed -> answer received", median_ms(after)),
    ]


async def run(args: argparse.Namespace) -> None:
    n, c, warm = args.requests, args.concurrency, args.warmup
    async with api_bench_stack("b1", args) as bench:
        svc = bench.svc
        workflow_ids: dict[str, str] = {}
        async with svc.http(c) as http:

            async def register(item: str) -> str | None:
                headers = svc.auth("operator") | {"Idempotency-Key": item}
                body = registration_body(dispatch=args.dispatch)
                response = await http.post("/tickets", json=body, headers=headers)
                if (error := http_error(response, 201)) is not None:
                    return error
                created = response.json()
                workflow_ids[item] = created["workflow_id"]
                return None if created.get("ticket") else "201 without the opened ticket"

            async def bare(item: str) -> str | None:
                workflow_ids[item] = item
                await bare_start_opened(svc.client, bench.bare_queue, item)
                return None

            direct = direct_caller(svc, args.dispatch, workflow_ids)
            tag = uuid.uuid4().hex[:6]
            progress(f"warm-up: {warm} of each")
            await drive("warm-up", [f"w-{tag}-{i}" for i in range(warm)], register, c)
            await drive("warm-up", [f"bw-{tag}-{i}" for i in range(warm)], bare, c)
            await drive("warm-up", [f"dw{tag}{i:05d}" for i in range(warm)], direct, c)
            phases = [
                Phase("bare", [f"b-{tag}-{i}" for i in range(n)], bare),
                Phase("api", [f"a-{tag}-{i}" for i in range(n)], register),
            ]
            if args.profile:
                phases.append(Phase("direct", [f"d{tag}{i:05d}" for i in range(n)], direct))
            results = await interleaved(phases, bench.pids, c, args.rounds)

        bare_run, api_run = results["bare"].run, results["api"].run
        tickets = (
            "tickets registered and dispatched" if args.dispatch else "tickets registered, not dispatched"
        )
        rows = header_rows(args, tickets)
        rows.append(("bare starts (started+opened)", bare_run.line()))
        rows.append(("API registrations", api_run.line()))
        if "direct" in results:
            rows.append(("direct (gateway, no HTTP)", results["direct"].run.line()))
        ratio = api_run.rate / bare_run.rate if bare_run.rate else float("nan")
        verdict = "met" if ratio >= GOAL else f"MISSED by {(GOAL - ratio) / GOAL:.0%} of the goal"
        rows.append(("ratio api/bare rate", f"{ratio:.2f}x (goal >= {GOAL}x: {verdict})"))
        rows.append(
            (
                "p50, p99 ratio api/bare",
                f"{api_run.ms(50) / bare_run.ms(50):.2f}x, {api_run.ms(99) / bare_run.ms(99):.2f}x",
            )
        )
        if args.profile:
            rows += cpu_rows(results)
            for label, measured in results.items():
                rows.append((f"median split, {label} ({min(args.sample, len(measured.run.ok))} calls)", ""))
                rows += await breakdown(svc, measured.run, workflow_ids, args.sample)
        report(f"B1 intake ({datetime.now(UTC):%Y-%m-%d} {stamp()} UTC)", rows)


def direct_caller(
    svc: Service, dispatch: bool, workflow_ids: dict[str, str]
) -> Callable[[str], Awaitable[str | None]]:
    """The API's own two Temporal calls for a registration, from this process (no HTTP, auth or SQL)."""
    from api.temporal import TemporalGateway
    from bench.api_support import UNIT
    from config import Settings
    from domain.commands import Actor, Registration, Requester
    from domain.vocabulary import ActorKind, Category, Channel

    settings = Settings(temporal_address=svc.server.address, task_queue=svc.task_queue)
    gateway = TemporalGateway(settings, svc.client)
    operator = Actor(kind=ActorKind.OPERATOR, id=f"cred-{svc.credential_id('operator')}", name="bench")

    async def call(item: str) -> str | None:
        registration = Registration(
            ticket_no=item,
            channel=Channel.PHONE,
            category=Category.COMPLAINT,
            requester=Requester(name="李华", phone="13800000000"),
            content="解放路路灯连续一周不亮，夜间行人摔倒。",
            request_points=["修复解放路路灯", "说明维修时限"],
            location="武江区解放路 88 号",
            received_at=datetime.now(UTC),
            registered_by=operator,
            dispatch_to=UNIT if dispatch else None,
        )
        workflow_ids[item] = ticket_workflow_id(item)
        await gateway.start_ticket(registration)
        state = await gateway.opened_state(item)
        return None if state is not None else "not opened in time"

    return call


def main() -> None:
    parser = bench_parser("python -m bench.b1_intake", __doc__)
    parser.add_argument("--dispatch", action="store_true", help="register with dispatch_to (2 activities)")
    bench_main(parser, run)


if __name__ == "__main__":
    main()
