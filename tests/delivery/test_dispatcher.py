"""The outbox drained to loopback recipients: real tickets (time-skipping server, real worker, SQLite) fill
`notices`; the dispatcher sends each to a unit's webhook, the duty webhook or the requester's SMS gateway.

Each notice arrives once with a stable id (the notice id), signed (Standard Webhooks); a ticket's notices
reach a recipient in order; a recipient down for its first tries gets them afterwards with the same ids;
one never reachable is dead-lettered past its limit and the next notice follows; emergency lines' notices
are held, not dead-lettered; every outcome is recorded and signalled to the ticket's workflow.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from temporalio.client import WorkflowHandle

from bench.common import until
from domain.commands import NotAccept, Rate, Review, SignFor
from domain.delivery import DeliveryReport, DeliveryStatus
from domain.vocabulary import Category, NotAcceptedReason
from tests.delivery.support import (
    HttpGateway,
    Receiver,
    all_settled,
    deliveries,
    dispatching,
    fast_settings,
    notices,
    serving,
    set_webhook,
)
from tests.driver import OPERATOR, Hotline, unit
from workflows.converter import demo_data_converter
from workflows.ticket import TicketWorkflow


async def closed_and_rated(hotline: Hotline) -> WorkflowHandle[Any, Any]:
    """A ticket through A20/A24: dispatched to U1, signed for, requester told, closed, rated."""
    handle = await hotline.register(dispatch_to="U1")
    await hotline.act(handle, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
    state = await hotline.inform_requester(handle)
    await hotline.act(handle, TicketWorkflow.apply_closure, hotline.closure(state))
    await hotline.act(handle, TicketWorkflow.review_closure, Review(actor=OPERATOR, approve=True))
    await hotline.act(handle, TicketWorkflow.rate, Rate(acceptance=["satisfied"], handling=["satisfied"]))
    return handle


def in_order(receiver: Receiver) -> bool:
    """Per ticket and recipient, first arrivals come in the order of the ticket's events (webhooks)."""
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    first: set[str] = set()
    for a in receiver.arrivals:
        if a.delivery_id not in first:
            first.add(a.delivery_id)
            data = a.body["data"]
            seen[(data["ticket_no"], data["recipient"])].append(int(data["seq"]))
    return all(seqs == sorted(seqs) for seqs in seen.values())


