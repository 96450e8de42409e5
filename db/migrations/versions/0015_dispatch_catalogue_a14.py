"""A14 dispatch catalogue (派单目录): matter types, areas, entries, their audit, the suggestions made; the
requester's phone indexed for the caller's history

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_matter_types",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", db.models.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dispatch_matter_types")),
    )
    op.create_table(
        "dispatch_areas",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("updated_at", db.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["dispatch_areas.id"], name=op.f("fk_dispatch_areas_parent_id_dispatch_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_areas")),
    )
    op.create_index(op.f("ix_dispatch_areas_parent_id"), "dispatch_areas", ["parent_id"], unique=False)
    op.create_table(
        "dispatch_entries",
        sa.Column("matter_code", sa.String(length=8), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=False),
        sa.Column("lead_unit", sa.String(length=64), nullable=False),
        sa.Column("co_units", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", db.models.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["dispatch_areas.id"], name=op.f("fk_dispatch_entries_area_id_dispatch_areas")
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit"], ["units.id"], name=op.f("fk_dispatch_entries_lead_unit_units")
        ),
        sa.ForeignKeyConstraint(
            ["matter_code"],
            ["dispatch_matter_types.code"],
            name=op.f("fk_dispatch_entries_matter_code_dispatch_matter_types"),
        ),
        sa.PrimaryKeyConstraint("matter_code", "area_id", name=op.f("pk_dispatch_entries")),
    )
    op.create_index(op.f("ix_dispatch_entries_area_id"), "dispatch_entries", ["area_id"], unique=False)
    op.create_index(op.f("ix_dispatch_entries_lead_unit"), "dispatch_entries", ["lead_unit"], unique=False)
    op.create_table(
        "dispatch_catalogue_changes",
        sa.Column("revision", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", db.models.UtcDateTime(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_dispatch_catalogue_changes_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_dispatch_catalogue_changes")),
    )
    op.create_table(
        "dispatch_suggestions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("made_at", db.models.UtcDateTime(), nullable=False),
        sa.Column("made_by", sa.Integer(), nullable=False),
        sa.Column("catalogue_revision", sa.Integer(), nullable=False),
        sa.Column("matter_code", sa.String(length=8), nullable=False),
        sa.Column("area_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("lead_unit", sa.String(length=64), nullable=True),
        sa.Column("co_units", sa.JSON(), nullable=False),
        sa.Column("ticket_no", sa.String(length=40), nullable=True),
        sa.Column("chosen_lead", sa.String(length=64), nullable=True),
        sa.Column("chosen_co_units", sa.JSON(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_at", db.models.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["made_by"], ["credentials.id"], name=op.f("fk_dispatch_suggestions_made_by_credentials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_suggestions")),
        sa.UniqueConstraint("ticket_no", name=op.f("uq_dispatch_suggestions_ticket_no")),
    )
    op.create_index("ix_dispatch_suggestions_made_at", "dispatch_suggestions", ["made_at"], unique=False)
    op.create_index(
        op.f("ix_dispatch_suggestions_made_by"), "dispatch_suggestions", ["made_by"], unique=False
    )
    op.create_index(op.f("ix_tickets_requester_phone"), "tickets", ["requester_phone"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tickets_requester_phone"), table_name="tickets")
    op.drop_index(op.f("ix_dispatch_suggestions_made_by"), table_name="dispatch_suggestions")
    op.drop_index("ix_dispatch_suggestions_made_at", table_name="dispatch_suggestions")
    op.drop_table("dispatch_suggestions")
    op.drop_table("dispatch_catalogue_changes")
    op.drop_index(op.f("ix_dispatch_entries_lead_unit"), table_name="dispatch_entries")
    op.drop_index(op.f("ix_dispatch_entries_area_id"), table_name="dispatch_entries")
    op.drop_table("dispatch_entries")
    op.drop_index(op.f("ix_dispatch_areas_parent_id"), table_name="dispatch_areas")
    op.drop_table("dispatch_areas")
    op.drop_table("dispatch_matter_types")
