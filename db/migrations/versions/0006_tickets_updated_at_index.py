"""tickets.updated_at indexed: a unit's system polls its queue with `GET /tickets?updated_since=`

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_tickets_updated_at"), "tickets", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_updated_at"), table_name="tickets")
