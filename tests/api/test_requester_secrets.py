"""Finding 3 of the outside attack: the database stored the nonce from which a registration's access
secret and rating code could be recomputed, given the server's token secret.

Now nothing stored regenerates them: the requester_access row holds their SHA-256 digests (what
verification needs), and a registration's idempotency claim holds the digest of the caller's key, not the
key the secrets derive from. Each check below is tried against every stored value with the token secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update

from api.registration import requester_secrets
from db.api_models import IdempotencyKeyRow, RequesterAccessRow
from operations.credentials import digest
from tests.api.support import Api, registration_body


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


async def stored_values(api: Api, ticket_no: str) -> list[str]:
    """Every string the API's tables keep about this registration's secrets."""
    async with api.session_maker() as session:
        access = await session.get(RequesterAccessRow, ticket_no)
        claims = (
            await session.scalars(select(IdempotencyKeyRow).where(IdempotencyKeyRow.ticket_no == ticket_no))
        ).all()
    assert access is not None
    values = [access.ticket_no, access.secret_hash, access.rating_code_hash]
    for claim in claims:
        assert "nonce" not in claim.payload, claim.payload
        values += [claim.key, claim.scope, claim.request_hash, *strings_in(claim.payload)]
    return values


async def public(api: Api, ticket_no: str, secret: str) -> int:
    response = await api.get(f"/public/tickets/{ticket_no}", as_=None, headers={"X-Access-Secret": secret})
    return response.status_code


def other_than(secret: str) -> str:
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


async def test_no_stored_value_regenerates_the_secrets_and_they_still_verify(api: Api) -> None:
    token_secret = api.app.state.runtime.settings.token_secret
    for key in ("reg-secret-1", None):
        created = await api.post("/tickets", registration_body(), key=key)
        assert created.status_code == 201, created.text
        no, secret, code = (created.json()[k] for k in ("ticket_no", "access_secret", "rating_code"))

        stored = await stored_values(api, no)
        assert secret not in stored and code not in stored
        for value in stored:  # the attack: the token secret and a stored value give the secrets back
            assert requester_secrets(token_secret, no, value) != (secret, code), value
        assert digest(secret) in stored and digest(code) in stored  # what verification needs
        if key is not None:
            # The check can fail: the caller's own key, which the database does not hold, regenerates them.
            assert requester_secrets(token_secret, no, key) == (secret, code)
            assert key not in stored

        assert await public(api, no, secret) == 200
        assert await public(api, no, other_than(secret)) == 404
        assert await public(api, no, code) == 404  # the rating code is not the access secret
        rated = await api.post(
            f"/public/tickets/{no}/rating",
            {"acceptance": ["satisfied"], "handling": ["satisfied"]},
            as_=None,
            headers={"X-Rating-Code": other_than(code)},
        )
        assert rated.status_code == 404, rated.text

    # A retry with the key: the same secrets, derived afresh; they open the ticket.
    again = await api.post("/tickets", registration_body(), key="reg-secret-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await public(api, again.json()["ticket_no"], again.json()["access_secret"]) == 200


async def test_a_retry_of_a_claim_migrated_without_its_nonce_gets_new_working_secrets(api: Api) -> None:
    """A claim as migration 0007 leaves it (nonce removed, `secrets_withheld`): its secrets cannot be
    derived again, so the retry issues new ones and the old ones stop working."""
    body = registration_body()
    first = (await api.post("/tickets", body, key="reg-legacy")).json()
    async with api.session_maker.begin() as session:
        claim = (await session.scalars(select(IdempotencyKeyRow))).one()
        await session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.key == claim.key)
            .values(payload={"registration": claim.payload["registration"], "secrets_withheld": True})
        )
    again = await api.post("/tickets", body, key="reg-legacy")
    assert again.status_code == 201, again.text
    no = first["ticket_no"]
    assert again.json()["ticket_no"] == no and again.json()["access_secret"] != first["access_secret"]
    assert await public(api, no, again.json()["access_secret"]) == 200
    assert await public(api, no, first["access_secret"]) == 404
    async with api.session_maker() as session:
        access = await session.get(RequesterAccessRow, no)
    assert access is not None and access.rating_code_hash == digest(again.json()["rating_code"])