async def test_each_notice_arrives_once_with_its_id_in_order(hotline: Hotline) -> None:
    unit_system, duty, gateway = Receiver(), Receiver(), HttpGateway()
    async with serving(unit_system, duty, gateway):
        await set_webhook(hotline.session_maker, "U1", unit_system)
        settings = fast_settings(
            duty_webhook_url=duty.url + "/duty",
            duty_webhook_secret=duty.secret,
            sms_provider="http",
            sms_http_url=gateway.url + "/sms",
        )
        closed = await closed_and_rated(hotline)
        refused = await hotline.register(Category.CONSULTATION, dispatch_to=None)
        await hotline.act(
            refused,
            TicketWorkflow.not_accept,
            NotAccept(actor=OPERATOR, reason=NotAcceptedReason.OUTSIDE_JURISDICTION, basis="《细则》第十条"),
        )
        linked = await hotline.register(dispatch_to="U1", emergency=True, linkage=["110"])
        async with dispatching(settings, hotline.session_maker, hotline.client):
            rows = await all_settled(hotline.session_maker, client=hotline.client)

            async def all_reported() -> bool:
                return all(d.reported for d in (await deliveries(hotline.session_maker)).values())

            await until(all_reported, timeout=30, what="every outcome reported")

    by_recipient: dict[str, set[str]] = defaultdict(set)
    for n in rows:
        by_recipient[n.recipient.split(":")[0] if n.recipient.startswith("linkage") else n.recipient].add(
            n.id
        )
    assert by_recipient["unit:U1"] and by_recipient["hotline"] and by_recipient["requester"]
    # Once each, with the notice id as the delivery id; nothing else arrived.
    assert sorted(unit_system.ids()) == sorted(by_recipient["unit:U1"])
    assert sorted(duty.ids()) == sorted(by_recipient["hotline"])
    assert sorted(gateway.ids()) == sorted(by_recipient["requester"])
    assert not (unit_system.refused or duty.refused or gateway.refused)
    assert in_order(unit_system) and in_order(duty)

    records = await deliveries(hotline.session_maker)
    status = {n.id: records[n.id].status for n in rows}
    assert {status[i] for i in by_recipient["unit:U1"] | by_recipient["hotline"]} == {
        DeliveryStatus.ACKNOWLEDGED
    }
    assert {status[i] for i in by_recipient["requester"]} == {DeliveryStatus.SENT}
    # A23: the emergency line's notice waits for the linkage work; it is neither sent nor dead-lettered.
    assert by_recipient["linkage"] and {status[i] for i in by_recipient["linkage"]} == {DeliveryStatus.HELD}
    assert {n.status for n in rows if n.recipient.startswith("linkage:")} == {"held"}

    # The requester's messages: Chinese, their ticket number and a link; nobody's personal data.
    ticket_no = closed.id.removeprefix("ticket-")
    texts = {a.body["kind"]: a.body for a in gateway.arrivals if a.body["params"]["ticket_no"] == ticket_no}
    texts["not_accepted"] = next(a.body for a in gateway.arrivals if a.body["kind"] == "not_accepted")
    assert {"registered", "closure_approved", "rating_requested", "not_accepted"} <= set(texts)
    for body in texts.values():
        assert body["phone"] == "13800000000"
        assert (
            "12345热线" in body["text"] and "Li Hua" not in body["text"] and "13800000000" not in body["text"]
        )
        assert "Streetlight" not in body["text"]
    assert ticket_no in texts["registered"]["text"]
    assert "/t/" in texts["registered"]["text"]
    assert (
        "不属于本市行政区域" in texts["not_accepted"]["text"]
        and "《细则》第十条" in texts["not_accepted"]["text"]
    )
    assert "Repaired" in texts["closure_approved"]["text"]
    assert "/t/" in texts["rating_requested"]["text"]

    # Each outcome reached the workflow as the `delivery_reported` signal (the ended one's is kept).
    signalled = [
        e.workflow_execution_signaled_event_attributes
        async for e in closed.fetch_history_events()
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert {s.signal_name for s in signalled} == {"delivery_reported"}
    converter = demo_data_converter()  # the payloads are encrypted (workflows/converter.py)
    reports = [(await converter.decode(s.input.payloads, [DeliveryReport]))[0] for s in signalled]
    # At least once: a report may come twice, never with another id; each delivery's final status is told.
    assert {(r.delivery_id, r.status) for r in reports} == {
        (n.id, status[n.id]) for n in rows if n.ticket_no == ticket_no
    }
    assert linked.id and refused.id


async def test_a_recipient_down_for_its_first_tries_gets_every_notice_afterwards(hotline: Hotline) -> None:
    unit_system = Receiver(fail_first=4)
    async with serving(unit_system):
        await set_webhook(hotline.session_maker, "U1", unit_system)
        handles = [await hotline.register(dispatch_to="U1") for _ in range(3)]
        for h in handles:
            await hotline.act(h, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
            await hotline.inform_requester(h)
        async with dispatching(fast_settings(), hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)

    to_unit = {n.id for n in rows if n.recipient == "unit:U1"}
    assert unit_system.requests > len(to_unit)  # the first tries failed ...
    assert unit_system.distinct() == to_unit  # ... and the same ids came again, nothing missing
    records = await deliveries(hotline.session_maker)
    assert {records[i].status for i in to_unit} == {DeliveryStatus.ACKNOWLEDGED}
    assert max(records[i].attempts for i in to_unit) > 1
    assert in_order(unit_system)


async def test_a_notice_undeliverable_past_its_limit_is_dead_lettered_and_the_next_follows(
    hotline: Hotline,
) -> None:
    unit_system = Receiver(fail_always=True)
    async with serving(unit_system):
        await set_webhook(hotline.session_maker, "U1", unit_system)
        handle = await hotline.register(dispatch_to="U1")
        await hotline.act(handle, TicketWorkflow.sign_for, SignFor(actor=unit("U1")))
        settings = fast_settings(delivery_dead_letter_after_seconds=1.0)
        async with dispatching(settings, hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)

    to_unit = [n for n in rows if n.recipient == "unit:U1"]
    assert to_unit and {n.status for n in to_unit} == {"dead_lettered"}  # kept in the outbox, not dropped
    assert all(n.delivered_at is None for n in to_unit)
    records = await deliveries(hotline.session_maker)
    assert {records[n.id].status for n in to_unit} == {DeliveryStatus.DEAD_LETTERED}
    assert all("dead-lettered after" in records[n.id].detail for n in to_unit)
    # Every notice was tried (the ordering rule lets n+1 go once n is dead-lettered), some more than once.
    assert unit_system.distinct() == {n.id for n in to_unit}
    assert unit_system.requests >= len(to_unit)
    assert await notices(hotline.session_maker, to_unit[0].ticket_no)


async def test_delivered_notices_leave_the_outbox_after_the_retention_and_keep_their_record(
    hotline: Hotline,
) -> None:
    unit_system = Receiver()
    async with serving(unit_system):
        await set_webhook(hotline.session_maker, "U1", unit_system)
        await hotline.register(dispatch_to="U1")
        held = await hotline.register(dispatch_to="U1", emergency=True, linkage=["120"])
        # A retention of about a second: the purge runs every quarter of it.
        async with dispatching(fast_settings(delivery_retention_hours=1 / 3600), hotline.session_maker):
            rows = await all_settled(hotline.session_maker, client=hotline.client)

            async def purged() -> bool:
                return all(n.status == "held" for n in await notices(hotline.session_maker))

            await until(purged, timeout=30, what="the delivered notices purged")
    left = await notices(hotline.session_maker)
    # What was delivered left the outbox; the emergency line's held notice is never purged.
    assert left and {n.ticket_no for n in left} == {held.id.removeprefix("ticket-")}
    records = await deliveries(hotline.session_maker)
    assert {n.id for n in rows} == set(records)  # every delivery keeps its record
    assert {records[n.id].status for n in rows if n.recipient == "unit:U1"} == {DeliveryStatus.ACKNOWLEDGED}
