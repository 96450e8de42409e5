"""knowledge-base search (A12) and versions (A29): the segmented index, synonym groups, withdrawal, expiry

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("knowledge_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("withdrawn_at", _DATETIME, nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("expires_on", sa.Date(), nullable=True))
        # 0: not indexed yet. The search indexes such points before it answers (api/kb/index.py).
        batch_op.add_column(sa.Column("indexed_by", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("title_terms", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("body_terms", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("gram_terms", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_knowledge_points_withdrawn_by_credentials"),
            "credentials",
            ["withdrawn_by"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_knowledge_points_indexed_by"), ["indexed_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_knowledge_points_expires_on"), ["expires_on"], unique=False)

    op.create_table(
        "knowledge_point_versions",
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", _DATETIME, nullable=False),
        sa.Column("written_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["point_id"],
            ["knowledge_points.id"],
            name=op.f("fk_knowledge_point_versions_point_id_knowledge_points"),
        ),
        sa.ForeignKeyConstraint(
            ["written_by"],
            ["credentials.id"],
            name=op.f("fk_knowledge_point_versions_written_by_credentials"),
        ),
        sa.PrimaryKeyConstraint("point_id", "version", name=op.f("pk_knowledge_point_versions")),
    )
    # A29: a point written before this revision has one version, its text as it stands (an earlier text a
    # correction overwrote in place is gone), dated by its last correction or its upload.
    op.execute(
        "INSERT INTO knowledge_point_versions (point_id, version, title, body, written_at, written_by) "
        "SELECT id, 1, title, body, COALESCE(corrected_at, uploaded_at), uploaded_by FROM knowledge_points"
    )

    op.create_table(
        "knowledge_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("point_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=1), nullable=False),
        sa.Column("tf", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_id"], ["knowledge_points.id"], name=op.f("fk_knowledge_terms_point_id_knowledge_points")
        ),
        sa.PrimaryKeyConstraint("term", "point_id", "field", name=op.f("pk_knowledge_terms")),
    )
    op.create_index(op.f("ix_knowledge_terms_point_id"), "knowledge_terms", ["point_id"], unique=False)

    op.create_table(
        "knowledge_synonym_groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("added_at", _DATETIME, nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", _DATETIME, nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by"], ["credentials.id"], name=op.f("fk_knowledge_synonym_groups_added_by_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"],
            ["credentials.id"],
            name=op.f("fk_knowledge_synonym_groups_removed_by_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_synonym_groups")),
    )
    op.create_index(
        op.f("ix_knowledge_synonym_groups_removed_at"),
        "knowledge_synonym_groups",
        ["removed_at"],
        unique=False,
    )
    # The default groups are seeded with the rest of the reference data (db/seed.py), where absent.


def downgrade() -> None:
    op.drop_index(op.f("ix_knowledge_synonym_groups_removed_at"), table_name="knowledge_synonym_groups")
    op.drop_table("knowledge_synonym_groups")
    op.drop_index(op.f("ix_knowledge_terms_point_id"), table_name="knowledge_terms")
    op.drop_table("knowledge_terms")
    op.drop_table("knowledge_point_versions")
    with op.batch_alter_table("knowledge_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_points_expires_on"))
        batch_op.drop_index(batch_op.f("ix_knowledge_points_indexed_by"))
        batch_op.drop_constraint(
            batch_op.f("fk_knowledge_points_withdrawn_by_credentials"), type_="foreignkey"
        )
        batch_op.drop_column("gram_terms")
        batch_op.drop_column("body_terms")
        batch_op.drop_column("title_terms")
        batch_op.drop_column("indexed_by")
        batch_op.drop_column("expires_on")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("version")
