"""Delivery's own tables, on the shared `db.models.Base`: who is reached how, what each delivery came to,
the requester's message templates and the links those messages carry.

The outbox itself is `notices` (db/models.py), written by the projection in the ticket's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, TICKET_NO, Base, UtcDateTime

RECIPIENT = String(100)
URL = String(500)


class DeliveryChannelRow(Base):
    """A recipient's webhook (a unit's system): the hotline office sets it at run time.

    The signing secret is kept as given: the dispatcher must compute an HMAC with it."""

    __tablename__ = "delivery_channels"

    recipient: Mapped[str] = mapped_column(RECIPIENT, primary_key=True)  # "unit:<id>"
    url: Mapped[str] = mapped_column(URL)
    secret: Mapped[str] = mapped_column(String(200))  # "whsec_<base64>" (Standard Webhooks)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeliveryRow(Base):
    """What became of one notice (same id): kept after the outbox row is purged.

    A unit's notices are numbered by `feed_cursor` in the order they were handed over, gap-free in commit
    order (delivery/outbox.py next_cursor), so `GET /notifications?after=` misses none."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_feed", "recipient", "feed_cursor", unique=True),
        Index("ix_deliveries_ticket", "ticket_no", "seq"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the notice id: the delivery id
    ticket_no: Mapped[str] = mapped_column(TICKET_NO)
    event_id: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(RECIPIENT)
    kind: Mapped[str] = mapped_column(CODE)
    route: Mapped[str] = mapped_column(CODE)
    status: Mapped[str] = mapped_column(CODE, index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)
    # The SMS gateway's id for it (Aliyun BizId), for tracing a message with the provider.
    provider_ref: Mapped[str | None] = mapped_column(SHORT)
    feed_cursor: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the event's time
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # False until the status is signalled to the ticket's workflow (best effort, retried).
    reported: Mapped[bool] = mapped_column(Boolean, index=True)


class DeliveryCounterRow(Base):
    """A counter whose row lock orders the feed: one UPDATE … RETURNING per cursor."""

    __tablename__ = "delivery_counters"

    name: Mapped[str] = mapped_column(CODE, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class MessageTemplateRow(Base):
    """The office's text for a requester message (domain/delivery.py MESSAGE_KINDS; defaults seeded)."""

    __tablename__ = "message_templates"

    kind: Mapped[str] = mapped_column(CODE, primary_key=True)  # the event kind
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(SHORT)
