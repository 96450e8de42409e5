"""figures at a province's scale (bench B5): running limits — each open ticket's limits not yet met, one row
per ticket and clock (A17, A22); the open cards by holding unit, an index the dashboard reads alone; figure
events — each counted event as a narrow row (A26, A27)

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-02 05:00:00+00:00
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATETIME = sa.DateTime(timezone=True)
_OPEN_CARDED = "concluded_at IS NULL AND card IN ('yellow', 'red')"
_FIGURES = ("lead_unit", "card", "answer_met_at", "answer_card")
_FIGURE_EVENT_COLUMNS = (
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
_COVERING = (
    ("ix_tickets_registered_at", "registered_at", ("category", "channel", "lead_unit"), None),
    ("ix_tickets_concluded_at", "concluded_at", _FIGURES, None),
    ("ix_tickets_open_registered_at", "registered_at", _FIGURES, sa.text("concluded_at IS NULL")),
)


def upgrade() -> None:
    op.create_table(
        "running_limits",
        sa.Column("ticket_no", sa.String(length=40), nullable=False),
        sa.Column("clock", sa.String(length=64), nullable=False),
        sa.Column("due_at", _DATETIME, nullable=False),
        sa.Column("red_at", _DATETIME, nullable=False),
        sa.Column("charged_to", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.Column("forwarded_to", sa.String(length=64), nullable=True),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_no"], ["tickets.ticket_no"], name=op.f("fk_running_limits_ticket_no_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_no", "clock", name=op.f("pk_running_limits")),
    )
    with op.batch_alter_table("running_limits", schema=None) as batch_op:
        batch_op.create_index("ix_running_limits_due_at", ["due_at"], unique=False)
    op.create_index(
        "ix_tickets_open_cards_by_holder",
        "tickets",
        [sa.text("coalesce(forwarded_to, lead_unit)"), "card", "answer_due_at", "ticket_no"],
        postgresql_include=["stage", "lead_unit", "forwarded_to", "requester_confidential"],
        postgresql_where=sa.text(_OPEN_CARDED),
        sqlite_where=sa.text(_OPEN_CARDED),
    )
    op.create_table(
        "figure_events",
        sa.Column("ticket_no", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", _DATETIME, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("card", sa.String(length=16), nullable=True),
        sa.Column("statutory", sa.Boolean(), nullable=True),
        sa.Column("charged_to", sa.String(length=64), nullable=True),
        sa.Column("redo", sa.Boolean(), nullable=True),
        sa.Column("responded", sa.Boolean(), nullable=True),
        sa.Column("option", sa.String(length=64), nullable=True),
        sa.Column("acceptance", sa.String(length=64), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("domain", sa.String(length=200), nullable=True),
        sa.Column("superseded_at", _DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_no"], ["tickets.ticket_no"], name=op.f("fk_figure_events_ticket_no_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_no", "seq", name=op.f("pk_figure_events")),
    )
    with op.batch_alter_table("figure_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_figure_events_kind_at",
            ["kind", "at"],
            unique=False,
            postgresql_include=list(_FIGURE_EVENT_COLUMNS),
        )
    # The bulletin's ticket counts and volumes from the indexes alone (PostgreSQL's INCLUDE; SQLite's unchanged).
    if op.get_bind().dialect.name == "postgresql":
        for name, column, include, where in _COVERING:
            op.drop_index(name, table_name="tickets")
            op.create_index(
                name, "tickets", [column], postgresql_include=list(include), postgresql_where=where
            )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify", sa.JSON(), nullable=True))
    if not context.is_offline_mode():  # an offline script has no rows to read
        _backfill()
        _backfill_figures()


def _instant(text: str, naive: bool) -> datetime:
    at = datetime.fromisoformat(text).astimezone(UTC)
    # SQLite keeps instants as naive UTC text (db/models.py UtcDateTime); PostgreSQL as timestamptz.
    return at.replace(tzinfo=None) if naive else at


def _backfill() -> None:
    """What the projection writes from now on (activities/projection.py `limit_rows`), read from the open
    tickets' projected state: the clocks not met."""
    bind = op.get_bind()
    naive = bind.dialect.name != "postgresql"
    table = sa.table(
        "running_limits",
        *(sa.column(c) for c in ("ticket_no", "clock", "charged_to", "stage", "lead_unit", "forwarded_to")),
        sa.column("due_at", sa.DateTime(timezone=not naive)),
        sa.column("red_at", sa.DateTime(timezone=not naive)),
        sa.column("confidential", sa.Boolean()),
    )
    open_tickets = bind.execute(
        sa.text(
            "SELECT ticket_no, stage, lead_unit, forwarded_to, requester_confidential, state "
            "FROM tickets WHERE concluded_at IS NULL"
        )
    )
    rows: list[dict[str, Any]] = []
    for no, stage, lead, forwarded, confidential, state in open_tickets:
        clocks = (json.loads(state) if isinstance(state, str) else state).get("clocks") or {}
        for name, clock in clocks.items():
            if clock.get("met_at") is not None or not (clock.get("due_at") and clock.get("red_at")):
                continue
            rows.append(
                {
                    "ticket_no": no,
                    "clock": clock.get("name", name),
                    "due_at": _instant(clock["due_at"], naive),
                    "red_at": _instant(clock["red_at"], naive),
                    "charged_to": clock.get("charged_to", "lead_unit"),
                    "stage": stage,
                    "lead_unit": lead,
                    "forwarded_to": forwarded,
                    "confidential": bool(confidential),
                }
            )
        if len(rows) >= 5_000:
            op.bulk_insert(table, rows)
            rows = []
    if rows:
        op.bulk_insert(table, rows)


