"""A23: the hotline's registers for linkage with the emergency lines — the emergency-matter list the office
edits at run time (突发事项清单) and each line's system the hand-overs go to. Not rebuildable from the
workflows: the office's own data, like the units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, Base, UtcDateTime


class EmergencyMatterRow(Base):
    __tablename__ = "emergency_matters"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    matter_type: Mapped[str] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSON)
    lines: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(SHORT, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LinkageLineRow(Base):
    """Where a line's system takes hand-overs (`POST {endpoint}/handovers`) and results (`/results`)."""

    __tablename__ = "linkage_lines"

    line: Mapped[str] = mapped_column(String(3), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(500))
    # Sent as `Authorization: Bearer …` to the line's system, if it asks for one.
    token: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
