"""Registering a ticket (A2, A12): number it, issue the requester's secrets (A19, A24), start its workflow.

Idempotency: with an `Idempotency-Key`, the first request claims (key, caller) in `idempotency_keys` in the
same transaction that stores the requester's access digests; a retry, sequential or concurrent, finds the
claim and answers with the same ticket. The claim keeps the Registration, so a retry also starts the
workflow if the first attempt died before it did (a second start of one ticket id is a no-op).

The requester's secret and rating code are shown once and stored as digests only, and nothing stored
regenerates them, even with the server's `token_secret` (the outside attack found the nonce they derived
from kept in the claim). Both derive (HMAC-SHA256 under `token_secret`) from the ticket number and either a
random nonce that is never stored (no Idempotency-Key: there is no retry to answer) or the Idempotency-Key
itself, which the caller sends again with its retry and which the claim keeps only as a SHA-256 digest. A
retry therefore gets the same secrets back, derived afresh; a secret is as hard to guess as the key it came
from, so a registering system's keys must be random (a UUID), as the API documents for every key.

A claim made before migration 0007 kept the nonce, which the migration removed (`secrets_withheld`): a
retry of such a registration is answered with new secrets, whose digests replace the old ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Caller, Role
from api.county import require_in_county
from api.dispatch_advice import advice_for, use_suggestion
from api.edge import written_phone
from api.errors import ApiError, invalid
from api.idempotency import claim_key
from api.linkage_list import listed_matters
from api.pages.links import PROGRESS_LINK_LIFETIME, Purpose, page_path, store_link
from api.preconditions import active_restriction, require_sub_centre, require_units
from api.repeats import Asked, refuse_terminated_matter, repeat_candidates
from api.runtime import Runtime
from api.schemas import RegistrationCreated
from api.ticket_access import relation_in, ticket_view
from db.api_models import IdempotencyKeyRow, RequesterAccessRow
from db.models import RuleSetRow
from domain.calendar import SHANGHAI
from domain.commands import Registration
from domain.linkage import LINES, EmergencyMatter, match
from domain.rulesets import DEFAULT_RULE_SETS
from domain.vocabulary import Channel
from operations.credentials import digest
from workflows.ticket import ticket_workflow_id

TICKET_PREFIX = "GD12345"
# A clock a little ahead on the registering machine is tolerated; a received_at further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
_NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class Registered:
    created: RegistrationCreated
    replayed: bool


def new_ticket_no(now: datetime) -> str:
    """`GD12345-<local date>-<8 hex>`: readable on the phone, unguessable enough not to be enumerated."""
    return f"{TICKET_PREFIX}-{now.astimezone(SHANGHAI):%Y%m%d}-{secrets.token_hex(4).upper()}"


def derived_secret(server_secret: str, purpose: str, ticket_no: str, nonce: str, size: int) -> str:
    mac = hmac.new(server_secret.encode(), f"{purpose}|{ticket_no}|{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:size]).decode().rstrip("=")


def progress_link_token(server_secret: str, ticket_no: str, nonce: str) -> str:
    """A19: the token of the progress page's link (192 bits), derived like the secrets so a retry gets it."""
    return derived_secret(server_secret, "progress-link", ticket_no, nonce, 24)


def requester_secrets(server_secret: str, ticket_no: str, nonce: str) -> tuple[str, str]:
    """(access secret, rating code): 144 bits for the progress secret, 72 for a code typed from an SMS."""
    return (
        derived_secret(server_secret, "access", ticket_no, nonce, 18),
        derived_secret(server_secret, "rating", ticket_no, nonce, 9),
    )