def _backfill_figures() -> None:
    """The counted events already projected, through the projection's own builder (domain/figure_events.py),
    one ticket at a time in timeline order, each ticket's later events settling its earlier rows."""
    from domain.figure_events import EVENT_FIGURES, RATING_KINDS, ProjectedEvent, figure_rows, settled

    bind = op.get_bind()
    naive = bind.dialect.name != "postgresql"
    instant = sa.DateTime(timezone=not naive)
    columns = ("ticket_no", "seq", "kind", "unit", "card", "statutory", "charged_to", "redo", "responded")
    table = sa.table(
        "figure_events",
        *(sa.column(c) for c in (*columns, "option", "acceptance", "resolved", "domain")),
        sa.column("at", instant),
        sa.column("superseded_at", instant),
    )
    kinds = sorted({*EVENT_FIGURES, *RATING_KINDS, "card_changed", "dispatched", "signed_for"})
    events = bind.execute(
        sa.text(
            "SELECT e.ticket_no, e.seq, e.at, e.kind, e.data, e.unit, t.domain FROM timeline_events e "
            "JOIN tickets t ON t.ticket_no = e.ticket_no WHERE e.kind IN :kinds ORDER BY e.ticket_no, e.seq"
        )
        .bindparams(sa.bindparam("kinds", expanding=True))
        # Streamed (this statement only: on the connection it would outlive the backfill).
        .execution_options(yield_per=10_000),
        {"kinds": kinds},
    )
    batch: list[dict[str, Any]] = []
    ticket: list[ProjectedEvent] = []
    current: tuple[str, str] | None = None

    def flush() -> None:
        if current is not None and ticket:
            batch.extend(settled(*figure_rows(current[0], current[1], ticket)))

    for no, seq, at, kind, data, unit, domain in events:
        if current is None or current[0] != no:
            flush()
            ticket, current = [], (no, domain)
            if len(batch) >= 5_000:
                op.bulk_insert(table, batch)
                batch.clear()
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        ticket.append(
            ProjectedEvent(seq, at, kind, json.loads(data) if isinstance(data, str) else data, unit)
        )
    flush()
    if batch:
        op.bulk_insert(table, batch)


def downgrade() -> None:
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_column("notify")
    if op.get_bind().dialect.name == "postgresql":
        for name, column, _, where in _COVERING:
            op.drop_index(name, table_name="tickets")
            op.create_index(name, "tickets", [column], postgresql_where=where)
    with op.batch_alter_table("figure_events", schema=None) as batch_op:
        batch_op.drop_index("ix_figure_events_kind_at")
    op.drop_table("figure_events")
    op.drop_index("ix_tickets_open_cards_by_holder", table_name="tickets")
    with op.batch_alter_table("running_limits", schema=None) as batch_op:
        batch_op.drop_index("ix_running_limits_due_at")
    op.drop_table("running_limits")
