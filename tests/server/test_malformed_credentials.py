"""Finding 5 of the outside attack: a NUL byte in the Authorization header got a plain-text 400 with no
code, and two Authorization headers were silently resolved to the first one.

Raw requests against the real uvicorn (python -m api.serve): a raw socket for the NUL byte (no client
library sends one), httpx with a list of header tuples for the duplicates.
"""

from __future__ import annotations

import httpx
import pytest

from tests.server.support import Served, read_answer, status_and_body


async def test_a_nul_byte_in_authorization_is_a_json_400_with_a_code(served: Served) -> None:
    token = served.tokens["operator"].encode()
    with served.connect() as sock:
        sock.sendall(b"GET /units HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer " + token + b"\x00\r\n\r\n")
        answer = read_answer(sock)
    status, body = status_and_body(answer)
    assert status == 400, answer[:300]
    assert b"content-type: application/json" in answer.lower()
    assert httpx.Response(400, content=body).json()["code"] == "MALFORMED_AUTHORIZATION"


async def test_a_request_uvicorn_cannot_parse_is_a_json_400_with_a_code(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /units HTTP/1.1\r\nHost: api\r\nX-Note: a\x00b\r\n\r\n")
        status, body = status_and_body(read_answer(sock))
    assert (status, httpx.Response(400, content=body).json()["code"]) == (400, "MALFORMED_REQUEST")


@pytest.mark.parametrize("valid_first", [True, False])
async def test_two_authorization_headers_are_refused(served: Served, valid_first: bool) -> None:
    valid = ("Authorization", f"Bearer {served.tokens['operator']}")
    other = ("Authorization", f"Bearer {served.tokens['unit']}")
    garbage = ("Authorization", "Bearer not-a-token")
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        alone = await http.get("/units", headers=[valid])
        assert alone.status_code == 200, alone.text  # one header: the credential works
        for second in (other, garbage):
            pair = [valid, second] if valid_first else [second, valid]
            response = await http.get("/units", headers=pair)
            assert response.status_code == 400, (pair, response.text)
            assert response.json()["code"] == "MALFORMED_AUTHORIZATION"


async def test_two_access_secret_headers_are_refused(served: Served) -> None:
    """The requester's secret (A19) is a credential too: one copy, or the request is malformed."""
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        response = await http.get(
            "/public/tickets/GD12345-20260101-00000000",
            headers=[("X-Access-Secret", "a"), ("X-Access-Secret", "b")],
        )
    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_AUTHORIZATION", response.text


async def test_a_non_ascii_authorization_is_refused(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        response = await http.get("/units", headers=[(b"Authorization", b"Bearer \xe4\xb8\xad")])
    assert response.status_code == 400 and response.json()["code"] == "MALFORMED_AUTHORIZATION", response.text