async def register(
    runtime: Runtime,
    caller: Caller,
    body: BaseModel,
    key: str | None,
    now: datetime,
    *,
    number: str | None = None,
) -> Registered:
    """`number`: a ticket number chosen in advance (the demo's, which the API's examples name); the API
    always draws one."""
    fields: dict[str, Any] = dict(body)
    if caller.role == Role.INTEGRATOR and (fields.get("dispatch_to") or fields.get("co_units")):
        # A12: the hotline office classifies and dispatches; other systems only register.
        raise ApiError(403, "FORBIDDEN", "only the hotline office dispatches a ticket", "A12")
    received_at: datetime = fields.pop("received_at") or now
    if received_at > now + CLOCK_SKEW:
        raise invalid("RECEIVED_IN_FUTURE", "received_at lies in the future", "A2")
    _linkage_source_is_the_caller_s(caller, fields)
    requester = fields.get("requester")
    if requester is not None and requester.phone:
        # A11: kept in its one spelling, so a restriction matches it however it was written.
        phone = written_phone(requester.phone, "requester.phone")
        fields["requester"] = requester.model_copy(update={"phone": phone})
    if fields.get("co_units") and not fields.get("dispatch_to"):
        raise invalid("CO_UNITS_WITHOUT_LEAD", "co-units assist a lead unit: name `dispatch_to` too", "A14")
    suggestion_id = fields.pop("dispatch_suggestion_id", None)
    if fields.get("transferred_by_call") and fields.get("channel") != Channel.PHONE:
        raise invalid("NOT_A_CALL", "only a phone call is transferred to a sub-centre", "A8")
    async with runtime.session_maker() as session:
        if suggestion_id is not None:
            # A14: the catalogue's suggestion this registration confirms or overrides, recorded on the ticket.
            fields["dispatch_advice"] = await advice_for(
                session, caller, suggestion_id, fields.get("dispatch_to")
            )
        confidential = getattr(fields.get("requester"), "confidential", False)
        await require_in_county(session, caller, [fields.get("dispatch_to"), *fields.get("co_units", [])])
        await require_units(
            session, fields.get("co_units", []), lead=fields.get("dispatch_to"), confidential=confidential
        )
        if fields.get("transferred_by_call"):
            await require_sub_centre(session, fields.get("dispatch_to"))
        await _require_rule_set(session, fields.get("rule_set_id"))
        _emergency_if_listed(fields, await listed_matters(session))
        phone = getattr(fields.get("requester"), "phone", "")
        # A11: the operator taking the call sees when the caller's restriction ends.
        restriction = await active_restriction(session, phone, received_at) if phone else None
        if (
            not fields.get("repeat_of")
            and not fields.get("new_facts")
            and not await _retried(session, caller, key)
        ):
            # A18 even when the operator typed no repeat_of: the same requester, the same matter. (A retry of
            # a registration already made answers with its ticket, whatever was filed since.)
            await refuse_terminated_matter(session, _asked(fields), runtime.settings)

    request_hash = digest(body.model_dump_json())
    scope = _scope(caller)
    # The secrets' material: the key the caller keeps (and sends again to retry), or a nonce kept nowhere.
    nonce = key if key is not None else secrets.token_urlsafe(16)
    for _ in range(_NUMBER_ATTEMPTS):
        registration = Registration.model_validate(
            fields
            | {
                "ticket_no": number or new_ticket_no(now),
                "received_at": received_at,
                "registered_by": caller.actor,
            }
        )
        try:
            earlier = await _claim(runtime, registration, nonce, key, scope, request_hash, now)
            break
        except IntegrityError:
            continue  # the random number is taken: draw another
    else:
        raise ApiError(503, "UNAVAILABLE", "could not allocate a ticket number; retry")

    replayed = earlier is not None
    if earlier is not None:
        if earlier.request_hash != request_hash:
            raise invalid("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for another registration")
        registration = Registration.model_validate(earlier.payload["registration"])
        if earlier.payload.get("secrets_withheld"):  # claimed before migration 0007
            nonce = await _reissue_secrets(runtime, registration.ticket_no, now)
    await runtime.temporal.start_ticket(registration)
    created = _created(runtime, registration, nonce)
    created.caller_restricted_until = restriction.until if restriction is not None else None
    state = await runtime.temporal.opened_state(registration.ticket_no)
    # A4: a county office's relation reads its county's units (relation_in), the others' need none.
    relation = await relation_in(runtime, caller, state) if state is not None else None
    if state is not None and relation is not None:
        created.ticket = await ticket_view(runtime, caller, state, relation, "register")
    if caller.role == Role.OPERATOR:
        # A10.6: while the caller is on the line, the earlier tickets this may repeat (or be joined to).
        async with runtime.session_maker() as session:
            created.repeat_candidates = await repeat_candidates(
                session, caller, _asked(fields, exclude=registration.ticket_no), runtime.settings, now
            )
    return Registered(created, replayed)


async def _retried(session: AsyncSession, caller: Caller, key: str | None) -> bool:
    if key is None:
        return False
    claim = await session.get(IdempotencyKeyRow, (claimed_key(key), _scope(caller)))
    return claim is not None


def _asked(fields: dict[str, Any], exclude: str | None = None) -> Asked:
    requester = fields.get("requester")
    return Asked(
        content=fields.get("content") or "",
        location=fields.get("location") or "",
        phone=requester.phone if requester is not None else "",
        exclude=exclude,
    )


