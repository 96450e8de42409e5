"""A24 「自收到满意度评价信息之日起24小时内」 on the time-skipping server: where the hotline sends the rating request
by message, its 24 hours run from the receipt the delivery dispatcher reports (the `delivery_reported` signal,
as delivery/ sends it), not from the closure's approval; an undeliverable request is called back, never read
as basically satisfied."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.commands import Rate, Review, SignFor
from domain.delivery import DeliveryReport, DeliveryStatus
from domain.ticket import TicketState
from domain.vocabulary import RatingOption, Stage
from tests.driver import OPERATOR, Hotline, unit
from worker import build_worker
from workflows.ticket import TicketWorkflow


@pytest.fixture
async def by_message(
    ts_env: WorkflowEnvironment, session_maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Hotline]:
    """A hotline whose rating requests go by SMS (an SMS gateway is configured)."""
    task_queue = f"rating-by-message-{uuid.uuid4()}"
    async with build_worker(ts_env.client, session_maker, task_queue, rating_by_message=True):
        yield Hotline(ts_env, task_queue, session_maker)


async def rating_requested(hotline: Hotline) -> tuple[WorkflowHandle[Any, Any], TicketState]:
    h = await hotline.register(dispatch_to="U1")
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    s = await hotline.inform_requester(h)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert s.stage == Stage.RATING and s.ratings[-1].awaiting_receipt
    return h, s


def report(s: TicketState, status: DeliveryStatus, at: Any, recipient: str = "requester") -> DeliveryReport:
    [request] = [e for e in s.timeline if e.kind == "rating_requested"]
    return DeliveryReport(
        event_id=request.id,
        recipient=recipient,
        delivery_id=f"{request.id}:{recipient}",
        status=status,
        at=at,
    )


async def test_a24_the_rating_window_runs_from_the_receipt_of_the_request(by_message: Hotline) -> None:
    hotline = by_message
    h, s = await rating_requested(hotline)
    # The gateway is slow: 30 hours pass before the request reaches the requester. Nothing is defaulted.
    await hotline.env.sleep(timedelta(hours=30))
    assert (await hotline.state(h)).stage == Stage.RATING
    # Another recipient's report of the same event, or another event's, changes nothing.
    await h.signal(
        TicketWorkflow.delivery_reported, report(s, DeliveryStatus.SENT, await hotline.now(), "hotline")
    )
    reached = await hotline.now()
    await h.signal(TicketWorkflow.delivery_reported, report(s, DeliveryStatus.SENT, reached))
    s = await hotline.until(h, lambda s: s.ratings[-1].reached_at is not None)
    assert s.ratings[-1].expires_at == reached + timedelta(hours=24)
    [received] = [e for e in s.timeline if e.kind == "rating_request_received"]
    assert (received.rule, received.notify) == ("A24", [])
    # 23 hours after the receipt the requester can still rate; the window then closes at receipt + 24 h.
    await hotline.env.sleep(timedelta(hours=23))
    assert (await hotline.state(h)).stage == Stage.RATING
    await hotline.env.sleep(timedelta(hours=2))
    s = await hotline.until(h, lambda s: s.stage == Stage.CONCLUDED)
    [defaulted] = [e for e in s.timeline if e.kind == "rating_defaulted"]
    assert defaulted.at == reached + timedelta(hours=24)
    assert (
        s.ratings[-1].handling is not None
        and s.ratings[-1].handling.option == RatingOption.BASICALLY_SATISFIED
    )


async def test_a24_the_requester_may_rate_before_the_receipt_is_reported(by_message: Hotline) -> None:
    hotline = by_message
    h, _ = await rating_requested(hotline)
    await hotline.env.sleep(timedelta(hours=30))
    s = await hotline.act(h, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))
    assert s.stage == Stage.CONCLUDED and s.ratings[-1].rated_at is not None


async def test_a24_an_undeliverable_rating_request_is_flagged_and_called_back_not_defaulted(
    by_message: Hotline,
) -> None:
    hotline = by_message
    h, s = await rating_requested(hotline)
    await h.signal(
        TicketWorkflow.delivery_reported, report(s, DeliveryStatus.DEAD_LETTERED, await hotline.now())
    )
    s = await hotline.until(h, lambda s: s.stage == Stage.CALLBACK)
    kinds = [e.kind for e in s.timeline]
    assert kinds[-2:] == ["rating_request_undeliverable", "callback_due"]
    assert s.timeline[-2].notify == ["hotline"] and s.ratings[-1].undeliverable
    await hotline.env.sleep(timedelta(days=3))
    s = await hotline.state(h)
    assert s.stage == Stage.CALLBACK and "rating_defaulted" not in [e.kind for e in s.timeline]
    assert s.ratings[-1].handling is None


async def test_a24_without_messages_the_window_runs_from_the_request(hotline: Hotline) -> None:
    """No SMS gateway: the request is made as the closure is approved (the operator, the page), and its
    24 hours run from then, as before."""
    h = await hotline.register(dispatch_to="U1")
    await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    s = await hotline.inform_requester(h)
    await hotline.act(h, TicketWorkflow.apply_closure, hotline.closure(s))
    s = await hotline.act(h, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    assert not s.ratings[-1].awaiting_receipt
    await hotline.env.sleep(timedelta(hours=25))
    s = await hotline.until(h, lambda s: s.stage == Stage.CONCLUDED)
    assert [e.kind for e in s.timeline if e.kind.startswith("rating_")] == [
        "rating_requested",
        "rating_defaulted",
    ]
