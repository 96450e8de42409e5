"""The codec server (api/routes/codec.py): Temporal UI's way to read encrypted payloads, for cleared
operators only, each identity it shows audited (A32).

The payloads are the real ones: the encrypted input of a ticket's workflow, fetched from the server after a
registration through the API.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from google.protobuf import json_format
from sqlalchemy import select
from temporalio.api.common.v1 import Payload, Payloads

from api.codec import AUDIT_PURPOSE, SESSION_COOKIE
from db.api_models import IdentityReadRow
from tests.api.support import Api
from workflows.converter import KEY_ID, is_encrypted
from workflows.ticket import ticket_workflow_id

UI = "http://127.0.0.1:8233"
NAME, PHONE = "李华", "13800000000"


@pytest.fixture(scope="module")
async def ticket(module_api: Api) -> AsyncIterator[tuple[str, Payload]]:
    """A ticket registered through the API, and its workflow's input as Temporal stores it."""
    no = (await module_api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    history = await module_api.env.client.get_workflow_handle(ticket_workflow_id(no)).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes.input.payloads[0]
    assert is_encrypted(started)
    yield no, started


def body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


async def codec(api: Api, path: str, content: str, as_: str | None, **headers: str) -> httpx.Response:
    return await api.http.post(
        f"/codec/{path}",
        content=content,
        headers=api.auth(as_) | {"content-type": "application/json"} | headers,
    )


def decoded(response: httpx.Response) -> list[Payload]:
    return list(json_format.Parse(response.text, Payloads()).payloads)


async def codec_reads(api: Api, ticket_no: str) -> list[int]:
    async with api.session_maker() as session:
        rows = await session.scalars(
            select(IdentityReadRow.credential_id).where(
                IdentityReadRow.ticket_no == ticket_no, IdentityReadRow.purpose == AUDIT_PURPOSE
            )
        )
        return list(rows)


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        (None, 401, "UNAUTHENTICATED"),
        ("urban_cleared", 403, "CODEC_OPERATORS_ONLY"),
        ("integrator", 403, "CODEC_OPERATORS_ONLY"),
        ("operator_uncleared", 403, "CONFIDENTIAL_CLEARANCE_REQUIRED"),
    ],
)
async def test_only_a_cleared_operator_is_answered(
    module_api: Api, ticket: tuple[str, Payload], caller: str | None, status: int, code: str
) -> None:
    _, started = ticket
    response = await codec(module_api, "decode", body(started), caller, origin=UI)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert NAME not in response.text and PHONE not in response.text
    # The browser can read the refusal (the UI shows it).
    assert response.headers["access-control-allow-origin"] == UI


async def test_a_cleared_operators_decode_shows_the_requester_and_is_audited(
    module_api: Api, ticket: tuple[str, Payload]
) -> None:
    no, started = ticket
    before = await codec_reads(module_api, no)
    response = await codec(module_api, "decode", body(started), "operator", origin=UI)
    assert response.status_code == 200, response.text
    (plain,) = decoded(response)
    assert plain.metadata["encoding"] == b"json/plain"
    requester = json.loads(plain.data)["registration"]["requester"]
    assert (requester["name"], requester["phone"]) == (NAME, PHONE)
    assert await codec_reads(module_api, no) == [*before, module_api.credential_ids["operator"]]
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_refused_callers_leave_no_audit_row(module_api: Api, ticket: tuple[str, Payload]) -> None:
    no, started = ticket
    before = await codec_reads(module_api, no)
    for caller in (None, "urban_cleared", "operator_uncleared"):
        assert (await codec(module_api, "decode", body(started), caller)).status_code in (401, 403)
    assert await codec_reads(module_api, no) == before


async def test_a_payload_without_a_requester_is_decoded_without_an_audit_row(module_api: Api) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"actor": {"id": "cred-1"}}')
    encoded = await codec(module_api, "encode", body(plain), "operator")
    assert encoded.status_code == 200, encoded.text
    (sealed,) = decoded(encoded)
    assert is_encrypted(sealed) and sealed.metadata[KEY_ID] == b"demo-1"
    async with module_api.session_maker() as session:
        rows_before = len((await session.scalars(select(IdentityReadRow.id))).all())
        response = await codec(module_api, "decode", body(sealed), "operator")
        assert decoded(response) == [plain]
        assert len((await session.scalars(select(IdentityReadRow.id))).all()) == rows_before


async def test_the_browser_signs_in_and_its_cookie_is_sent_with_credentials(
    module_api: Api, ticket: tuple[str, Payload]
) -> None:
    """Temporal UI's "Include cross-origin credentials": the browser sends the sign-in cookie, no header."""
    _, started = ticket
    http = module_api.http
    refused = await http.post("/codec/sign-in", data={"token": module_api.tokens["operator_uncleared"]})
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.cookies
    signed_in = await http.post("/codec/sign-in", data={"token": module_api.tokens["operator"]})
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Path=/codec" in cookie and "SameSite=strict" in cookie
    try:
        response = await http.post(
            "/codec/decode", content=body(started), headers={"content-type": "application/json", "origin": UI}
        )
        assert response.status_code == 200, response.text
        assert NAME in decoded(response)[0].data.decode()
    finally:
        await http.post("/codec/sign-out")
    http.cookies.clear()
    after = await http.post(
        "/codec/decode", content=body(started), headers={"content-type": "application/json"}
    )
    assert after.status_code == 401


async def test_cors_preflight_answers_temporal_ui_and_no_other_origin(module_api: Api) -> None:
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = await module_api.http.options("/codec/decode", headers={"origin": UI, **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == UI
    assert "x-namespace" in allowed.headers["access-control-allow-headers"]
    assert allowed.headers["access-control-allow-credentials"] == "true"
    other = await module_api.http.options(
        "/codec/decode", headers={"origin": "http://evil.test", **preflight}
    )
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("not json", "INVALID_PAYLOADS"),
        ('{"payloads": [{"data": 5}]}', "INVALID_PAYLOADS"),
        (
            body(Payload(metadata={"encoding": b"binary/encrypted", KEY_ID: b"gone"}, data=b"\0" * 40)),
            "PAYLOAD_UNDECRYPTABLE",
        ),
        (
            body(Payload(metadata={"encoding": b"binary/encrypted", KEY_ID: b"demo-1"}, data=b"")),
            "PAYLOAD_UNDECRYPTABLE",
        ),
    ],
)
async def test_bad_bodies_are_422_with_a_code(module_api: Api, content: str, code: str) -> None:
    response = await codec(module_api, "decode", content, "operator")
    assert (response.status_code, response.json()["code"]) == (422, code)
