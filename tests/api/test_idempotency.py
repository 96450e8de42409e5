"""Issue 3, must-show 6: duplicate POSTs with one Idempotency-Key make one ticket and have one effect.

The tests marked `on_each_database` (the ON CONFLICT claim of a registration, retried actions and ratings)
run on SQLite and on PostgreSQL (tests/support.py).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from api.app import create_app
from api.registration import claimed_key
from db.api_models import IdempotencyKeyRow, RequesterAccessRow
from operations.idempotency import purge_idempotency_keys
from tests.api.support import Api, api_settings, registration_body
from tests.support import on_each_database


async def count(api: Api, model: type[Any]) -> int:
    async with api.session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def kinds(view: dict[str, Any], kind: str) -> int:
    return sum(1 for e in view["timeline"] if e["kind"] == kind)


@on_each_database
async def test_a_retried_registration_answers_with_the_same_ticket_and_secrets(api: Api) -> None:
    body = registration_body()
    first = await api.post("/tickets", body, key="reg-1")
    again = await api.post("/tickets", body, key="reg-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()  # the same number, access secret and rating code (A19, A24)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    # The answer shows the ticket as opened: dispatched, with its deadlines.
    opened = first.json()["ticket"]
    assert (opened["stage"], opened["lead_unit"]) == ("dispatched", "WJ-URBAN") and opened["answer_due_at"]
    assert (await count(api, RequesterAccessRow), await count(api, IdempotencyKeyRow)) == (1, 1)
    no = first.json()["ticket_no"]
    # The answer comes once the workflow has opened the ticket: a read right after sees it dispatched.
    assert (await api.ticket(no))["stage"] == "dispatched"
    # The replayed secret is the real one: only its digest is stored, yet it opens the ticket.
    progress = await api.get(
        f"/public/tickets/{no}", as_=None, headers={"X-Access-Secret": again.json()["access_secret"]}
    )
    assert progress.status_code == 200


@on_each_database
async def test_concurrent_duplicate_registrations_make_one_ticket(api: Api) -> None:
    body = registration_body()
    answers = await asyncio.gather(*(api.post("/tickets", body, key="reg-concurrent") for _ in range(5)))

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["ticket_no"] for a in answers}) == 1
    assert len({a.json()["access_secret"] for a in answers}) == 1
    assert await count(api, RequesterAccessRow) == 1
    ticket = await api.ticket(answers[0].json()["ticket_no"])
    assert kinds(ticket, "registered") == 1 and kinds(ticket, "dispatched") == 1


@on_each_database
async def test_a_key_is_the_callers_own_and_bound_to_its_body(api: Api) -> None:
    first = await api.post("/tickets", registration_body(), key="reg-2")
    other_body = await api.post("/tickets", registration_body(content="另一件事"), key="reg-2")
    assert (other_body.status_code, other_body.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    # Another caller's identical key is another request.
    other_caller = await api.post(
        "/tickets", registration_body(dispatch_to=None, co_units=[]), as_="integrator", key="reg-2"
    )
    assert other_caller.status_code == 201
    assert other_caller.json()["ticket_no"] != first.json()["ticket_no"]


@on_each_database
async def test_a_retried_action_has_one_effect(api: Api) -> None:
    no = (await api.register(dispatch_to=None))["ticket_no"]

    first = await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN"}, key="dispatch-1")
    again = await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN"}, key="dispatch-1")
    assert again == first
    assert kinds(await api.ticket(no), "dispatched") == 1

    signed = await asyncio.gather(
        *(api.post(f"/tickets/{no}/sign-for", as_="urban", key="sign-1") for _ in range(5))
    )
    assert {s.status_code for s in signed} == {200}
    ticket = await api.ticket(no)
    assert ticket["stage"] == "handling" and kinds(ticket, "signed_for") == 1
    # Without the key a repeat is a new request, which the rules refuse now.
    repeat = await api.post(f"/tickets/{no}/sign-for", as_="urban")
    assert (repeat.status_code, repeat.json()["code"]) == (409, "STAGE_FORBIDS_ACTION")


async def test_an_actions_key_reused_for_another_request_is_refused(api: Api) -> None:
    """One key, one request: the same key approving and then refusing an extension (or acting on another
    ticket) is 422 IDEMPOTENCY_KEY_REUSED, and the first decision stands. The same request again replays."""
    no = (await api.register())["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    await api.act(no, "extension", {"reason": "需协调", "requester_told": True}, as_="urban")
    approved = await api.post(f"/tickets/{no}/extension/review", {"approve": True}, key="ext-1")
    assert approved.status_code == 200, approved.text
    refused = await api.post(
        f"/tickets/{no}/extension/review", {"approve": False, "reason": "no"}, key="ext-1"
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    replay = await api.post(f"/tickets/{no}/extension/review", {"approve": True}, key="ext-1")
    assert replay.status_code == 200 and replay.json()["extensions"] == approved.json()["extensions"]
    assert (await api.ticket(no))["extensions"][0]["decision"] == "approved"

    other = (await api.register())["ticket_no"]
    elsewhere = await api.post(f"/tickets/{other}/sign-for", as_="urban", key="sign-A")
    assert elsewhere.status_code == 200
    again_elsewhere = await api.post(f"/tickets/{no}/sign-for", as_="urban", key="sign-A")
    assert (again_elsewhere.status_code, again_elsewhere.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


@on_each_database
async def test_a_retried_rating_counts_once(api: Api) -> None:
    created = await api.register(category="consultation", dispatch_to=None)
    no = created["ticket_no"]
    await api.act(no, "answer", {"answer": "社保卡补办请携带身份证到社保网点办理。"})
    code = {"X-Rating-Code": created["rating_code"]}
    body = {"acceptance": ["satisfied"], "handling": ["satisfied"]}
    rated = await asyncio.gather(
        *(
            api.post(f"/public/tickets/{no}/rating", body, as_=None, key="rate-1", headers=code)
            for _ in range(3)
        )
    )

    assert {r.status_code for r in rated} == {200}
    assert {r.json()["stage"] for r in rated} == {"concluded"}
    assert kinds(await api.ticket(no), "rated") == 1  # A24: one rating


async def test_an_empty_rating_spends_nothing(api: Api) -> None:
    """A24: a submission choosing nothing is no answer: 422 EMPTY_RATING, the window stays open and the
    requester still rates; a partial one (one stage) is a rating, the other stage read as no answer."""
    created = await api.register(category="consultation", dispatch_to=None)
    no = created["ticket_no"]
    await api.act(no, "answer", {"answer": "社保卡补办请携带身份证到社保网点办理。"})
    code = {"X-Rating-Code": created["rating_code"]}
    empty = await api.post(f"/public/tickets/{no}/rating", {}, as_=None, headers=code)
    assert (empty.status_code, empty.json()["code"], empty.json()["rule"]) == (422, "EMPTY_RATING", "A24")
    assert kinds(await api.ticket(no), "rated") == 0
    rated = await api.post(
        f"/public/tickets/{no}/rating", {"handling": ["satisfied"]}, as_=None, headers=code
    )
    assert (rated.status_code, rated.json()["stage"]) == (200, "concluded")


async def test_keys_are_forgotten_after_the_retention(api: Api) -> None:
    """A registration's key row holds the requester's details (A32): it is kept for the retention only.
    Within it a retry replays; once purged, the same key is a new request."""
    body = registration_body()
    first = await api.post("/tickets", body, key="reg-old")
    await api.env.sleep(timedelta(hours=2))
    recent = await api.post("/tickets", registration_body(content="另一件事"), key="reg-recent")
    assert (first.status_code, recent.status_code) == (201, 201)

    now = await api.env.get_current_time()
    assert await purge_idempotency_keys(api.session_maker, now - timedelta(hours=1)) == 1
    async with api.session_maker() as session:
        # A registration's key is kept as its digest (api/registration.py claimed_key).
        assert set(await session.scalars(select(IdempotencyKeyRow.key))) == {claimed_key("reg-recent")}

    kept = await api.post("/tickets", registration_body(content="另一件事"), key="reg-recent")
    assert kept.json()["ticket_no"] == recent.json()["ticket_no"]
    forgotten = await api.post("/tickets", body, key="reg-old")
    assert forgotten.status_code == 201 and "Idempotent-Replayed" not in forgotten.headers
    assert forgotten.json()["ticket_no"] != first.json()["ticket_no"]


async def test_the_api_purges_old_keys_when_it_starts(api: Api) -> None:
    """The lifespan's purge (HOTLINE_IDEMPOTENCY_RETENTION_HOURS, 7 days by default) runs at start-up and
    then every hour: a key older than the retention is gone once an API process starts."""
    await api.post("/tickets", registration_body(), key="reg-week-old")
    await api.env.sleep(timedelta(days=7, hours=1))
    await api.post("/tickets", registration_body(content="另一件事"), key="reg-fresh")

    app = create_app(
        api_settings("purge-only"),
        client=api.env.client,
        session_maker=api.session_maker,
        clock=api.env.get_current_time,
    )
    async with LifespanManager(app):
        for _ in range(100):  # the purge is a task the lifespan starts; give it its turn
            async with api.session_maker() as session:
                keys = set(await session.scalars(select(IdempotencyKeyRow.key)))
            if claimed_key("reg-week-old") not in keys:
                break
            await asyncio.sleep(0.02)
    assert keys == {claimed_key("reg-fresh")}
