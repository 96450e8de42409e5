"""Attack: the requester's rating ignored its Idempotency-Key's binding.

A second rating under the same key answered 200 and was silently dropped (the update id replayed the
first). Now the key is claimed with the request, as a staff action's is (api/idempotency.py claim_key): the
same key with another body, or on another ticket, is 422 IDEMPOTENCY_KEY_REUSED; the same request again
answers as the first did.
"""

from __future__ import annotations

from typing import Any

from tests.api.support import Api


async def rating_ticket(api: Api) -> tuple[str, dict[str, str]]:
    """A consultation the hotline answered at once (A12): its requester rates it now (A24)."""
    created = await api.register(category="consultation", dispatch_to=None)
    await api.act(created["ticket_no"], "answer", {"answer": "社保卡补办请携带身份证到社保网点办理。"})
    return created["ticket_no"], {"X-Rating-Code": created["rating_code"]}


def rated_events(view: dict[str, Any]) -> int:
    return sum(1 for e in view["timeline"] if e["kind"] == "rated")


async def test_a_rating_key_is_bound_to_its_first_rating(api: Api) -> None:
    no, code = await rating_ticket(api)
    dissatisfied = {"acceptance": ["satisfied"], "handling": ["dissatisfied"]}
    first = await api.post(f"/public/tickets/{no}/rating", dissatisfied, as_=None, key="rate-K", headers=code)
    assert (first.status_code, first.json()["stage"]) == (200, "callback"), first.text

    # The attack: another rating under the same key. It was answered 200 and dropped.
    changed = {"acceptance": ["very_satisfied"], "handling": ["very_satisfied"]}
    reused = await api.post(f"/public/tickets/{no}/rating", changed, as_=None, key="rate-K", headers=code)
    assert (reused.status_code, reused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")

    # The same request again is a retry: the first outcome, and still one rating (A24).
    again = await api.post(f"/public/tickets/{no}/rating", dissatisfied, as_=None, key="rate-K", headers=code)
    assert again.status_code == 200 and again.json() == first.json()
    view = await api.ticket(no)
    assert rated_events(view) == 1 and view["stage"] == "callback"
    assert view["ratings"][0]["handling"]["option"] == "dissatisfied"

    # The same key on another ticket is another request under a used key.
    other, other_code = await rating_ticket(api)
    elsewhere = await api.post(
        f"/public/tickets/{other}/rating", dissatisfied, as_=None, key="rate-K", headers=other_code
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert rated_events(await api.ticket(other)) == 0
    fresh = await api.post(
        f"/public/tickets/{other}/rating", dissatisfied, as_=None, key="rate-L", headers=other_code
    )
    assert fresh.status_code == 200 and rated_events(await api.ticket(other)) == 1
