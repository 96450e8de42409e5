"""The codec server for Temporal UI and the CLI: `POST /codec/decode`, `POST /codec/encode`, and a sign-in.

The Temporal codec server protocol: a JSON body `{"payloads": [...]}` (protobuf JSON: metadata values and
data in base64) in, the same shape out. Temporal UI calls it from the operator's browser, cross-origin,
so the answers carry CORS headers for the UI's origins (HOTLINE_CODEC_CORS_ORIGINS), credentials
included: the browser sends the cookie set by `/codec/sign-in` when the UI's codec setting "Include
cross-origin credentials" is on. The CLI sends `--codec-auth "Bearer <token>"` instead.

Only a cleared operator is answered (api/codec.py); what they decode is audited (A32).
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from api.codec import SESSION_COOKIE, audit_decode, cleared_operator, presented_token
from api.deps import RuntimeDep
from api.errors import ApiError, error_response, invalid, responses
from api.runtime import Runtime
from workflows.converter import EncryptionCodec, PayloadKeyError

router = APIRouter(prefix="/codec", tags=["codec server (Temporal UI)"])

SESSION_SECONDS = 8 * 3600  # one shift
_ALLOWED_HEADERS = "content-type,x-namespace,authorization"
# A payload the demo key (`demo-1`, local and test only) encrypted: the string "示例 example".
_PAYLOADS_EXAMPLE = {
    "payloads": [
        {
            "metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA==", "encryption-key-id": "ZGVtby0x"},
            "data": "79IVAhHbSQf0K+/oLMwedWlaE9ozmSMMxg3KFjztk6+2ue2zzKKqXrqKRo4/Kw6m15Y6ZieDuBHSqGD/1Bh9eeI0kYfz5w==",
        }
    ]
}


def _cors(request: Request, runtime: Runtime) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None or origin not in runtime.settings.codec_cors_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


async def _payloads(request: Request) -> list[Payload]:
    try:
        return list(json_format.Parse(await request.body(), Payloads()).payloads)
    except (json_format.ParseError, UnicodeDecodeError) as err:
        raise invalid("INVALID_PAYLOADS", f'the body must be {{"payloads": [...]}} (protobuf JSON): {err}')


async def _apply(request: Request, runtime: Runtime, *, decoding: bool) -> Response:
    cors = _cors(request, runtime)
    try:
        caller = await cleared_operator(runtime.session_maker, presented_token(request))
        payloads = await _payloads(request)
        codec = EncryptionCodec.from_settings(runtime.settings)
        try:
            converted = await (codec.decode(payloads) if decoding else codec.encode(payloads))
        except PayloadKeyError as err:
            raise invalid("PAYLOAD_UNDECRYPTABLE", str(err)) from None
        if decoding:
            await audit_decode(runtime.session_maker, caller, converted, await runtime.clock())
    except ApiError as err:
        return error_response(err.status, err.code, err.message, err.rule, headers=err.headers | cors)
    body = json_format.MessageToJson(Payloads(payloads=converted), indent=None)
    return Response(body, media_type="application/json", headers=cors)


_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}, "example": _PAYLOADS_EXAMPLE}},
    }
}


@router.post(
    "/decode",
    responses=responses(401, 403, 422),
    openapi_extra=_BODY,
    summary="Decrypt Temporal payloads for Temporal UI or the CLI (cleared operators; audited, A32)",
)
async def decode(request: Request, runtime: RuntimeDep) -> Response:
    return await _apply(request, runtime, decoding=True)


@router.post(
    "/encode",
    responses=responses(401, 403, 422),
    openapi_extra=_BODY,
    summary="Encrypt payloads typed into Temporal UI or the CLI (cleared operators)",
)
async def encode(request: Request, runtime: RuntimeDep) -> Response:
    return await _apply(request, runtime, decoding=False)


@router.options("/decode", include_in_schema=False)
@router.options("/encode", include_in_schema=False)
async def preflight(request: Request, runtime: RuntimeDep) -> Response:
    """The browser's CORS preflight: no credentials are sent with it, so it is answered for any caller."""
    return Response(status_code=204, headers=_cors(request, runtime))


# -- sign-in for the browser ----------------------------------------------------------------------------
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Codec sign-in</title></head>
<body><h1>Temporal UI: decode payloads</h1><p>{message}</p>
<form method="post" action="/codec/sign-in"><label>Operator token
<input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Sign in</button></form>
<form method="post" action="/codec/sign-out"><button type="submit">Sign out</button></form></body></html>"""


# Browser pages, not API operations: left out of the OpenAPI document.
@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in_page() -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(
            message="Sign in with an operator token that has confidential clearance. Then, in Temporal "
            "UI's codec server settings, turn on <em>Include cross-origin credentials</em>."
        )
    )


@router.post("/sign-in", response_class=HTMLResponse, include_in_schema=False)
async def sign_in(request: Request, runtime: RuntimeDep) -> Response:
    """Form field `token`; sets an HttpOnly cookie scoped to /codec for one shift."""
    token = (parse_qs((await request.body()).decode(errors="replace")).get("token") or [""])[0].strip()
    try:
        caller = await cleared_operator(runtime.session_maker, token or None)
    except ApiError as err:
        page = _PAGE.format(message=f"Not signed in: {html.escape(err.code)}: {html.escape(err.message)}")
        return HTMLResponse(page, status_code=err.status)
    response = HTMLResponse(
        _PAGE.format(message=f"Signed in as {html.escape(caller.name)}. Temporal UI can decode payloads now.")
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/codec",
        httponly=True,
        samesite="strict",  # Temporal UI and the API are one site (host), not one origin
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out", response_class=HTMLResponse, include_in_schema=False)
async def sign_out() -> Response:
    response = HTMLResponse(_PAGE.format(message="Signed out."))
    response.delete_cookie(SESSION_COOKIE, path="/codec")
    return response
