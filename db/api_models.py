"""The API's own tables, on the shared `db.models.Base` so `create_schema` and Alembic see them.

Unlike the read model these are not rebuildable from the workflows: they are the hotline's registers of
units (A4–A6), credentials, requester access (A19/A24), idempotency records, the A32 audit log of who read
a requester's identity, the knowledge base points units upload (A16.6, A28, A29) with the hotline's error
notices on them, and the roster of leaders answering the hotline in person (A7).
No secret is stored in the clear: tokens, access secrets and rating codes are kept as SHA-256 digests.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import CODE, SHORT, TICKET_NO, Base, UtcDateTime

# A hex SHA-256 digest.
DIGEST = String(64)

UNIT_KINDS = ("county", "department", "town", "utility", "sub_centre", "other")
# A4: a county office (`county_office`) is bound to its county's unit, like unit staff to theirs.
ROLES = ("operator", "county_office", "unit_staff", "integrator")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UnitRow(Base):
    """A member unit (A4–A6): tier 1 city-level, tier 2 a member unit's platform, tier 3 its sub-units."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("tier IN (1, 2, 3)", name="tier"),
        CheckConstraint(_one_of("kind", UNIT_KINDS), name="kind"),
    )

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(SHORT)
    tier: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(CODE)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A unit taken off the hotline: its credentials are revoked and it receives no new tickets.
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CredentialRow(Base):
    """A bearer token for an operator, a unit's staff member (bound to one unit) or an integrator."""

    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        # Unit staff act for exactly one unit, a county office (A4) for its county's; the others for none.
        CheckConstraint(
            "(role IN ('unit_staff', 'county_office')) = (unit_id IS NOT NULL)", name="unit_staff_unit"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(DIGEST, unique=True)
    role: Mapped[str] = mapped_column(CODE)
    unit_id: Mapped[str | None] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(SHORT)
    # A32: only staff marked for confidential requests see a confidential requester's ticket.
    confidential_clearance: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A23: an integrator's credential for an emergency line (110, 119, 120, 122) acts for that line only.
    line: Mapped[str | None] = mapped_column(String(3))


class IdempotencyKeyRow(Base):
    """The first outcome of a POST carrying an `Idempotency-Key`, so a retry replays it.

    `scope` names the caller and the operation (a key is the caller's own); `request_hash` refuses the same
    key on a different body; `payload` holds what a replay needs (for a registration: the Registration, to
    start its workflow if the first attempt died before it did). A registration's `key` is the SHA-256
    digest of the caller's key, from which the requester's secrets derive (api/registration.py).
    """

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(DIGEST)
    ticket_no: Mapped[str | None] = mapped_column(TICKET_NO)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Indexed for the retention purge (operations/idempotency.py).
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RequesterAccessRow(Base):
    """A19/A24: the requester's progress secret and rating code, as digests (shown once, at registration).

    No foreign key to `tickets`: the read-model row appears only when the workflow first projects."""

    __tablename__ = "requester_access"

    ticket_no: Mapped[str] = mapped_column(TICKET_NO, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(DIGEST)
    rating_code_hash: Mapped[str] = mapped_column(DIGEST)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityReadRow(Base):
    """A32 audit log: one row per response that showed a requester's identity unmasked."""

    __tablename__ = "identity_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credential_id: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"), index=True)
    ticket_no: Mapped[str] = mapped_column(TICKET_NO, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the response was, e.g. "read" or "action:sign_for".
    purpose: Mapped[str] = mapped_column(String(100))


class KnowledgePointRow(Base):
    """A28/A29: a knowledge-base point a unit keeps current; A16.6 weighs its upload time."""

    __tablename__ = "knowledge_points"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    unit_id: Mapped[str] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(SHORT)
    body: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))
    # A28.1 duty (the default), A28.2 policy, A28.3 event script (domain/knowledge.py PointKind).
    kind: Mapped[str] = mapped_column(CODE, server_default="duty")
    # A28.2: a policy's publication day, and how many working days ahead it was reported.
    publishes_on: Mapped[date | None] = mapped_column(Date)
    report_lead_working_days: Mapped[int | None] = mapped_column(Integer)
    report_timing: Mapped[str | None] = mapped_column(CODE)
    # The last correction by the owning unit (A29 keeps it current; A28 error notices close with it).
    corrected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A29: the number of the current text (knowledge_point_versions keeps every one, the earlier included).
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # A29: a unit withdraws a point no longer right; A28.2/A28.3: a policy or an event's script may apply
    # until a day. Neither is searched after (api/kb/), both stay readable for the answers that cite them.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The search index (knowledge_terms): the analyzer version that indexed the current text (0: not yet)
    # and the text's length in index terms per field, which BM25 normalises by.
    indexed_by: Mapped[int] = mapped_column(Integer, server_default="0", index=True)
    title_terms: Mapped[int] = mapped_column(Integer, server_default="0")
    body_terms: Mapped[int] = mapped_column(Integer, server_default="0")
    gram_terms: Mapped[int] = mapped_column(Integer, server_default="0")


