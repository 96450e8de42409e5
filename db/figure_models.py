"""The reports' own tables in the read model (A17, A22, A26, A27; bench B5): narrow rows the projection
writes beside the ticket and its events, so a dashboard or a period's figures read an index, not the JSON
state or payload of every ticket or event. Rebuilt with the rest of the read model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, TICKET_NO, Base, UtcDateTime

# What a report reads of a figure event beside its kind and instant.
FIGURE_EVENT_COLUMNS = (
    "ticket_no",
    "unit",
    "card",
    "statutory",
    "charged_to",
    "redo",
    "responded",
    "option",
    "acceptance",
    "resolved",
    "domain",
    "superseded_at",
)


class RunningLimitRow(Base):
    """A17, A22: each limit of an open ticket not yet met — one row per ticket and clock, rewritten with the
    ticket row by every projection (activities/projection.py `limit_rows`). The dashboard's "falls due
    today and on the next working day" is a range of `due_at` on this table's index, not a read of every
    candidate ticket's JSON clocks (bench B5: 228 ms at 1,000,000 tickets)."""

    __tablename__ = "running_limits"
    __table_args__ = (Index("ix_running_limits_due_at", "due_at"),)

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, ForeignKey("tickets.ticket_no"), primary_key=True)
    clock: Mapped[str] = mapped_column(CODE, primary_key=True)  # domain/clocks.py: sign_for, answer, …
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    red_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Whose limit it is (domain/clocks.py ChargedTo): the lead unit's, or the hotline's own.
    charged_to: Mapped[str] = mapped_column(CODE)
    # The ticket's own, copied so the list is read from this table alone (A6 holder, A32 confidentiality).
    stage: Mapped[str] = mapped_column(CODE)
    lead_unit: Mapped[str | None] = mapped_column(CODE)
    forwarded_to: Mapped[str | None] = mapped_column(CODE)
    confidential: Mapped[bool] = mapped_column(Boolean)


class FigureEventRow(Base):
    """A26, A27: each event the bulletin and the assessment count — receipts, sign-for cards settled into
    them, cards, returns, extensions, redos, callbacks, ratings — as one narrow row with what it is counted
    by (domain/figure_events.py), written with its timeline event by the projection. A period's figures are
    read from this table's (kind, at) index, not from the JSON of every event in the period (bench B5)."""

    __tablename__ = "figure_events"
    # Each report reads its kinds' entries in the period from this index alone on PostgreSQL (INCLUDE): a
    # cold period then costs its own entries, not every heap page the period's events share (bench B5).
    __table_args__ = (
        Index("ix_figure_events_kind_at", "kind", "at", postgresql_include=list(FIGURE_EVENT_COLUMNS)),
    )

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, ForeignKey("tickets.ticket_no"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(CODE)
    # The unit charged: the holder then (A6, A25); for a receipt, the unit it went to.
    unit: Mapped[str | None] = mapped_column(CODE)
    # A22 card changes: the card reached, whether the regulation imposes the limit, whose card it is.
    card: Mapped[str | None] = mapped_column(String(16))
    statutory: Mapped[bool | None] = mapped_column(Boolean)
    charged_to: Mapped[str | None] = mapped_column(CODE)
    # Receipts (响应率): a redo's is not counted; responded is settled by the ticket's next step.
    redo: Mapped[bool | None] = mapped_column(Boolean)
    responded: Mapped[bool | None] = mapped_column(Boolean)
    # A24 ratings: both stages' options, 是否解决, the ticket's domain (A27 exemptions), and when the
    # ticket's next rating superseded this one.
    option: Mapped[str | None] = mapped_column(CODE)
    acceptance: Mapped[str | None] = mapped_column(CODE)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    domain: Mapped[str | None] = mapped_column(SHORT)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
