"""What the workflow's `delivery_reported` handler records (domain/delivery.py record_report): one timeline
event per delivery and status, repeats ignored, telling nobody — so no notice is ever made of a notice."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from activities.projection import notice_rows
from bench.common import registration
from domain.delivery import DeliveryReport, DeliveryStatus, record_report
from domain.rulesets import CITY
from domain.ticket import TicketState
from domain.timeline import REQUESTER, EventKind, Step, record

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_each_status_of_each_delivery_is_recorded_once_and_tells_nobody() -> None:
    ids = (f"e{n}" for n in itertools.count())
    step = Step(now=NOW, new_id=lambda: next(ids))
    state = TicketState(ticket_no="T-0001", registration=registration("T-0001"), rule_set=CITY)
    told = record(state, step, EventKind.REGISTERED, "system", "A2", [REQUESTER])

    def report(status: DeliveryStatus, event_id: str = told.id) -> DeliveryReport:
        return DeliveryReport(
            event_id=event_id, recipient=REQUESTER, delivery_id=f"{event_id}:requester", status=status, at=NOW
        )

    failed = record_report(state, report(DeliveryStatus.FAILED), step)
    assert failed is not None and failed.notify == [] and failed.data["status"] == "failed"
    assert record_report(state, report(DeliveryStatus.FAILED), step) is None  # at least once: a repeat
    sent = record_report(state, report(DeliveryStatus.SENT), step)
    assert sent is not None and sent.data["delivery_id"] == f"{told.id}:requester"
    assert record_report(state, report(DeliveryStatus.SENT, event_id="not-this-tickets"), step) is None
    assert [e.kind for e in state.timeline] == ["registered", "delivery_reported", "delivery_reported"]
    # Only the registration's notice is in the outbox: a report makes none.
    assert [n["event_id"] for n in notice_rows(state)] == [told.id]
