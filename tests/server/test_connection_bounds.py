"""Finding 1 of the outside attack: connections and bodies were unbounded. Half-sent headers and slow bodies
were held open for 80 s and more, with or without a token; 10 MB bodies were parsed before being refused.

Against the real uvicorn with the production options (python -m api.serve), the bounds shortened by
tests/server/support.py BOUNDS: 64 kB bodies, 2 s for headers, 3 s for a body, 2 s of keep-alive. Every
wait is bounded by the socket's 30 s timeout, never asserted as a speed: a server that keeps the
connection open fails the test by the timeout, one that closes it passes however busy the machine is.
"""

from __future__ import annotations

import json

import httpx

from tests.server.support import Served, read_answer, status_and_body

LIMIT = 64 * 1024
TEN_MB = 10 * 1024 * 1024


def _refusal(answer: bytes) -> tuple[int, str]:
    status, body = status_and_body(answer)
    return status, json.loads(body)["code"]


def _head(served: Served, lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _registration_head(served: Served, framing: str) -> bytes:
    """An operator's registration, its body framed by `framing` (a Content-Length or chunked)."""
    token = served.tokens["operator"]
    lines = [
        "POST /tickets HTTP/1.1",
        "Host: api",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
    ]
    return _head(served, [*lines, framing])


async def test_a_10_mb_body_is_refused_from_its_content_length_before_it_is_read(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _registration_head(served, f"Content-Length: {TEN_MB}")
            # A sixth of a percent of what it announced; the rest is never sent. Small, so that the server
            # has read all of it when it closes (unread bytes would make the close a reset).
            + b"[" * 16384
        )
        answer = read_answer(sock)  # the server answers and closes although the body is unfinished
    assert _refusal(answer) == (413, "BODY_TOO_LARGE"), answer[:300]
    assert b"connection: close" in answer.lower()


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(served: Served) -> None:
    """No Content-Length to go by: the bytes are counted as they arrive, and refused before parsing."""
    with served.connect() as sock:
        sock.sendall(_registration_head(served, "Transfer-Encoding: chunked"))
        chunk = b"[" * 16384
        for piece in [chunk] * (LIMIT // len(chunk)) + [b"["]:  # one byte past the limit, no final chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        answer = read_answer(sock)
    assert _refusal(answer) == (413, "BODY_TOO_LARGE"), answer[:300]


async def test_a_body_within_the_limit_is_read_and_judged(served: Served) -> None:
    """The limit refuses size only: a 60 kB body reaches validation (a unit name is at most 200 chars)."""
    body = {"id": "BIG-1", "name": "长" * 20000, "tier": 2}
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        response = await http.post(
            "/units", json=body, headers={"Authorization": f"Bearer {served.tokens['operator']}"}
        )
    assert len(json.dumps(body, ensure_ascii=False).encode()) < LIMIT
    # Judged by the field's own bound (api/errors.py: a string past its length is TOO_LONG), not by size.
    assert response.status_code == 422 and response.json()["code"] == "TOO_LONG", response.text
    assert response.json()["errors"][0]["loc"] == ["body", "name"]


async def test_half_sent_headers_are_closed_with_or_without_a_token(served: Served) -> None:
    for token in (None, served.tokens["operator"]):
        lines = ["GET /units HTTP/1.1", "Host: api"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        with served.connect() as sock:
            sock.sendall(("\r\n".join(lines) + "\r\nX-Trickle: a").encode())  # and nothing more
            answer = read_answer(sock)
        assert _refusal(answer) == (408, "REQUEST_TIMEOUT"), (token is not None, answer[:300])


async def test_a_connection_that_sends_nothing_is_closed(served: Served) -> None:
    with served.connect() as sock:
        answer = read_answer(sock)
    assert _refusal(answer) == (408, "REQUEST_TIMEOUT"), answer[:300]


async def test_a_slow_body_is_closed_with_or_without_a_token(served: Served) -> None:
    for token in (None, served.tokens["operator"]):
        lines = ["POST /units HTTP/1.1", "Host: api", "Content-Type: application/json", "Content-Length: 200"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        with served.connect() as sock:
            sock.sendall(_head(served, lines) + b'{"id": "SLOW"')  # 13 of 200 bytes, then silence
            answer = read_answer(sock)
        assert _refusal(answer) == (408, "REQUEST_TIMEOUT"), (token is not None, answer[:300])


async def test_an_idle_keep_alive_connection_is_closed(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _head(
                served,
                ["GET /units HTTP/1.1", "Host: api", f"Authorization: Bearer {served.tokens['operator']}"],
            )
        )
        answer = read_answer(sock)  # the answer, then the close once the connection has idled
    status, body = status_and_body(answer)
    assert status == 200 and json.loads(body)[0]["id"] == "U1", answer[:300]
    assert b"connection: close" not in answer.lower()  # it was kept alive, and then closed for idling


async def test_a_header_block_past_its_cap_is_refused(served: Served) -> None:
    """Fast but huge headers: 40 kB of them, past the 32 kB cap (api/connection_guard.py)."""
    with served.connect() as sock:
        filler = [f"X-Filler-{i}: {'a' * 1000}" for i in range(40)]
        sock.sendall(_head(served, ["GET /units HTTP/1.1", "Host: api", *filler]))
        answer = read_answer(sock)
    assert _refusal(answer) == (431, "HEADERS_TOO_LARGE"), answer[:300]
