"""A5/A15: the register of each member unit's hotline people filed with the office (备案), with every change
to it. Not rebuildable from the workflows: the office's own data, like the units.

A5 「各成员单位热线工作分管领导及工作人员如有调整，应及时报12345热线工作领导小组办公室备案」: a unit
files its first-responsible leader (主要领导), its leader in charge (分管领导) and its hotline staff; A15's
return sign-off names a filed leader, or a person a filed leader authorised (经授权的有关负责同志).
A change never rewrites a row: a person leaves the register by withdrawal (`withdrawn_at`), and every
filing and withdrawal is a row of `filed_person_changes`, with who made it and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, Base, UtcDateTime

# A5: who a unit files. Signers (A15) are the leaders and those a leader authorised.
FILED_ROLES = ("first_responsible", "leader_in_charge", "staff", "authorised_signatory")
LEADER_ROLES = ("first_responsible", "leader_in_charge")
FILING_CHANGES = ("filed", "withdrawn")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FiledPersonRow(Base):
    __tablename__ = "filed_people"
    __table_args__ = (
        CheckConstraint(_one_of("role", FILED_ROLES), name="role"),
        # A15: an authorised signatory names the filed leader who authorised them; nobody else does.
        CheckConstraint(
            "(role = 'authorised_signatory') = (authorised_by IS NOT NULL)", name="authorised_by_leader"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(SHORT)
    title: Mapped[str] = mapped_column(SHORT)
    phone: Mapped[str] = mapped_column(SHORT, default="")
    authorised_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("filed_people.id"))
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    filed_by: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FiledPersonChangeRow(Base):
    """One filing or withdrawal: the register's history (A5 「如有调整……备案」)."""

    __tablename__ = "filed_person_changes"
    __table_args__ = (CheckConstraint(_one_of("change", FILING_CHANGES), name="change"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(Integer, ForeignKey("filed_people.id"), index=True)
    unit_id: Mapped[str] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    change: Mapped[str] = mapped_column(CODE)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    # The person as filed, so the history reads without joining a row that may change later.
    person: Mapped[dict[str, Any]] = mapped_column(JSON)
