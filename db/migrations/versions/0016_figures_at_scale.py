"""figures at scale: ticket_units, the holding unit on each event, the answer limit's figures in columns

Bench B5 (a province: 1,000,000 tickets) found the queues scanning every ticket's JSON list of co-units,
the reports scanning every timeline event (no index on kind and time), re-reading every ticket's JSON state
and running a correlated subquery per event to find the unit holding the ticket. This revision adds what
the queries read instead, and fills it from what is already stored (the projection keeps it from now on).

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02 01:45:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATETIME = sa.DateTime(timezone=True)
_OPEN_TICKET = sa.text("concluded_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_met_at", _DATETIME, nullable=True))
        batch_op.add_column(sa.Column("answer_card", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_tickets_registered_at", ["registered_at"], unique=False)
        batch_op.create_index("ix_tickets_concluded_at", ["concluded_at"], unique=False)
        batch_op.create_index(
            "ix_tickets_open_registered_at",
            ["registered_at"],
            unique=False,
            postgresql_where=_OPEN_TICKET,
            sqlite_where=_OPEN_TICKET,
        )
        batch_op.create_index(
            "ix_tickets_open_card",
            ["card", "registered_at"],
            unique=False,
            postgresql_where=_OPEN_TICKET,
            sqlite_where=_OPEN_TICKET,
        )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_timeline_events_kind_at", ["kind", "at"], unique=False)
    op.create_table(
        "ticket_units",
        sa.Column("ticket_no", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("registered_at", _DATETIME, nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_no"], ["tickets.ticket_no"], name=op.f("fk_ticket_units_ticket_no_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_no", "unit", name=op.f("pk_ticket_units")),
    )
    with op.batch_alter_table("ticket_units", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_units_unit_registered_at",
            ["unit", "registered_at", "ticket_no", "confidential"],
            unique=False,
        )
        batch_op.create_index(
            "ix_ticket_units_open",
            ["unit", "registered_at", "ticket_no", "confidential"],
            unique=False,
            postgresql_where=sa.text("is_open"),
            sqlite_where=sa.text("is_open"),
        )
    _backfill()


def _backfill() -> None:
    """What the projection writes from now on, read back from what the read model already holds."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        answer = "CAST(state AS JSONB) -> 'clocks' -> 'answer'"
        op.execute(
            f"UPDATE tickets SET answer_met_at = CAST({answer} ->> 'met_at' AS TIMESTAMPTZ), "
            f"answer_card = {answer} ->> 'card'"
        )
        lead = "CAST(d.data AS JSONB) ->> 'lead_unit'"
        co_units = "FROM tickets t, jsonb_array_elements_text(CAST(t.co_units AS JSONB)) AS j(value)"
    else:
        _backfill_answer_sqlite(bind)
        lead = "json_extract(d.data, '$.lead_unit')"
        co_units = "FROM tickets t, json_each(t.co_units) AS j"
    # The unit holding the ticket at each event: the lead of the latest dispatch before it (A6).
    op.execute(
        f"UPDATE timeline_events SET unit = (SELECT {lead} FROM timeline_events d "
        "WHERE d.ticket_no = timeline_events.ticket_no AND d.kind = 'dispatched' "
        "AND d.seq < timeline_events.seq ORDER BY d.seq DESC LIMIT 1)"
    )
    # One row per ticket and unit, its strongest role first: lead, forwarded, co.
    insert = "INSERT INTO ticket_units (ticket_no, unit, role, registered_at, is_open, confidential) "
    absent = " AND NOT EXISTS (SELECT 1 FROM ticket_units u WHERE u.ticket_no = {no} AND u.unit = {unit})"
    op.execute(
        insert + "SELECT ticket_no, lead_unit, 'lead', registered_at, concluded_at IS NULL, "
        "requester_confidential FROM tickets "
        "WHERE lead_unit IS NOT NULL"
    )
    op.execute(
        insert + "SELECT ticket_no, forwarded_to, 'forwarded', registered_at, concluded_at IS NULL, "
        "requester_confidential "
        "FROM tickets WHERE forwarded_to IS NOT NULL"
        + absent.format(no="tickets.ticket_no", unit="tickets.forwarded_to")
    )
    op.execute(
        insert + "SELECT DISTINCT t.ticket_no, j.value, 'co', t.registered_at, t.concluded_at IS NULL, "
        "t.requester_confidential "
        + co_units
        + " WHERE 1 = 1"
        + absent.format(no="t.ticket_no", unit="j.value")
    )


def _backfill_answer_sqlite(bind: sa.engine.Connection) -> None:
    """SQLite keeps instants as naive UTC text in SQLAlchemy's format: parsed and written back here."""
    rows = bind.execute(
        sa.text(
            "SELECT ticket_no, json_extract(state, '$.clocks.answer.met_at'), "
            "json_extract(state, '$.clocks.answer.card') FROM tickets"
        )
    ).all()
    update = sa.text("UPDATE tickets SET answer_met_at = :met, answer_card = :card WHERE ticket_no = :no")
    update = update.bindparams(sa.bindparam("met", type_=sa.DateTime()))
    for no, met, card in rows:
        met_at = datetime.fromisoformat(met).astimezone(UTC).replace(tzinfo=None) if met else None
        bind.execute(update, {"no": no, "met": met_at, "card": card})


def downgrade() -> None:
    with op.batch_alter_table("ticket_units", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_units_open")
        batch_op.drop_index("ix_ticket_units_unit_registered_at")
    op.drop_table("ticket_units")
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_events_kind_at")
        batch_op.drop_column("unit")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open_card")
        batch_op.drop_index("ix_tickets_open_registered_at")
        batch_op.drop_index("ix_tickets_concluded_at")
        batch_op.drop_index("ix_tickets_registered_at")
        batch_op.drop_column("answer_card")
        batch_op.drop_column("answer_met_at")
