"""requester_links: the pages a requester's messages open, by token digest (A19 progress, A24 rating)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:43:21.509172+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "requester_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("ticket_no", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("rating_round", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(purpose = 'rating') = (rating_round IS NOT NULL)", name=op.f("ck_requester_links_rating_round")
        ),
        sa.CheckConstraint("purpose IN ('progress', 'rating')", name=op.f("ck_requester_links_purpose")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_requester_links")),
    )
    with op.batch_alter_table("requester_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requester_links_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_requester_links_ticket_no"), ["ticket_no"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("requester_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requester_links_ticket_no"))
        batch_op.drop_index(batch_op.f("ix_requester_links_expires_at"))

    op.drop_table("requester_links")