class KnowledgePointVersionRow(Base):
    """A29: every text a point has had, so an answer (A12) or a refusal (A16.6) cites the one it used."""

    __tablename__ = "knowledge_point_versions"

    point_id: Mapped[str] = mapped_column(CODE, ForeignKey("knowledge_points.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(SHORT)
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime)
    written_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))


class KnowledgeTermRow(Base):
    """The knowledge base's search index: how often each term occurs in a point's current text, per field
    (`t` title, `b` body, `g` character bigrams of both). Ranked in Python (api/kb/ranking.py), so SQLite
    and PostgreSQL give the same results. A withdrawn point has none."""

    __tablename__ = "knowledge_terms"

    term: Mapped[str] = mapped_column(CODE, primary_key=True)
    point_id: Mapped[str] = mapped_column(
        CODE, ForeignKey("knowledge_points.id"), primary_key=True, index=True
    )
    field: Mapped[str] = mapped_column(String(1), primary_key=True)
    tf: Mapped[int] = mapped_column(Integer)
    # The field's length in this point, kept with each posting so a search reads the postings alone.
    length: Mapped[int] = mapped_column(Integer)


class KnowledgeSynonymGroupRow(Base):
    """Words callers and points use for one thing (路灯/照明/道路照明), kept by the office at run time.
    A removed group is kept, marked, so reseeding the defaults never brings back what the office removed."""

    __tablename__ = "knowledge_synonym_groups"

    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    added_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    removed_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("credentials.id"))


class KnowledgeErrorRow(Base):
    """A28: an error the hotline found in a point, and whether the owning unit fixed it in time."""

    __tablename__ = "knowledge_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    point_id: Mapped[str] = mapped_column(CODE, ForeignKey("knowledge_points.id"), index=True)
    severity: Mapped[str] = mapped_column(CODE)  # domain/knowledge.py ErrorSeverity
    note: Mapped[str] = mapped_column(Text)
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    noticed_by: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    provisional: Mapped[bool] = mapped_column(Boolean)
    corrected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LeaderSessionRow(Base):
    """A7: a leader of the city, a county or a department answering the hotline in person, on the roster
    the hotline office keeps."""

    __tablename__ = "leader_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    leader_name: Mapped[str] = mapped_column(SHORT)
    title: Mapped[str] = mapped_column(SHORT)
    unit_id: Mapped[str] = mapped_column(CODE, ForeignKey("units.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int] = mapped_column(Integer, ForeignKey("credentials.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RequesterLinkRow(Base):
    """A19/A24: a link the requester's messages open (`/t/<token>`), by the digest of its token only.

    `purpose` is "progress" (follow the ticket, A19) or "rating" (one round's rating, A24: `rating_round`
    names it, and `used_at` spends it when the rating lands). Every link expires."""

    __tablename__ = "requester_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('progress', 'rating')", name="purpose"),
        CheckConstraint("(purpose = 'rating') = (rating_round IS NOT NULL)", name="rating_round"),
    )

    token_hash: Mapped[str] = mapped_column(DIGEST, primary_key=True)
    ticket_no: Mapped[str] = mapped_column(TICKET_NO, index=True)
    purpose: Mapped[str] = mapped_column(CODE)
    rating_round: Mapped[int | None] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Indexed for a purge of expired links.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
