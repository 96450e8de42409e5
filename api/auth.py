"""Who is calling: a bearer token looked up by its SHA-256 digest in `credentials`.

The Actor a workflow sees is built here from the credential, never from a request body, so nobody can act
as another unit by naming it.

Every request asks who is calling, and most of them in a burst of one clerk's work: `CredentialCache`
keeps what a token resolved to for `HOTLINE_CREDENTIAL_CACHE_SECONDS` (5), so a revocation made anywhere
(the CLI, another API process) is honoured within that many seconds, and one made through this process's
API (a unit's deactivation) at once. Unknown and revoked tokens are never kept: a new credential works at
once, and a flood of wrong tokens cannot fill the cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
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
    """The caller a token stands for, read now (uncached: the pages' sign-in and the codec server)."""
    return await _caller_for_digest(session_maker, digest(token))


async def _caller_for_digest(session_maker: async_sessionmaker[AsyncSession], token_hash: str) -> Caller:
    async with session_maker() as session:
        # Columns, not the mapped row: every request passes here, and an ORM entity costs more to load.
        row = (await session.execute(_CALLER_BY_DIGEST, {"token_hash": token_hash})).one_or_none()
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


class CredentialCache:
    """Token digest -> the Caller it resolved to and when (the `clock`'s seconds), for `seconds` at most.

    An entry is trusted only while younger than `seconds`, counted from the lookup that filled it, so a
    credential revoked at t is refused from t + `seconds` on, whoever revoked it. `seconds` 0 looks every
    token up. At most `max_entries` are kept, the least recently used dropped first."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[Caller, float]] = OrderedDict()

    async def caller(self, session_maker: async_sessionmaker[AsyncSession], token: str) -> Caller:
        token_hash = digest(token)
        if self.seconds <= 0:
            return await _caller_for_digest(session_maker, token_hash)
        entry = self._entries.get(token_hash)
        if entry is not None and self._clock() - entry[1] < self.seconds:
            self._entries.move_to_end(token_hash)
            return entry[0]
        # Stamped before the lookup: a revocation committed while it runs is still honoured in time.
        looked_up_at = self._clock()
        try:
            caller = await _caller_for_digest(session_maker, token_hash)
        except ApiError:
            self._entries.pop(token_hash, None)  # revoked meanwhile: refused from now on
            raise
        self._entries[token_hash] = (caller, looked_up_at)
        self._entries.move_to_end(token_hash)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return caller

    def forget_unit(self, unit_id: str) -> None:
        """A unit deactivated through this API: its staff's credentials are refused at once here."""
        for token_hash in [h for h, (c, _) in self._entries.items() if c.unit_id == unit_id]:
            del self._entries[token_hash]
