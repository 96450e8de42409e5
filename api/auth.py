"""Who is calling: a bearer token looked up by its SHA-256 digest in `credentials`.

The Actor a workflow sees is built here from the credential, never from a request body, so nobody can act
as another unit by naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fastapi.security import HTTPBearer
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import ApiError
from db.api_models import CredentialRow
from domain.commands import Actor
from domain.vocabulary import ActorKind
from operations.credentials import digest


class Role(StrEnum):
    OPERATOR = "operator"  # the hotline office (tier 1)
    # A4: a county's designated office, bound to the county's unit: it receives, dispatches, supervises,
    # assesses, calls back and archives the tickets of its own county (the unit's tree), and no other.
    COUNTY_OFFICE = "county_office"
    UNIT_STAFF = "unit_staff"  # a member unit's staff, bound to one unit
    INTEGRATOR = "integrator"  # another system registering tickets (a platform, a sub-centre)


_ACTOR_KIND = {
    Role.OPERATOR: ActorKind.OPERATOR,
    # The workflow sees the office acting; which county's is the API's to check (api/privacy.py).
    Role.COUNTY_OFFICE: ActorKind.OPERATOR,
    Role.UNIT_STAFF: ActorKind.UNIT,
    Role.INTEGRATOR: ActorKind.INTEGRATOR,
}

bearer_scheme = HTTPBearer(
    auto_error=False,  # a missing token is answered by `authenticate` with our own 401 body
    scheme_name="bearer",
    description="A token issued with `python -m operations issue-credential` (shown once).",
)


@dataclass(frozen=True)
class Caller:
    credential_id: int
    role: Role
    name: str
    unit_id: str | None
    # A32: may see tickets of requesters who asked for confidentiality.
    confidential_clearance: bool
    # A23: an integrator's credential for one emergency line acts for that line only.
    line: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(
            kind=_ACTOR_KIND[self.role],
            id=f"cred-{self.credential_id}",
            name=self.name[:200],
            unit_id=self.unit_id,
        )

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def county(self) -> str | None:
        """A4: the county (its unit) a county office acts for; None for every other caller."""
        return self.unit_id if self.role == Role.COUNTY_OFFICE else None

    @property
    def is_unit(self) -> bool:
        return self.role == Role.UNIT_STAFF


_CALLER_BY_DIGEST = select(
    CredentialRow.id,
    CredentialRow.role,
    CredentialRow.name,
    CredentialRow.unit_id,
    CredentialRow.confidential_clearance,
    CredentialRow.line,
).where(CredentialRow.token_hash == bindparam("token_hash"), CredentialRow.revoked_at.is_(None))


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message, headers={"WWW-Authenticate": "Bearer"})


async def caller_for_token(session_maker: async_sessionmaker[AsyncSession], token: str) -> Caller:
    async with session_maker() as session:
        # Columns, not the mapped row: every request passes here, and an ORM entity costs more to load.
        row = (await session.execute(_CALLER_BY_DIGEST, {"token_hash": digest(token)})).one_or_none()
    if row is None:
        raise unauthenticated("unknown or revoked token")
    return Caller(
        credential_id=row.id,
        role=Role(row.role),
        name=row.name,
        unit_id=row.unit_id,
        confidential_clearance=row.confidential_clearance,
        line=row.line,
    )
