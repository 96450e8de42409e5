"""delivery: the outbox's dispatcher state, delivery records, unit webhooks, requester templates and links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=64), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", _DATETIME, nullable=True))
        batch_op.add_column(sa.Column("leased_until", _DATETIME, nullable=True))
        batch_op.add_column(sa.Column("dead_letter_at", _DATETIME, nullable=True))
        batch_op.create_index("ix_notices_queue", ["ticket_no", "recipient", "seq"], unique=False)
    # Notices projected before this revision take their event's seq, which orders a ticket's notices.
    op.execute(
        "UPDATE notices SET seq = (SELECT timeline_events.seq FROM timeline_events "
        "WHERE timeline_events.id = notices.event_id) WHERE seq IS NULL"
    )

    op.create_table(
        "delivery_channels",
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("recipient", name=op.f("pk_delivery_channels")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("ticket_no", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("feed_cursor", sa.Integer(), nullable=True),
        sa.Column("created_at", _DATETIME, nullable=False),
        sa.Column("updated_at", _DATETIME, nullable=False),
        sa.Column("reported", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_feed", "deliveries", ["recipient", "feed_cursor"], unique=True)
    op.create_index("ix_deliveries_ticket", "deliveries", ["ticket_no", "seq"], unique=False)
    op.create_index(op.f("ix_deliveries_status"), "deliveries", ["status"], unique=False)
    op.create_index(op.f("ix_deliveries_reported"), "deliveries", ["reported"], unique=False)
    op.create_table(
        "delivery_counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_delivery_counters")),
    )
    op.create_table(
        "message_templates",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", _DATETIME, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_message_templates")),
    )


def downgrade() -> None:
    op.drop_table("message_templates")
    op.drop_table("delivery_counters")
    op.drop_index(op.f("ix_deliveries_reported"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_status"), table_name="deliveries")
    op.drop_index("ix_deliveries_ticket", table_name="deliveries")
    op.drop_index("ix_deliveries_feed", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("delivery_channels")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_queue")
        batch_op.drop_column("dead_letter_at")
        batch_op.drop_column("leased_until")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
        batch_op.drop_column("seq")
