"""A4 county offices, A5/A15 filed people with their history, A11 restrictions lifted and referred

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-02 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATETIME = sa.DateTime(timezone=True)
_ROLES_BEFORE = "role IN ('operator', 'unit_staff', 'integrator')"
_BOUND_BEFORE = "(role = 'unit_staff') = (unit_id IS NOT NULL)"
_ROLES = "role IN ('operator', 'county_office', 'unit_staff', 'integrator')"
_BOUND = "(role IN ('unit_staff', 'county_office')) = (unit_id IS NOT NULL)"
_RESTRICTION_COLUMNS = (
    ("restricted_by", sa.Integer()),
    ("restricted_until", _DATETIME),
    ("lifted_at", _DATETIME),
    ("lifted_by", sa.Integer()),
    ("lift_reason", sa.Text()),
    ("referred_to", sa.String(length=64)),
    ("referral_ref", sa.String(length=200)),
    ("referred_at", _DATETIME),
    ("referred_by", sa.Integer()),
)


def _credential_checks(roles: str, bound: str) -> None:
    # SQLite alters a CHECK only by rebuilding the table: batch mode does that there, ALTER elsewhere.
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_credentials_role"), type_="check")
        batch_op.drop_constraint(op.f("ck_credentials_unit_staff_unit"), type_="check")
        batch_op.create_check_constraint(op.f("ck_credentials_role"), roles)
        batch_op.create_check_constraint(op.f("ck_credentials_unit_staff_unit"), bound)


def upgrade() -> None:
    _credential_checks(_ROLES, _BOUND)
    with op.batch_alter_table("restricted_callers", schema=None) as batch_op:
        for name, type_ in _RESTRICTION_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        "filed_people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=200), nullable=False),
        sa.Column("authorised_by", sa.Integer(), nullable=True),
        sa.Column("filed_at", _DATETIME, nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", _DATETIME, nullable=True),
        sa.CheckConstraint(
            "(role = 'authorised_signatory') = (authorised_by IS NOT NULL)",
            name=op.f("ck_filed_people_authorised_by_leader"),
        ),
        sa.CheckConstraint(
            "role IN ('first_responsible', 'leader_in_charge', 'staff', 'authorised_signatory')",
            name=op.f("ck_filed_people_role"),
        ),
        sa.ForeignKeyConstraint(
            ["authorised_by"], ["filed_people.id"], name=op.f("fk_filed_people_authorised_by_filed_people")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["credentials.id"], name=op.f("fk_filed_people_filed_by_credentials")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_filed_people_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filed_people")),
    )
    op.create_index(op.f("ix_filed_people_unit_id"), "filed_people", ["unit_id"], unique=False)
    op.create_table(
        "filed_person_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=64), nullable=False),
        sa.Column("at", _DATETIME, nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("person", sa.JSON(), nullable=False),
        sa.CheckConstraint("change IN ('filed', 'withdrawn')", name=op.f("ck_filed_person_changes_change")),
        sa.ForeignKeyConstraint(
            ["by"], ["credentials.id"], name=op.f("fk_filed_person_changes_by_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["filed_people.id"], name=op.f("fk_filed_person_changes_person_id_filed_people")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_filed_person_changes_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filed_person_changes")),
    )
    op.create_index(
        op.f("ix_filed_person_changes_person_id"), "filed_person_changes", ["person_id"], unique=False
    )
    op.create_index(
        op.f("ix_filed_person_changes_unit_id"), "filed_person_changes", ["unit_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_filed_person_changes_unit_id"), table_name="filed_person_changes")
    op.drop_index(op.f("ix_filed_person_changes_person_id"), table_name="filed_person_changes")
    op.drop_table("filed_person_changes")
    op.drop_index(op.f("ix_filed_people_unit_id"), table_name="filed_people")
    op.drop_table("filed_people")
    with op.batch_alter_table("restricted_callers", schema=None) as batch_op:
        for name, _ in reversed(_RESTRICTION_COLUMNS):
            batch_op.drop_column(name)
    # A county office's credential has no place in the older schema: it goes with the role.
    op.execute("DELETE FROM credentials WHERE role = 'county_office'")
    _credential_checks(_ROLES_BEFORE, _BOUND_BEFORE)
