"""A14 派单目录: the dispatch catalogue the office edits at run time, every change to it, and each suggestion it
made with what the operator chose. The office's own data, like the units: not rebuildable from workflows
(a ticket's own record of its suggestion is in its registration, `dispatch_advice`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, TICKET_NO, Base, UtcDateTime

MATTER_CODE = String(8)


class MatterTypeRow(Base):
    """A node of the matter-type tree; its parent is its code less the last two digits (GB/T 39666)."""

    __tablename__ = "dispatch_matter_types"

    code: Mapped[str] = mapped_column(MATTER_CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(SHORT, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AreaRow(Base):
    """The city, a county or district, or a town or street, with the names callers say."""

    __tablename__ = "dispatch_areas"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(CODE, ForeignKey("dispatch_areas.id"), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DispatchEntryRow(Base):
    """A matter type in an area → the lead unit (A6: a member unit) and its default co-units."""

    __tablename__ = "dispatch_entries"

    matter_code: Mapped[str] = mapped_column(
        MATTER_CODE, ForeignKey("dispatch_matter_types.code"), primary_key=True
    )
    area_id: Mapped[str] = mapped_column(CODE, ForeignKey("dispatch_areas.id"), primary_key=True, index=True)
    lead_unit: Mapped[str] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    co_units: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(SHORT, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CatalogueChangeRow(Base):
    """The catalogue's audit: one row per change, numbered; the highest number is the catalogue's revision,
    which each suggestion records. `before`/`after` hold the item as it was and became (None: absent)."""

    __tablename__ = "dispatch_catalogue_changes"

    revision: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None: the seed (db/catalogue.py), made by no one's credential.
    credential_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))
    subject: Mapped[str] = mapped_column(String(16))  # matter_type, area, entry, seed
    key: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DispatchSuggestionRow(Base):
    """A suggestion shown to an operator, and, once a registration used it, what the operator chose."""

    __tablename__ = "dispatch_suggestions"
    __table_args__ = (Index("ix_dispatch_suggestions_made_at", "made_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)
    made_by: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"), index=True)
    catalogue_revision: Mapped[int] = mapped_column(Integer)
    matter_code: Mapped[str] = mapped_column(MATTER_CODE)
    area_id: Mapped[str | None] = mapped_column(CODE)
    reason: Mapped[str] = mapped_column(String(32))  # domain/dispatch_catalogue.py SuggestionReason
    lead_unit: Mapped[str | None] = mapped_column(CODE)
    co_units: Mapped[list[str]] = mapped_column(JSON)
    # Filled by the registration that used it (one registration per suggestion).
    ticket_no: Mapped[str | None] = mapped_column(TICKET_NO, unique=True)
    chosen_lead: Mapped[str | None] = mapped_column(CODE)
    chosen_co_units: Mapped[list[str] | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(16))  # domain/vocabulary.py DispatchDecision
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
