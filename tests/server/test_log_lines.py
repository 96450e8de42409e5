"""Finding 6 of the outside attack: some API log lines were plain text without `ticket_no`.

The API as production runs it (python -m api.serve, HOTLINE_LOG_LEVEL=INFO) writes every line, uvicorn's
start-up, access and error lines included, as one JSON object; a line about a ticket names it.
"""

from __future__ import annotations

import json

import httpx

from tests.server.support import Served, read_answer

TICKET = "GD12345-20260101-0A0B0C0D"


async def test_every_line_is_json_and_a_ticket_line_names_the_ticket(served: Served) -> None:
    operator = {"Authorization": f"Bearer {served.tokens['operator']}"}
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        statuses = [
            (await http.get("/units", headers=operator)).status_code,  # 200, from SQL
            (await http.get(f"/tickets/{TICKET}", headers=operator)).status_code,  # 503: no Temporal here
            (await http.get(f"/public/tickets/{TICKET}")).status_code,  # 422: no secret header
            (await http.get("/no-such-path")).status_code,  # 404
            (await http.get("/units", headers={"Authorization": "Bearer wrong"})).status_code,  # 401
        ]
    with served.connect() as sock:  # an error in uvicorn's own parser
        sock.sendall(b"GET /units HTTP/1.1\r\nHost: api\r\nX-Note: a\x00b\r\n\r\n")
        read_answer(sock)
    assert statuses == [200, 503, 422, 404, 401], statuses

    lines = served.log_lines()
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert all({"ts", "level", "logger", "ticket_no", "msg"} <= set(p) for p in parsed)
    loggers = {p["logger"] for p in parsed}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, loggers

    about_ticket = [p for p in parsed if TICKET in p["msg"]]
    assert len(about_ticket) >= 2, lines  # the two access lines at least
    assert all(p["ticket_no"] == TICKET for p in about_ticket), about_ticket
    # The 503's warning does not print the number, and names it all the same (the request's context).
    temporal = [p for p in parsed if p["logger"].startswith("hotline.api") and p["ticket_no"] == TICKET]
    assert temporal, [p for p in parsed if p["logger"].startswith("hotline.api")]
    assert any(p["logger"] == "uvicorn.error" and "Invalid HTTP" in p["msg"] for p in parsed)
