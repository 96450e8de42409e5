"""Units (A4–A6) and bearer credentials: created here, by the CLI and by the API alike.

A token is random (`secrets.token_urlsafe`), shown once to whoever issues it, and stored only as its
SHA-256 digest: a random 256-bit token needs no salt or slow hash, and a leaked table reveals no token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.api_models import UNIT_KINDS, CredentialRow, UnitRow

Role = Literal["operator", "county_office", "unit_staff", "integrator"]
# A4: bound to one unit: unit staff to theirs, a county's designated office to the county (its tree).
BOUND_ROLES = frozenset({"unit_staff", "county_office"})
UnitKind = Literal["county", "department", "town", "utility", "sub_centre", "other"]
assert set(UnitKind.__args__) == set(UNIT_KINDS)  # type: ignore[attr-defined]

# Unit ids appear in timeline labels ("unit:<id>") and are matched inside JSON lists: keep them plain.
UNIT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class UnitError(ValueError):
    """A unit that cannot be created as asked; `code` is the API's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedCredential:
    id: int
    token: str  # shown once; only its digest is stored


def digest(secret: str) -> str:
    """The stored form of a token, access secret or rating code."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_unit(
    session_maker: async_sessionmaker[AsyncSession],
    *,
    unit_id: str,
    name: str,
    tier: int,
    kind: UnitKind = "other",
    parent_id: str | None = None,
    now: datetime | None = None,
) -> UnitRow:
    """A6: a unit sits below a unit of a higher tier (a smaller number): tier 3 under tier 2, and so on."""
    if not re.fullmatch(UNIT_ID_PATTERN, unit_id):
        raise UnitError("INVALID_UNIT_ID", f"unit id must match {UNIT_ID_PATTERN}")
    if tier not in (1, 2, 3):
        raise UnitError("INVALID_TIER", "tier is 1, 2 or 3")
    async with session_maker.begin() as session:
        if parent_id is not None:
            parent = await session.get(UnitRow, parent_id)
            if parent is None:
                raise UnitError("UNKNOWN_UNIT", f"no parent unit {parent_id}")
            if parent.deactivated_at is not None:
                raise UnitError("UNIT_DEACTIVATED", f"parent unit {parent_id} is deactivated")
            if parent.tier >= tier:
                raise UnitError(
                    "PARENT_TIER", f"a tier-{tier} unit cannot sit below a tier-{parent.tier} unit"
                )
        if await session.get(UnitRow, unit_id) is not None:
            raise UnitError("UNIT_EXISTS", f"unit {unit_id} already exists")
        row = UnitRow(
            id=unit_id,
            name=name,
            tier=tier,
            parent_id=parent_id,
            kind=kind,
            created_at=now or datetime.now(UTC),
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # created concurrently between the check and the insert
            raise UnitError("UNIT_EXISTS", f"unit {unit_id} already exists") from None
    return row


async def deactivate_unit(
    session_maker: async_sessionmaker[AsyncSession], unit_id: str, now: datetime | None = None
) -> tuple[UnitRow, int]:
    """Take a unit off the hotline: every credential of its staff is revoked in the same transaction (the
    next request with one is 401), and it receives no new tickets (api/units.py require_units). Its open
    tickets stay where they are, for the hotline office to redispatch. Again on a deactivated unit: no-op.
    Returns the unit and how many credentials were revoked now."""
    moment = now or datetime.now(UTC)
    async with session_maker.begin() as session:
        row = await session.get(UnitRow, unit_id)
        if row is None:
            raise UnitError("UNKNOWN_UNIT", f"no unit {unit_id}")
        if row.deactivated_at is None:
            row.deactivated_at = moment
        revoked = await session.execute(
            update(CredentialRow)
            .where(CredentialRow.unit_id == unit_id, CredentialRow.revoked_at.is_(None))
            .values(revoked_at=moment)
        )
    return row, int(revoked.rowcount)  # type: ignore[attr-defined]


async def issue_credential(
    session_maker: async_sessionmaker[AsyncSession],
    *,
    role: Role,
    name: str,
    unit_id: str | None = None,
    confidential_clearance: bool = False,
    line: str | None = None,
    now: datetime | None = None,
) -> IssuedCredential:
    if (role in BOUND_ROLES) != (unit_id is not None):
        raise UnitError(
            "UNIT_REQUIRED",
            "unit staff and a county office (A4) are bound to exactly one unit; other roles to none",
        )
    if line is not None and role != "integrator":
        raise UnitError(
            "LINE_FOR_INTEGRATORS", "a credential bound to an emergency line is an integrator's (A23)"
        )
    token = new_token()
    async with session_maker.begin() as session:
        unit = await session.get(UnitRow, unit_id) if unit_id is not None else None
        if unit_id is not None and unit is None:
            raise UnitError("UNKNOWN_UNIT", f"no unit {unit_id}")
        if unit is not None and unit.deactivated_at is not None:
            raise UnitError("UNIT_DEACTIVATED", f"unit {unit_id} is deactivated")
        row = CredentialRow(
            token_hash=digest(token),
            role=role,
            unit_id=unit_id,
            name=name,
            confidential_clearance=confidential_clearance,
            line=line,
            created_at=now or datetime.now(UTC),
        )
        session.add(row)
        await session.flush()
        return IssuedCredential(id=row.id, token=token)


async def revoke_credential(
    session_maker: async_sessionmaker[AsyncSession], credential_id: int, now: datetime | None = None
) -> bool:
    async with session_maker.begin() as session:
        row = await session.scalar(select(CredentialRow).where(CredentialRow.id == credential_id))
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now or datetime.now(UTC)
        return True
