"""What several API test modules do to a ticket through HTTP: take it to its conclusion, and let the
dispatcher deliver what its outbox holds."""

from __future__ import annotations

from typing import Any

from tests.api.support import Api, closure_body
from tests.delivery.support import all_settled, dispatching, fast_settings


async def concluded_ticket(api: Api, **registration: Any) -> dict[str, Any]:
    """A complaint handled, approved and rated satisfied by its requester (A20, A24)."""
    created = await api.register(dispatch_to="WJ-URBAN", **registration)
    no = created["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    await api.act(no, "contacts", {"purpose": "result", "reached": True}, as_="urban")
    t = await api.act(
        no, "closure", closure_body(["修复解放路路灯", "说明维修时限"], await api.now()), as_="urban"
    )
    await api.act(no, "closure/review", {"approve": True})
    rated = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["very_satisfied"]},
        as_=None,
        headers={"X-Rating-Code": created["rating_code"]},
    )
    assert rated.json()["stage"] == "concluded", t
    return created


async def drain(api: Api, **settings: Any) -> None:
    async with dispatching(fast_settings(**settings), api.session_maker, api.env.client):
        await all_settled(api.session_maker, client=api.env.client)
