"""repeats and joined tickets (A10.6, 并案): tickets.joined_to, and the same requester's tickets by phone

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_to", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_tickets_joined_to", ["joined_to"], unique=False)
        batch_op.create_index(
            "ix_tickets_requester_phone_registered_at", ["requester_phone", "registered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_requester_phone_registered_at")
        batch_op.drop_index("ix_tickets_joined_to")
        batch_op.drop_column("joined_to")
