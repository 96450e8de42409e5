"""An action's A32 audit row written with its Idempotency-Key claim, in one transaction (issue 17, B2).

What must still hold: every answer that shows the requester unmasked leaves exactly one `identity_reads`
row, with or without a key; a retried key answers with the first outcome and has one effect; a key reused
for another request is refused and leaves no audit row, since nothing was shown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.api_models import IdempotencyKeyRow, IdentityReadRow
from tests.api.support import Api
from tests.support import on_each_database


async def audit_rows(api: Api, ticket_no: str) -> list[tuple[int, str]]:
    async with api.session_maker() as session:
        rows = await session.execute(
            select(IdentityReadRow.credential_id, IdentityReadRow.purpose)
            .where(IdentityReadRow.ticket_no == ticket_no)
            .order_by(IdentityReadRow.id)
        )
        return [(r.credential_id, r.purpose) for r in rows]


async def claims(api: Api, key: str) -> int:
    async with api.session_maker() as session:
        query = select(func.count()).select_from(IdempotencyKeyRow).where(IdempotencyKeyRow.key == key)
        return int(await session.scalar(query) or 0)


def signed_for(view: dict[str, Any]) -> int:
    return sum(1 for e in view["timeline"] if e["kind"] == "signed_for")


@on_each_database
async def test_a_keyed_action_records_its_claim_and_its_audit_row_once_and_a_retry_replays(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    urban = api.credential_ids["urban"]
    before = await audit_rows(api, no)

    first = await api.post(f"/tickets/{no}/sign-for", as_="urban", key="sign-audit-1")
    assert first.status_code == 200, first.text
    assert first.json()["requester"]["masked"] is False
    # Both writes happened, the audit row once (not again by the view).
    assert await claims(api, "sign-audit-1") == 1
    assert (await audit_rows(api, no))[len(before) :] == [(urban, "action:sign_for")]

    again = await api.post(f"/tickets/{no}/sign-for", as_="urban", key="sign-audit-1")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # the first outcome, not a 409 for signing twice
    assert await claims(api, "sign-audit-1") == 1
    # The retry's answer showed the requester again: its own row.
    assert (await audit_rows(api, no))[len(before) :] == [(urban, "action:sign_for")] * 2
    assert signed_for(await api.ticket(no)) == 1


@on_each_database
async def test_a_reused_key_is_refused_without_an_audit_row(api: Api) -> None:
    first_no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    other_no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    assert (
        await api.post(f"/tickets/{first_no}/sign-for", as_="urban", key="sign-audit-2")
    ).status_code == 200
    before = await audit_rows(api, other_no)

    reused = await api.post(f"/tickets/{other_no}/sign-for", as_="urban", key="sign-audit-2")
    assert (reused.status_code, reused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert await audit_rows(api, other_no) == before
    assert (await api.ticket(other_no))["stage"] == "dispatched"


async def test_an_action_without_a_key_still_records_its_read_once(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    before = await audit_rows(api, no)
    await api.act(no, "sign-for", as_="urban")
    assert (await audit_rows(api, no))[len(before) :] == [(api.credential_ids["urban"], "action:sign_for")]
