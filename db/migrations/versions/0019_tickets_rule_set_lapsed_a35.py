"""tickets.rule_set_lapsed: A35, a ticket registered under rules past their validity, listed for the office

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-02 02:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every existing ticket opened under a set without validity dates (city@1, provincial@1): false. A
    # read-model rebuild recomputes it from each ticket's state.
    op.add_column(
        "tickets",
        sa.Column("rule_set_lapsed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_tickets_rule_set_lapsed", "tickets", ["rule_set_lapsed"])


def downgrade() -> None:
    op.drop_index("ix_tickets_rule_set_lapsed", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("rule_set_lapsed")
