"""Attack: one oversized value bricked every ticket that used it.

A rule set with a 3 MB title was accepted; every ticket opened under it then failed its workflow task on
Temporal's payload limit (2 MB a blob), and its registration answered 201 with `ticket: null`. Now every
field a workflow receives has a maximum (422 TOO_LONG), every body is at most 64 KiB of JSON (422
TOO_LARGE, api/edge.py), and a rule set's title and basis are short text (422 TOO_LONG).

The largest registration and the largest actions the API accepts are built here, run through the real
worker, and every payload of the ticket's history, and its state as the data converter serializes it, is
measured: each stays within 256 KiB, an eighth of the limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from api.edge import BODY_LIMIT_BYTES, REGISTRATION_LIMIT_BYTES
from domain.rulesets import county_rule_set
from domain.ticket import TicketState
from tests.api.support import Api, registration_body
from workflows.ticket import TicketWorkflow, ticket_workflow_id

# A CJK Extension B character: a real one in names, and the widest a clerk writes (4 bytes of UTF-8).
WIDE = "\U00020000"
PAYLOAD_BUDGET = 256 * 1024


def size(body: Any) -> int:
    """Bytes of the body as compact UTF-8 JSON, counted independently of the server's own measure."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def fill(body: dict[str, Any], key: str, item: Any, limit: int) -> dict[str, Any]:
    """Append `item` to the list `body[key]` while the body stays within `limit` bytes."""
    while size(body | {key: [*body[key], item]}) <= limit:
        body = body | {key: [*body[key], item]}
    return body


def widen(body: dict[str, Any], key: str, most: int, limit: int) -> dict[str, Any]:
    """Lengthen the text `body[key]` with wide characters (4 bytes each), to `most` characters or until the
    body would pass `limit` bytes."""
    room = (limit - size(body)) // len(WIDE.encode())
    return body | {key: body[key] + WIDE * max(0, min(room, most - len(body[key])))}


