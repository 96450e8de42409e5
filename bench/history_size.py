"""History size: bytes of history per action, flat as actions accumulate (issue 17, SLIM_RESULT).

    .venv/bin/python -m bench.history_size [--actions 40]

The time-skipping server, the production worker and a SQLite read model (tests/replay/record.py's
`fresh_hotline`). One ticket is dispatched, signed for, then acted on `--actions` times in all (a contact
attempt, a supervision order issued, then answered, in turn). After each action the history is fetched and
measured as Temporal counts it (its events as protobuf, what `historySizeBytes` reports). The baseline in the
same run: the whole TicketState after each action, as the `state` query returns it, which is what an update
recorded in history before SLIM_RESULT (workflows/patches.py) on top of the same events. Then the
extension-and-redo life (tests/replay/record.py `extended_and_redone`, 14 actions) is recorded afresh and
measured three ways: Temporal's bytes, `json.dumps` of its JSON export (the issue's measure), and the file
`python -m tests.replay.record` writes (indented).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from bench.common import machine_summary
from domain.commands import AnswerSupervisionOrder, ContactAttempt, IssueSupervisionOrder, SignFor
from domain.rulesets import Period
from domain.vocabulary import SupervisionKind
from tests.driver import OPERATOR, Hotline, unit
from tests.replay.record import extended_and_redone, fresh_hotline, record_scenario
from workflows.converter import demo_data_converter
from workflows.ticket import TicketWorkflow


async def history_bytes(handle: WorkflowHandle[Any, Any]) -> int:
    return sum(e.ByteSize() for e in (await handle.fetch_history()).events)


async def state_bytes(handle: WorkflowHandle[Any, Any]) -> int:
    """The whole state as an update answered it before SLIM_RESULT: encoded by the same converter."""
    state = await handle.query(TicketWorkflow.state)
    [payload] = await demo_data_converter().encode([state])
    return payload.ByteSize()


async def act(hotline: Hotline, h: WorkflowHandle[Any, Any], n: int) -> str:
    """The n-th action after the sign-for: a contact attempt, an order issued, the order answered."""
    orders = n // 3 + 1
    match n % 3:
        case 0:
            at = await hotline.now()
            await hotline.act(
                h, TicketWorkflow.record_contact, ContactAttempt(actor=unit("U1"), at=at, reached=False)
            )
            return "record_contact"
        case 1:
            order = IssueSupervisionOrder(
                actor=OPERATOR, kind=SupervisionKind.URGE, reason="请尽快处置", respond_within=Period(hours=4)
            )
            await hotline.act(h, TicketWorkflow.issue_supervision_order, order)
            return "issue_supervision_order"
        case _:
            answer = AnswerSupervisionOrder(actor=unit("U1"), order_id=f"S{orders}", answer="已派员到场")
            await hotline.act(h, TicketWorkflow.answer_supervision_order, answer)
            return "answer_supervision_order"


async def per_action(actions: int) -> None:
    async with fresh_hotline() as hotline:
        h = await hotline.register(ticket_no="BENCH-HISTORY-SIZE", dispatch_to="U1")
        print(f"{'#':>3} {'action':<26} {'history B':>10} {'+B/action':>10} {'whole state B':>14}")
        size = await history_bytes(h)
        print(f"{0:>3} {'(registered, dispatched)':<26} {size:>10}")
        added: list[int] = []
        states: list[int] = []
        for n in range(actions):
            if n == 0:
                await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
                name = "sign_for"
            else:
                name = await act(hotline, h, n - 1)
            now = await history_bytes(h)
            added.append(now - size)
            states.append(await state_bytes(h))
            size = now
            print(f"{n + 1:>3} {name:<26} {size:>10} {added[-1]:>10} {states[-1]:>14}")
        half = len(added) // 2
        first, last = statistics.mean(added[1:half]), statistics.mean(added[half:])
        print(
            f"\nbytes added per action: first half mean {first:.0f} B, second half {last:.0f} B "
            f"(x{last / first:.2f}: flat); the whole state grew {states[0]} -> {states[-1]} B "
            f"(x{states[-1] / states[0]:.2f}), which each answer recorded before SLIM_RESULT"
        )


async def extension_and_redo() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        [path] = await record_scenario("BENCH-EXTENSION-REDO", extended_and_redone, Path(tmp))
        text = path.read_text()
        exported = json.loads(text)
        from temporalio.client import WorkflowHistory

        history = WorkflowHistory.from_json(path.stem, text)
        proto = sum(e.ByteSize() for e in history.events)
        print(
            f"\nextension-and-redo life (14 actions): Temporal history {proto / 1000:.1f} KB, "
            f"json.dumps of its export {len(json.dumps(exported)) / 1000:.1f} KB, "
            f"indented file {len(text) / 1000:.1f} KB, {len(history.events)} events"
        )


async def run(args: argparse.Namespace) -> None:
    print(machine_summary())
    await per_action(args.actions)
    await extension_and_redo()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=40)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
