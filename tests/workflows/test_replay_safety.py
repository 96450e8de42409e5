"""Every workflow task replayed from history (a worker with no cache) while updates interleave with the
projection activity and the boundary timers: no nondeterminism, every ticket finishes, and each history
replays cleanly — A22 timers, A20 closure, A24 rating. (The intermittent sdk-rust#1146 replay failure that
made the workflow stop cancelling timers showed up in about 1 run in 4 of a similar scenario; this test
did not reproduce it on the old code in two runs, so it guards replay safety in general, not that bug.)"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.worker import Replayer

from domain.commands import Rate, Review, SignFor
from domain.vocabulary import Stage
from tests.driver import OPERATOR, Hotline, unit
from worker import WORKFLOWS, build_worker
from workflows.converter import demo_data_converter
from workflows.ticket import TicketWorkflow


async def _one_ticket(hotline: Hotline) -> str:
    h = await hotline.register()
    s = await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    await hotline.inform_requester(h)
    s = await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))
    assert s.stage == Stage.CONCLUDED
    return h.id


@pytest.mark.parametrize("strict_sandbox", [True, False], ids=["strict sandbox", "production sandbox"])
async def test_updates_interleaved_with_projection_replay_cleanly_without_a_cache(
    hotline: Hotline, strict_sandbox: bool
) -> None:
    """Both sandboxes: the strict one the tests use, and the production worker's, which imports the workflow
    modules once (worker.py workflow_runner): every workflow task here builds a fresh instance from it."""
    queue = f"no-cache-{uuid.uuid4()}"
    no_cache = Hotline(hotline.env, queue, hotline.session_maker)
    async with build_worker(
        hotline.client, hotline.session_maker, queue, max_cached_workflows=0, strict_sandbox=strict_sandbox
    ):
        # Four tickets at once per sandbox: enough for updates, local projections and timers to interleave;
        # without a cache every workflow task replays the whole history (~70 s for eight, here).
        ids = await asyncio.wait_for(asyncio.gather(*(_one_ticket(no_cache) for _ in range(4))), timeout=120)
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=demo_data_converter())
    for workflow_id in ids:
        history = await hotline.client.get_workflow_handle(workflow_id).fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, (workflow_id, result.replay_failure)
