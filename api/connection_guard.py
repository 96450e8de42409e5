"""uvicorn's httptools protocol with the bounds uvicorn lacks, and JSON for what it refuses itself.

uvicorn (0.54, read in its source) times out only an idle keep-alive connection: once a request's first
byte has arrived nothing bounds how long its headers or its body may take, so a client that sends half a
header block, or a body a byte a second, holds a connection (and, at `limit_concurrency`, a slot) for as
long as it likes ("slowloris"). This protocol adds, per request:

- a header deadline (`api_header_timeout_seconds`) from the request's first byte (or the connection's
  opening) to its last header, and a cap on the header block's size (431);
- a body deadline (`api_body_timeout_seconds`) from the last header to the last body byte;
- answers in the API's error body (`{"code", "message"}`, api/errors.py) where uvicorn writes plain text:
  a request it cannot parse (400 `MALFORMED_REQUEST`, or `MALFORMED_AUTHORIZATION` when the bad bytes sit
  in the Authorization header, e.g. a NUL), a deadline passed (408 `REQUEST_TIMEOUT`), the concurrency
  limit reached (503 `OVERLOADED`).

The size of a body is bounded in the app (api/request_guard.py), which sees Content-Length and chunks.
Selected by `Settings.uvicorn_options` (`http="api.connection_guard:GuardedHttpProtocol"`).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.errors import ErrorBody
from config import get_settings

# The request line and the headers together; a proxy in front keeps a similar bound (nginx: 4 x 8 kB).
MAX_HEADER_BYTES = 32 * 1024
# A header line naming Authorization that holds a byte no header value may hold (NUL, CR alone, DEL …).
_BAD_AUTHORIZATION = re.compile(rb"(?im)^authorization[ \t]*:[^\n]*?[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")


class _Refused(Exception):
    """Raised in a parser callback: httptools stops parsing and uvicorn calls send_400_response."""


class GuardedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._header_timeout = settings.api_header_timeout_seconds
        self._body_timeout = settings.api_body_timeout_seconds
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes = 0
        self._last_data = b""
        self._refusal: tuple[int, str, str] | None = None

    # -- deadlines -------------------------------------------------------------------------------------
    def _arm(self, seconds: float, what: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._deadline_passed, what)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self, what: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        self.logger.warning("closing a connection from %s: %s not received in time", self.client, what)
        cycle = self.cycle  # for "headers", the previous request's on a kept-alive connection
        answering = cycle is not None and cycle.response_started and not cycle.response_complete
        answered = what == "body" and cycle is not None and cycle.response_started
        if answering or answered:
            self.transport.close()  # an answer is out or under way: it cannot be replaced, only cut
            return
        self._answer(408, "REQUEST_TIMEOUT", f"the request's {what} did not arrive in time")

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._header_timeout, "headers")  # a connection that never sends a byte

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._last_data = data  # only read if the parser refuses it (send_400_response)
        super().data_received(data)

    # -- parser callbacks ------------------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        self._arm(self._header_timeout, "headers")

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refusal = (
                431,
                "HEADERS_TOO_LARGE",
                f"the request's headers exceed {MAX_HEADER_BYTES} bytes",
            )
            raise _Refused

    def on_headers_complete(self) -> None:
        self._arm(self._body_timeout, "body")  # disarmed at once below if there is no body
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # -- answers ---------------------------------------------------------------------------------------
    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        # uvicorn picks its plain-text 503 app when limit_concurrency is reached: answer in our body.
        super()._start_asgi_task(cycle, _overloaded if app is service_unavailable else app)

    def send_400_response(self, msg: str) -> None:
        refusal, self._refusal = self._refusal, None
        if refusal is None:
            if _BAD_AUTHORIZATION.search(self._last_data):
                refusal = (
                    400,
                    "MALFORMED_AUTHORIZATION",
                    "the Authorization header holds a control character",
                )
            else:
                refusal = (400, "MALFORMED_REQUEST", f"the request is not valid HTTP: {msg}")
        self._answer(*refusal)

    def _answer(self, status: int, code: str, message: str) -> None:
        """Write a whole error answer and close: the connection's stream cannot be trusted any more."""
        self._disarm()
        body = ErrorBody(code=code, message=message).model_dump_json(exclude_none=True).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


async def _overloaded(scope: Any, receive: Any, send: Any) -> None:
    body = ErrorBody(code="OVERLOADED", message="the API is at its concurrency limit; retry").model_dump_json(
        exclude_none=True
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode(), "more_body": False})
