"""The SQL read model (STYLE pattern 7): lists come from here, not from Temporal visibility.

Every table is rebuildable from the workflows, except the reference data (calendar years, rule sets) and
the hotline's own registers (A18 terminated matters, A11 restricted callers) that screen a new ticket.
Types are portable so the same code runs on PostgreSQL and SQLite; other modules add their tables to the
same `Base`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.calendar import YearCalendar
from domain.rulesets import RuleSet


class UtcDateTime(TypeDecorator[datetime]):
    """An aware instant, stored and returned in UTC on every backend.

    SQLite's DATETIME drops the offset without converting (an Asia/Shanghai 10:00 would be stored as
    10:00), and returns naive values; PostgreSQL's timestamptz returns aware ones. Normalising here makes
    both return the same aware UTC datetime and lets SQLite compare stored instants as text.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: a timezone-aware datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Stable constraint names, so Alembic migrations generated later name things the same everywhere.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# Lengths follow domain/commands.py (TICKET_NO_PATTERN ≤ 40, UnitId ≤ 64, ShortText ≤ 200, Ref ≤ 500).
TICKET_NO = String(40)
SHORT = String(200)
CODE = String(64)


# A ticket is open until it concludes (or is not accepted): the queues and the dashboard read open tickets
# only, through partial indexes that hold them alone (bench B5: a unit's whole history is 20× its queue).
OPEN_TICKET = "concluded_at IS NULL"
# The columns a bulletin counts a unit's tickets by (api/figures/bulletin.py), and the volumes by.
FIGURE_COLUMNS = ("lead_unit", "card", "answer_met_at", "answer_card")
VOLUME_COLUMNS = ("category", "channel", "lead_unit")


class TicketRow(Base):
    """One row per ticket: the list columns, and the whole TicketState for detail views."""

    __tablename__ = "tickets"
    __table_args__ = (
        # A10.6: the same requester's tickets, newest first, while the caller is on the line (api/repeats.py).
        Index("ix_tickets_requester_phone_registered_at", "requester_phone", "registered_at"),
        # A26's volumes and each unit's concluded and open tickets are counted from these indexes alone on
        # PostgreSQL (INCLUDE): a month's ticket rows are ~270 MB, their index entries a few (bench B5).
        Index("ix_tickets_registered_at", "registered_at", postgresql_include=list(VOLUME_COLUMNS)),
        Index("ix_tickets_concluded_at", "concluded_at", postgresql_include=list(FIGURE_COLUMNS)),
        Index(
            "ix_tickets_open_registered_at",
            "registered_at",
            postgresql_include=list(FIGURE_COLUMNS),
            postgresql_where=text(OPEN_TICKET),
            sqlite_where=text(OPEN_TICKET),
        ),
        Index(
            "ix_tickets_open_card",
            "card",
            "registered_at",
            postgresql_where=text(OPEN_TICKET),
            sqlite_where=text(OPEN_TICKET),
        ),
    )

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, primary_key=True)
    category: Mapped[str] = mapped_column(CODE)
    channel: Mapped[str] = mapped_column(CODE)
    emergency: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str] = mapped_column(CODE, index=True)
    outcome: Mapped[str | None] = mapped_column(CODE)
    lead_unit: Mapped[str | None] = mapped_column(CODE, index=True)
    co_units: Mapped[list[str]] = mapped_column(JSON)
    # A6: the tier-3 sub-unit the lead forwarded the ticket to; it sees the ticket in its queue.
    forwarded_to: Mapped[str | None] = mapped_column(CODE, index=True)
    card: Mapped[str] = mapped_column(String(16), index=True)
    sign_for_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    provisional: Mapped[bool] = mapped_column(Boolean)
    rule_set_key: Mapped[str] = mapped_column(String(80))
    # A35: registered under rules past their validity; the office lists these (GET /rule-sets/lapsed).
    rule_set_lapsed: Mapped[bool] = mapped_column(Boolean, index=True, default=False, server_default=false())
    requester_name: Mapped[str] = mapped_column(SHORT)
    # Indexed for the caller's history (api/routes/caller_history.py): the number in its one spelling (A11).
    requester_phone: Mapped[str] = mapped_column(SHORT, index=True)
    # A32: the API shows requester details only to designated staff when this is set.
    requester_confidential: Mapped[bool] = mapped_column(Boolean)
    content: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(SHORT)
    domain: Mapped[str] = mapped_column(SHORT)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)  # registration.received_at
    # Who registered it (the actor id: an operator's or an integrator's credential): an integrator lists
    # and follows the tickets it registered (A23 linkage systems, the provincial platform).
    registered_by: Mapped[str | None] = mapped_column(SHORT, index=True)
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The answer limit's figures (A17, A22) the reports count, in columns so a bulletin does not re-read the
    # JSON state of every ticket in its period (bench B5): when it was met, and its card.
    answer_met_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer_card: Mapped[str | None] = mapped_column(String(16))
    # The workflow was ended outside the service (terminated, failed, timed_out, canceled: from Temporal UI
    # or the CLI), found by activities/reconcile.py, which also sets the stage to archived. A projection
    # (the workflow running again after a reset) clears it: it writes no value here.
    ended_outside: Mapped[str | None] = mapped_column(CODE)
    ended_outside_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # 并案 (A10.6): the earlier ticket this one was joined to.
    joined_to: Mapped[str | None] = mapped_column(TICKET_NO, index=True)
    # TicketState.revision: a projection never replaces a higher revision (stale retries).
    revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)  # TicketState.model_dump(mode="json")
    # When the row was last written (wall clock): a unit's system polls `GET /tickets?updated_since=`.
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


