"""A23 emergency linkage: the emergency-matter list, the lines' systems, a credential bound to a line

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emergency_matters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("matter_type", sa.String(length=100), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", db.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_matters")),
    )
    op.create_table(
        "linkage_lines",
        sa.Column("line", sa.String(length=3), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("token", sa.String(length=500), nullable=False),
        sa.Column("updated_at", db.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("line", name=op.f("pk_linkage_lines")),
    )
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("line", sa.String(length=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("line")
    op.drop_table("linkage_lines")
    op.drop_table("emergency_matters")
