"""Reaching people: how each notice of the timeline travels, when it is retried, when it is given up on,
and what a requester's message says (A13, A17, A19, A20, A24, A32).

Pure rules, no I/O and no clock: the dispatcher (delivery/) reads them, the API validates the office's
templates with them, and the workflow may import `DeliveryReport` to record a delivery's outcome.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class DeliveryStatus(StrEnum):
    """A delivery's status as the timeline and the API show it."""

    PENDING = "pending"  # waiting its turn or its first try
    SENT = "sent"  # handed over: an SMS gateway accepted it, or it is in the unit's feed
    ACKNOWLEDGED = "acknowledged"  # the recipient confirmed: a webhook's 2xx, a feed read past it
    FAILED = "failed"  # the last try failed; it is retried with backoff
    DEAD_LETTERED = "dead_lettered"  # not delivered within the limit: flagged to the hotline, kept
    HELD = "held"  # A23 an emergency line's notice: linkage is handled elsewhere; kept pending
    NO_CHANNEL = "no_channel"  # nobody to reach by any channel (a requester who left no mobile number)


# The statuses after which the next notice of the same ticket may go to the same recipient.
SETTLED = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.ACKNOWLEDGED,
        DeliveryStatus.DEAD_LETTERED,
        DeliveryStatus.NO_CHANNEL,
    }
)


class DeliveryReport(BaseModel):
    """What the dispatcher signals to the ticket's workflow (`delivery_reported`) at each outcome."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    recipient: str
    delivery_id: str  # the notice id: the same on every retry, the recipient dedupes on it
    status: DeliveryStatus
    at: datetime
    detail: str = ""
