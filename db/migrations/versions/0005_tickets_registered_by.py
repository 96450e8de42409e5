"""tickets.registered_by: who registered a ticket, so an integrator lists its own

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 01:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("registered_by", sa.String(length=200), nullable=True))
    op.create_index(op.f("ix_tickets_registered_by"), "tickets", ["registered_by"], unique=False)
    # Rows projected before this revision: the registrar is in the stored state. One UPDATE in each
    # dialect's JSON syntax, so the offline SQL (`upgrade --sql`) holds it too; later projections write it.
    if op.get_context().dialect.name == "postgresql":
        registrar = "state->'registration'->'registered_by'->>'id'"
    else:
        registrar = "json_extract(state, '$.registration.registered_by.id')"
    op.execute(f"UPDATE tickets SET registered_by = {registrar} WHERE registered_by IS NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_registered_by"), table_name="tickets")
    op.drop_column("tickets", "registered_by")
