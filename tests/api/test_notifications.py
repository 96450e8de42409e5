"""Notifications through the API, with the dispatcher draining the outbox to loopback recipients.

The feed (`GET /notifications`): cursor paging returns each of a unit's notices once, in order, and reading
past them acknowledges them; long-polling returns what arrives. The office's run-time settings: a unit's
webhook (Standard Webhooks secret shown once), requester templates refused at save time when they drop or
invent a placeholder, and used by the next message. Dead letters are listed and can be sent again. The
links in the requester's SMS show progress and rate once.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from bench.common import until
from domain.delivery import MESSAGE_KINDS, DeliveryStatus
from tests.api.journeys import drain
from tests.api.support import POINTS, Api, closure_body
from tests.delivery.support import (
    HttpGateway,
    Receiver,
    deliveries,
    dispatching,
    fast_settings,
    serving,
)


async def put(api: Api, path: str, body: Any, as_: str = "operator") -> httpx.Response:
    return await api.http.put(path, json=body, headers=api.auth(as_))


async def delete(api: Api, path: str) -> httpx.Response:
    return await api.http.delete(path, headers=api.auth("operator"))


async def read_feed(api: Api, caller: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await api.get("/notifications", as_=caller, params={"after": after, "limit": limit})
        assert page.status_code == 200, page.text
        body = page.json()
        if not body["items"]:
            assert body["next_cursor"] == after
            return items
        items += body["items"]
        after = body["next_cursor"]


async def test_the_feed_pages_each_notice_once_in_order_and_acknowledges_what_was_read(api: Api) -> None:
    created = [await api.register(dispatch_to="WJ-URBAN") for _ in range(3)]
    for t in created:
        await api.act(t["ticket_no"], "sign-for", as_="urban")
    await drain(api)

    items = await read_feed(api, "urban", limit=2)
    records = await deliveries(api.session_maker)
    expected = {i for i, d in records.items() if d.recipient == "unit:WJ-URBAN"}
    ids = [i["delivery_id"] for i in items]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    cursors = [i["cursor"] for i in items]
    assert cursors == sorted(cursors)
    for t in created:
        seqs = [i["seq"] for i in items if i["ticket_no"] == t["ticket_no"]]
        assert seqs == sorted(seqs) and seqs
    # Reading past them acknowledged them; the next read starts after the last cursor.
    assert {d.status for i, d in (await deliveries(api.session_maker)).items() if i in expected} == {
        DeliveryStatus.ACKNOWLEDGED
    }
    # A unit reads only its own feed; an operator names the unit; integrators have none.
    assert (await api.get("/notifications", as_="urban", params={"unit_id": "WJ-POWER"})).status_code == 403
    assert (await api.get("/notifications", as_="integrator")).status_code == 403
    assert (await api.get("/notifications", as_="operator")).status_code == 422
    by_operator = await api.get("/notifications", params={"unit_id": "WJ-URBAN", "limit": 500})
    assert {i["delivery_id"] for i in by_operator.json()["items"]} == expected

    # Long-poll: reads that wait return the notice that arrives meanwhile (a read that saw nothing in its
    # wait answers an empty page at the same cursor, and the clerk's system asks again).
    last = cursors[-1]
    async with dispatching(fast_settings(), api.session_maker, api.env.client):
        waiting = asyncio.create_task(
            api.get("/notifications", as_="urban", params={"after": last, "wait": 10})
        )
        later = await api.register(dispatch_to="WJ-URBAN")
        page = (await waiting).json()
        for _ in range(5):
            if page["items"]:
                break
            assert page["next_cursor"] == last
            page = (await api.get("/notifications", as_="urban", params={"after": last, "wait": 10})).json()
    assert page["items"] and {i["ticket_no"] for i in page["items"]} == {later["ticket_no"]}


async def test_a_units_webhook_is_set_at_run_time_and_its_notices_go_there(api: Api) -> None:
    unit_system = Receiver()
    async with serving(unit_system):
        refused = await put(
            api, "/notifications/channels/units/WJ-POWER", {"url": unit_system.url, "secret": "plain"}
        )
        assert refused.status_code == 422
        missing = await put(api, "/notifications/channels/units/NOPE", {"url": unit_system.url})
        assert missing.status_code == 404 and missing.json()["code"] == "UNIT_NOT_FOUND"
        assert (
            await put(api, "/notifications/channels/units/WJ-POWER", {"url": "x"}, as_="power")
        ).status_code == 403
        set_ = await put(
            api,
            "/notifications/channels/units/WJ-POWER",
            {"url": unit_system.url + "/hook", "secret": unit_system.secret},
        )
        assert set_.status_code == 200 and set_.json()["secret"] == unit_system.secret
        listed = (await api.get("/notifications/channels")).json()
        assert [c["unit_id"] for c in listed] == ["WJ-POWER"] and listed[0]["secret"] is None

        t = await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"])
        await drain(api)
    to_power = {i for i, d in (await deliveries(api.session_maker)).items() if d.recipient == "unit:WJ-POWER"}
    assert to_power and unit_system.distinct() == to_power and not unit_system.refused
    shown = (await api.get(f"/notifications/tickets/{t['ticket_no']}")).json()
    assert {d["status"] for d in shown if d["recipient"] == "unit:WJ-POWER"} == {"acknowledged"}
    assert (await delete(api, "/notifications/channels/units/WJ-POWER")).status_code == 204


async def test_templates_are_checked_at_save_time_and_used_by_the_next_message(api: Api) -> None:
    listed = (await api.get("/notifications/templates")).json()
    assert {t["kind"] for t in listed} == set(MESSAGE_KINDS) and not any(t["customised"] for t in listed)
    for text, code in (
        ("【12345热线】工单已登记，查询：{progress_link}", "MISSING_PLACEHOLDER"),  # A19: the number
        ("【12345热线】{name}您好，工单{ticket_no}：{progress_link}", "UNKNOWN_PLACEHOLDER"),
        ("工单{ticket_no}{progress_link", "TEMPLATE_MALFORMED"),
        ("{ticket_no}{progress_link}" + "长" * 300, "TOO_LONG"),
    ):
        refused = await put(api, "/notifications/templates/registered", {"text": text})
        assert refused.status_code == 422 and refused.json()["code"] == code, refused.text
    assert (await put(api, "/notifications/templates/nothing", {"text": "x"})).status_code == 404
    saved = await put(
        api,
        "/notifications/templates/registered",
        {"text": "【韶关12345】已受理，编号{ticket_no}，进度：{progress_link}"},
    )
    assert saved.status_code == 200 and saved.json()["customised"]

    gateway = HttpGateway()
    async with serving(gateway):
        t = await api.register(dispatch_to="WJ-URBAN")
        await drain(api, sms_provider="http", sms_http_url=gateway.url)
    sms = next(a.body for a in gateway.arrivals if a.body["kind"] == "registered")
    assert sms["text"].startswith(f"【韶关12345】已受理，编号{t['ticket_no']}，进度：http://hotline.test/t/")
    reset = await delete(api, "/notifications/templates/registered")
    assert reset.status_code == 200 and not reset.json()["customised"]


async def test_dead_letters_are_listed_and_can_be_sent_again(api: Api) -> None:
    unit_system = Receiver(fail_always=True)
    async with serving(unit_system):
        await put(
            api,
            "/notifications/channels/units/WJ-URBAN",
            {"url": unit_system.url, "secret": unit_system.secret},
        )
        t = await api.register(dispatch_to="WJ-URBAN")
        await drain(api, delivery_dead_letter_after_seconds=0.5)
        dead = (await api.get("/notifications/dead-letters")).json()
        assert dead and {d["ticket_no"] for d in dead} == {t["ticket_no"]}
        assert all(d["status"] == "dead_lettered" and "HTTP 503" in d["detail"] for d in dead), [
            d["detail"] for d in dead
        ]
        assert (await api.get("/notifications/dead-letters", as_="urban")).status_code == 403

        unit_system.fail_always = False  # the unit's system is back
        again = await api.post(f"/notifications/dead-letters/{dead[0]['delivery_id']}/retry")
        assert again.status_code == 200 and again.json()["status"] == "pending"
        assert (await api.post("/notifications/dead-letters/nope/retry")).status_code == 404
        async with dispatching(fast_settings(), api.session_maker, api.env.client):

            async def acknowledged() -> bool:
                return (await deliveries(api.session_maker))[dead[0]["delivery_id"]].status == "acknowledged"

            await until(acknowledged, timeout=30, what="the dead letter delivered")
    assert unit_system.ids().count(dead[0]["delivery_id"]) >= 2  # the same id, again


async def test_the_links_in_the_sms_show_progress_and_rate_once(api: Api) -> None:
    gateway = HttpGateway()
    async with serving(gateway):
        t = await api.register(dispatch_to="WJ-URBAN")
        for step in (
            ("sign-for", None),
            ("contacts", {"channel": "phone", "purpose": "result", "reached": True}),
        ):
            await api.act(t["ticket_no"], step[0], step[1], as_="urban")
        await api.act(t["ticket_no"], "closure", closure_body(POINTS, await api.now()), as_="urban")
        await api.act(t["ticket_no"], "closure/review", {"approve": True})
        await drain(api, sms_provider="http", sms_http_url=gateway.url)
    texts = {a.body["kind"]: a.body["text"] for a in gateway.arrivals}
    progress = re.search(r"/t/([A-Za-z0-9_-]+)", texts["registered"])
    rating = re.search(r"/t/([A-Za-z0-9_-]+)", texts["rating_requested"])
    assert progress and rating and progress.group(1) != rating.group(1)

    # Both open the requester's page (api/pages/); the rating link rates once, from its form.
    view = await api.get(f"/t/{progress.group(1)}", as_=None)
    assert view.status_code == 200 and t["ticket_no"] in view.text
    assert (await api.get("/t/" + "A" * 24, as_=None)).status_code == 404
    form = {"acceptance": "satisfied", "handling": "satisfied"}
    rated = await api.http.post(f"/t/{rating.group(1)}/rating", data=form)
    assert rated.status_code == 303, rated.text
    assert (await api.ticket(t["ticket_no"]))["stage"] == "concluded"
    twice = await api.http.post(f"/t/{rating.group(1)}/rating", data=form)
    assert twice.status_code == 410 and "您已评价" in twice.text


async def test_a_cursor_past_64_bits_is_refused_not_a_server_error(api: Api) -> None:
    """Found by schemathesis: a cursor no database integer holds was a 503 (SQLite's OverflowError)."""
    response = await api.get("/notifications", as_="urban", params={"after": str(2**70)})
    assert (response.status_code, response.json()["code"]) == (422, "INVALID_INPUT")