async def _claim(
    runtime: Runtime,
    registration: Registration,
    nonce: str,
    key: str | None,
    scope: str,
    request_hash: str,
    now: datetime,
) -> IdempotencyKeyRow | None:
    """Store the access digests (and the idempotency claim); the earlier claim if the key was used."""
    access, rating = requester_secrets(runtime.settings.token_secret, registration.ticket_no, nonce)
    async with runtime.session_maker.begin() as session:
        if key is not None:
            earlier = await claim_key(
                session,
                key=claimed_key(key),
                scope=scope,
                request_hash=request_hash,
                ticket_no=registration.ticket_no,
                payload={"registration": registration.model_dump(mode="json")},
                now=now,
            )
            if earlier is not None:
                return earlier
        await use_suggestion(session, registration, now)
        session.add(
            RequesterAccessRow(
                ticket_no=registration.ticket_no,
                secret_hash=digest(access),
                rating_code_hash=digest(rating),
                created_at=now,
            )
        )
        await session.flush()
        link = progress_link_token(runtime.settings.token_secret, registration.ticket_no, nonce)
        await store_link(
            session,
            link,
            registration.ticket_no,
            Purpose.PROGRESS,
            now=now,
            expires_at=now + PROGRESS_LINK_LIFETIME,
        )
    return None


def _scope(caller: Caller) -> str:
    return f"register:cred-{caller.credential_id}"


def claimed_key(key: str) -> str:
    """How a registration's Idempotency-Key is kept: its digest, for the key is what its secrets come from."""
    return digest(key)


async def _reissue_secrets(runtime: Runtime, ticket_no: str, now: datetime) -> str:
    """New secrets for a registration claimed before 0007 (its nonce is gone): their digests replace the
    stored ones, so the secrets of the first answer stop working and this answer's work."""
    nonce = secrets.token_urlsafe(16)
    access, rating = requester_secrets(runtime.settings.token_secret, ticket_no, nonce)
    async with runtime.session_maker.begin() as session:
        row = await session.get(RequesterAccessRow, ticket_no)
        if row is None:
            session.add(
                RequesterAccessRow(
                    ticket_no=ticket_no,
                    secret_hash=digest(access),
                    rating_code_hash=digest(rating),
                    created_at=now,
                )
            )
        else:
            row.secret_hash, row.rating_code_hash = digest(access), digest(rating)
    return nonce


def _created(runtime: Runtime, registration: Registration, nonce: str) -> RegistrationCreated:
    access, rating = requester_secrets(runtime.settings.token_secret, registration.ticket_no, nonce)
    no = registration.ticket_no
    return RegistrationCreated(
        ticket_no=no,
        workflow_id=ticket_workflow_id(no),
        received_at=registration.received_at,
        access_secret=access,
        rating_code=rating,
        progress_path=f"/public/tickets/{no}",
        rating_path=f"/public/tickets/{no}/rating",
        progress_page=page_path(progress_link_token(runtime.settings.token_secret, no, nonce)),
    )


async def _require_rule_set(session: AsyncSession, rule_set_id: str | None) -> None:
    """A17.4/A17.5/A33: a named rule set must exist, or the workflow could not open the ticket."""
    if rule_set_id is None or rule_set_id in {r.id for r in DEFAULT_RULE_SETS}:
        return
    if await session.scalar(select(RuleSetRow.id).where(RuleSetRow.id == rule_set_id).limit(1)) is None:
        raise invalid("UNKNOWN_RULE_SET", f"no rule set {rule_set_id}", "A33")


def _linkage_source_is_the_caller_s(caller: Caller, fields: dict[str, Any]) -> None:
    """A23: a line hands a matter to 12345 with its own credential and reference (channel `linkage`)."""
    source = fields.get("linkage_source")
    if (fields.get("channel") == Channel.LINKAGE) != (source is not None):
        raise invalid(
            "LINKAGE_SOURCE", "a hand-over from a line has channel `linkage` and its `linkage_source`", "A23"
        )
    if source is not None and caller.line != source.line:
        raise ApiError(403, "LINE_MISMATCH", f"this credential does not act for line {source.line}", "A23")


def _emergency_if_listed(fields: dict[str, Any], matters: list[EmergencyMatter]) -> None:
    """A23: a matter on the emergency list is an emergency (A17.3) linked to the list's lines; the operator
    may still flag one by hand."""
    found = match(
        matters, fields.get("matter_type") or "", fields.get("content") or "", fields.get("location") or ""
    )
    if found is None:
        return
    fields["emergency"] = True
    fields["linkage"] = sorted({*fields.get("linkage", []), *found.lines}, key=LINES.index)
