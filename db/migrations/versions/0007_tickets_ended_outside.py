"""tickets.ended_outside, ended_outside_at: a ticket whose workflow was ended outside the service

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Written by the reconciler (activities/reconcile.py) when Temporal says the workflow was terminated,
    # failed, timed out or was cancelled; cleared by the next projection if the workflow runs again.
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("ended_outside", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ended_outside_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("ended_outside_at")
        batch_op.drop_column("ended_outside")