def payloads(message: Message) -> Iterator[Payload]:
    """Every Payload inside a history event, however deep."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.is_repeated:
            is_map = field.message_type.GetOptions().map_entry
            for item in value.values() if is_map else value:
                if isinstance(item, Message):
                    yield from payloads(item)
        else:
            yield from payloads(value)


def largest_registration() -> dict[str, Any]:
    body = registration_body(
        requester={"name": WIDE * 200, "phone": "13800000000", "organisation": WIDE * 200},
        content=WIDE * 4000,
        location=WIDE * 200,
        domain=WIDE * 200,
        co_units=["WJ-POWER"],
        request_points=[],
        attachments=[],
    )
    body = fill(body, "attachments", "att://" + "a" * 494, limit=REGISTRATION_LIMIT_BYTES // 4)
    body = fill(body, "request_points", WIDE * 1000, limit=REGISTRATION_LIMIT_BYTES)
    # A last, shorter point takes what is left, to the byte.
    body = body | {"request_points": [*body["request_points"], ""]}
    room = (REGISTRATION_LIMIT_BYTES - size(body)) // len(WIDE.encode())
    return body | {"request_points": [*body["request_points"][:-1], WIDE * min(room, 1000)]}


async def test_a_three_megabyte_rule_set_title_is_refused(api: Api) -> None:
    huge = county_rule_set("440203", "武江区 12345 工单办理细则").model_dump(mode="json")
    refused = await api.post("/rule-sets", huge | {"title": "题" * 1_000_000})  # 3 MB of UTF-8
    # Refused before it is read: the body is over the API's limit (api/request_guard.py).
    assert (refused.status_code, refused.json()["code"]) == (413, "BODY_TOO_LARGE")
    long_title = await api.post("/rule-sets", huge | {"title": "题" * 201})
    assert (long_title.status_code, long_title.json()["code"]) == (422, "TOO_LONG")
    long_basis = await api.post("/rule-sets", huge | {"basis": "据" * 2001})
    assert (long_basis.status_code, long_basis.json()["code"]) == (422, "TOO_LONG")
    listed = await api.get("/rule-sets")
    assert "county-440203" not in {r["rule_set"]["id"] for r in listed.json()}
    # So no ticket can be opened under it.
    under = await api.post("/tickets", registration_body(rule_set_id="county-440203"))
    assert (under.status_code, under.json()["code"]) == (422, "UNKNOWN_RULE_SET")

    # The longest title and basis allowed: loaded, and a ticket opens under it (its registration answers
    # with the ticket, not `null`), keeping a copy far below the payload limit.
    widest = huge | {"title": WIDE * 200, "basis": WIDE * 2000}
    assert (await api.post("/rule-sets", widest)).status_code == 201
    created = await api.register(rule_set_id="county-440203")
    assert created["ticket"] is not None and created["ticket"]["rule_set"] == "county-440203@1"


async def test_over_long_values_and_bodies_are_refused(api: Api) -> None:
    for overrides in (
        {"content": "诉" * 4001},
        {"requester": {"name": "名" * 201, "phone": "13800000000"}},
        {"location": "址" * 201},
        {"request_points": ["点"] * 31},
        {"request_points": ["点" * 1001]},
        {"attachments": ["att://x"] * 31},
    ):
        response = await api.post("/tickets", registration_body(**overrides))
        assert (response.status_code, response.json()["code"]) == (422, "TOO_LONG"), list(overrides)
    # Every field within its maximum, the whole too large for a workflow payload.
    over = largest_registration()
    over["attachments"].append("att://one-more")
    assert len(over["attachments"]) < 30 and size(over) > REGISTRATION_LIMIT_BYTES
    response = await api.post("/tickets", over)
    assert (response.status_code, response.json()["code"]) == (422, "TOO_LARGE")

    no = (await api.register())["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    note = await api.post(
        f"/tickets/{no}/contacts",
        {"channel": "phone", "purpose": "result", "reached": True, "note": "记" * 4001},
        as_="urban",
    )
    assert (note.status_code, note.json()["code"]) == (422, "TOO_LONG")
    answers = [{"point": WIDE * 4000, "answer": WIDE * 4000}] * 5
    closure = await api.post(
        f"/tickets/{no}/closure",
        {"answers": answers, "handled_at": (await api.now()).isoformat(), "process": "p", "result": "r"}
        | {"basis": "b"},
        as_="urban",
    )
    assert (closure.status_code, closure.json()["code"]) == (422, "TOO_LARGE")
    assert (await api.ticket(no))["contacts"] == []


async def test_the_largest_valid_ticket_stays_far_below_the_payload_limit(api: Api) -> None:
    body = largest_registration()
    assert REGISTRATION_LIMIT_BYTES - 4 < size(body) <= REGISTRATION_LIMIT_BYTES
    created = await api.post("/tickets", body)
    assert created.status_code == 201, created.text
    no, opened = created.json()["ticket_no"], created.json()["ticket"]
    assert opened is not None and opened["stage"] == "dispatched"

    await api.act(no, "sign-for", as_="urban")
    await api.act(
        no,
        "contacts",
        {"channel": "phone", "purpose": "result", "reached": True, "note": WIDE * 4000},
        as_="urban",
    )
    # The largest closure of it: every point repeated (A20), the texts as long as the body allows.
    closure: dict[str, Any] = {
        "answers": [{"point": p, "answer": "答"} for p in opened["request_points"]],
        "handled_at": (await api.now()).isoformat(),
        "process": "",
        "result": "",
        "basis": "",
        "progress": "",
    }
    for key in ("process", "result", "basis", "progress"):
        closure = widen(closure, key, 4000, BODY_LIMIT_BYTES)
    assert BODY_LIMIT_BYTES - 4 < size(closure) <= BODY_LIMIT_BYTES
    await api.act(no, "closure", closure, as_="urban")
    await api.act(no, "closure/review", {"approve": True, "reason": WIDE * 4000})

    handle = api.env.client.get_workflow_handle(ticket_workflow_id(no))
    history = await handle.fetch_history()
    sizes = [p.ByteSize() for event in history.events for p in payloads(event)]
    # The workflow's input, the opening's facts, every update's command and every state it answered with.
    assert len(sizes) > 10 and max(sizes) <= PAYLOAD_BUDGET, max(sizes)
    state = await handle.query(TicketWorkflow.state, result_type=TicketState)
    (encoded,) = pydantic_data_converter.payload_converter.to_payloads([state])
    assert encoded.ByteSize() <= PAYLOAD_BUDGET
    print(
        f"largest registration {size(body)} B, largest closure {size(closure)} B; {len(sizes)} payloads in "
        f"the history, the largest {max(sizes)} B; the state {encoded.ByteSize()} B"
    )
