"""What a request must be before any route reads it: a body within `api_max_body_bytes`, one well-formed
copy of each credential header.

- Body: refused with 413 `BODY_TOO_LARGE` as soon as Content-Length says so (nothing of the body is read),
  and for a chunked body as soon as the bytes received pass the limit, before anything parses them.
- Credentials: two `Authorization` headers (or `X-Access-Secret`, `X-Rating-Code`) would be resolved to
  the first one by Starlette, and a proxy might have checked the other: refused with 400
  `MALFORMED_AUTHORIZATION`, as is a value holding anything but printable ASCII (a NUL never gets here
  under uvicorn: its parser refuses it, api/connection_guard.py answers the same code).

A pure ASGI middleware, the outermost layer of the app (api/app.py), so it runs before FastAPI's body
reading and its error handlers.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

CREDENTIAL_HEADERS = (b"authorization", b"x-access-secret", b"x-rating-code")
_PRINTABLE = re.compile(rb"[\x20-\x7e]*")


class BodyTooLarge(StarletteHTTPException):
    """The body passed the limit while a route was receiving it. An HTTPException, so that FastAPI's body
    reading lets it through (it turns any other error there into a 400) to api/errors.py's handler."""

    def __init__(self, max_body_bytes: int) -> None:
        super().__init__(413, too_large(max_body_bytes), headers={"Connection": "close"})


def too_large(max_body_bytes: int) -> str:
    return f"the request body exceeds {max_body_bytes} bytes"


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        refusal = _credential_refusal(headers)
        if refusal is not None:
            await error_response(400, "MALFORMED_AUTHORIZATION", refusal)(scope, receive, send)
            return
        length = _content_length(headers)
        if length is not None and length > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Connection: close, so the rest of the body is never read (uvicorn closes after the answer).
        response = error_response(
            413,
            "BODY_TOO_LARGE",
            too_large(self.max_body_bytes),
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def document(app: FastAPI) -> None:
    """Every operation may get these answers, since the guard stands before all of them: say so in each
    operation of the OpenAPI document (its own answers are kept)."""
    guard = {
        "400": "A credential header sent twice or holding a byte that is not printable ASCII "
        "(`MALFORMED_AUTHORIZATION`), or a request that is not valid HTTP (`MALFORMED_REQUEST`).",
        "413": "The body exceeds HOTLINE_API_MAX_BODY_BYTES (`BODY_TOO_LARGE`); it is not read.",
    }
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        cached = app.openapi_schema is not None
        schema = generate()  # FastAPI's document, cached on the app
        if not cached:
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for status, description in guard.items():
                        operation["responses"].setdefault(
                            status, {"description": description, "content": body}
                        )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _credential_refusal(headers: list[tuple[bytes, bytes]]) -> str | None:
    seen: set[bytes] = set()
    for name, value in headers:
        if name not in CREDENTIAL_HEADERS:
            continue
        if name in seen:
            return f"the {name.decode()} header appears more than once"
        seen.add(name)
        if not _PRINTABLE.fullmatch(value):
            return f"the {name.decode()} header holds a byte that is not printable ASCII"
    return None


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn's parser refuses a malformed length before the app sees it
    return None