# A22: the cards showing now — open tickets with a yellow or red card. The dashboard counts them per holding
# unit (A6: the sub-unit it was forwarded to, else its lead) and lists each holder's first ones, red before
# yellow, by answer limit; both read this index alone, in its order (bench B5: the tickets' own pages, spread
# over a year of registrations, took ~200 ms to read at 1,000,000 tickets).
OPEN_CARDED = "concluded_at IS NULL AND card IN ('yellow', 'red')"
HOLDER = func.coalesce(TicketRow.forwarded_to, TicketRow.lead_unit)
Index(
    "ix_tickets_open_cards_by_holder",
    HOLDER,
    TicketRow.card,
    TicketRow.answer_due_at,
    TicketRow.ticket_no,
    postgresql_include=["stage", "lead_unit", "forwarded_to", "requester_confidential"],
    postgresql_where=text(OPEN_CARDED),
    sqlite_where=text(OPEN_CARDED),
)


class TicketUnitRow(Base):
    """A6: each unit a ticket involves now, once, in its strongest role: `lead`, `forwarded` (the tier-3
    sub-unit it was forwarded to) or `co` (a co-unit). Rewritten with the ticket row by every projection; a unit's queue
    reads it through an index, where a JSON list column could only be scanned (bench B5)."""

    __tablename__ = "ticket_units"
    __table_args__ = (
        Index("ix_ticket_units_unit_registered_at", "unit", "registered_at", "ticket_no", "confidential"),
        Index(
            "ix_ticket_units_open",
            "unit",
            "registered_at",
            "ticket_no",
            "confidential",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open"),
        ),
    )

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, ForeignKey("tickets.ticket_no"), primary_key=True)
    unit: Mapped[str] = mapped_column(CODE, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    # The ticket's own, copied so a queue's page is read in the index's order.
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    is_open: Mapped[bool] = mapped_column(Boolean)
    # A32: the requester asked for confidentiality (tickets.requester_confidential), so a queue of staff
    # without clearance is read, and counted, from this table's index alone.
    confidential: Mapped[bool] = mapped_column(Boolean)


class TimelineEventRow(Base):
    __tablename__ = "timeline_events"
    __table_args__ = (UniqueConstraint("ticket_no", "seq"), Index("ix_timeline_events_kind_at", "kind", "at"))

    id: Mapped[str] = mapped_column(String(128), primary_key=True)  # TimelineEvent.id
    # Indexed by the unique (ticket_no, seq) constraint, which leads with ticket_no.
    ticket_no: Mapped[str] = mapped_column(TICKET_NO, ForeignKey("tickets.ticket_no"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(CODE)
    actor: Mapped[str] = mapped_column(SHORT)
    rule: Mapped[str | None] = mapped_column(CODE)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The unit holding the ticket when it happened (A6, A25: the lead of the latest dispatch before it),
    # written by the projection; the reports charge the event to it.
    unit: Mapped[str | None] = mapped_column(CODE)
    # Who was told (TimelineEvent.notify), so the ticket a view shows can be read back from here whole
    # (api/runtime.py `state_after`); null for events projected before migration 0023.
    notify: Mapped[list[str] | None] = mapped_column(JSON)


class NoticeRow(Base):
    """Outbox: one row per (event, recipient) to tell a unit, the requester, the hotline or a linkage
    line (A23: 110/119/120/122). The dispatcher (delivery/) marks `delivered_at`; the projection never
    touches a row again. Delivered rows are purged after a retention; `deliveries` keeps their status."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_pending", "delivered_at", "created_at"),
        Index("ix_notices_queue", "ticket_no", "recipient", "seq"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # f"{event_id}:{recipient}"
    ticket_no: Mapped[str] = mapped_column(TICKET_NO, ForeignKey("tickets.ticket_no"), index=True)
    event_id: Mapped[str] = mapped_column(String(128), ForeignKey("timeline_events.id"))
    # "unit:<id>", "requester", "hotline", "linkage:<110|119|120|122>".
    recipient: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(CODE)  # the event's kind
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the event's time
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The dispatcher's state (delivery/outbox.py): the event's seq orders a ticket's notices to one
    # recipient; a claim leases the row; failed tries back off until the dead-letter limit.
    seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(CODE, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dead_letter_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @staticmethod
    def key(event_id: str, recipient: str) -> str:
        return f"{event_id}:{recipient}"


class CalendarYearRow(Base):
    """One State Council holiday notice per year ("Counting time")."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(JSON)  # ISO dates
    adjusted_workdays: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(SHORT)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @staticmethod
    def values_of(year: YearCalendar, loaded_at: datetime) -> dict[str, Any]:
        return {
            "year": year.year,
            "holidays": [d.isoformat() for d in year.holidays],
            "adjusted_workdays": [d.isoformat() for d in year.adjusted_workdays],
            "source": year.source,
            "loaded_at": loaded_at,
        }

    def to_year(self) -> YearCalendar:
        return YearCalendar(
            year=self.year,
            holidays=[date.fromisoformat(d) for d in self.holidays],
            adjusted_workdays=[date.fromisoformat(d) for d in self.adjusted_workdays],
            source=self.source,
        )


class RuleSetRow(Base):
    """A17/A33 rule sets; a version is never rewritten, a change is a new version."""

    __tablename__ = "rule_sets"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # RuleSet.model_dump(mode="json")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    def to_rule_set(self) -> RuleSet:
        return RuleSet.model_validate(self.body)


class TerminatedMatterRow(Base):
    """A18: a written termination notice; a later ticket on the same matter is not accepted."""

    __tablename__ = "terminated_matters"

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, primary_key=True)  # the ticket that filed it
    prior_ticket_no: Mapped[str | None] = mapped_column(TICKET_NO, index=True)
    notice_ref: Mapped[str] = mapped_column(String(500))
    served_at: Mapped[datetime] = mapped_column(UtcDateTime)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RestrictedCallerRow(Base):
    """A11: a caller restricted for a period (rule set `restriction_days`)."""

    __tablename__ = "restricted_callers"

    phone: Mapped[str] = mapped_column(SHORT, primary_key=True)
    until: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    restricted_by: Mapped[int | None] = mapped_column(Integer)  # the credential; None before 0020
    # A11: the office may lift it early; `until` then becomes the lifting, the period it had is kept.
    restricted_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifted_by: Mapped[int | None] = mapped_column(Integer)
    lift_reason: Mapped[str | None] = mapped_column(Text)
    # A11 「依法交由公安机关处理 / 移送司法机关处理」: the referral, with the receiving body's reference.
    referred_to: Mapped[str | None] = mapped_column(CODE)
    referral_ref: Mapped[str | None] = mapped_column(SHORT)
    referred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    referred_by: Mapped[int | None] = mapped_column(Integer)


# The reports' narrow tables, on the same Base (imported here so every user of the metadata has them).
from db import figure_models  # noqa: F401
