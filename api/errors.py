"""The one place where failures become HTTP answers.

Every error body is `{"code", "message", "rule"?, "errors"?}`. Domain verdicts carry their kind
(domain/errors.py): conflict -> 409, invalid -> 422, not_yours -> 404 (ids must not be probed), except
for a caller who already sees the ticket: an action that is not theirs is 403 NOT_YOUR_ACTION
(`verdict_error`). Temporal or the database not answering in time -> 503. Nothing is answered with a 500:
a last-resort middleware answers 503 UNAVAILABLE and logs the exception.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import RuleViolation, VerdictKind

log = logging.getLogger("hotline.api")

TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
TEMPORAL_UNAVAILABLE = "TEMPORAL_UNAVAILABLE"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
TICKET_OPENING = "TICKET_OPENING"
# Seconds a client should wait before retrying a 503, and a request on a ticket still opening.
RETRY_AFTER = "5"
OPENING_RETRY_AFTER = "1"

_STATUS_BY_KIND = {VerdictKind.CONFLICT: 409, VerdictKind.INVALID: 422, VerdictKind.NOT_YOURS: 404}
_TEMPORAL_DOWN = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.UNKNOWN,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.ABORTED,
    }
)


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Where the problem is, e.g. `["body", "content"]`.')
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer."""

    code: str = Field(
        description="Machine-readable, e.g. `EXTENSION_ALREADY_USED`.", examples=["TICKET_NOT_FOUND"]
    )
    message: str = Field(examples=["no such ticket for this caller"])
    rule: str | None = Field(
        None, description="The rule that decided it (/reference/rules.md), e.g. `A17`.", examples=["A17"]
    )
    errors: list[FieldError] | None = Field(
        None, description="Field errors, for codes `INVALID_INPUT`, `TOO_LONG` and `TOO_LARGE`."
    )


class ApiError(Exception):
    """Raised anywhere in the API; answered by `_api_error`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        rule: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.rule = status, code, message, rule
        self.headers = dict(headers or {})


def not_found(message: str = "no such ticket for this caller") -> ApiError:
    return ApiError(404, TICKET_NOT_FOUND, message)


def ticket_opening() -> ApiError:
    """A ticket registered a moment ago whose workflow has not finished opening it (rule set, screening,
    dispatch): it exists, and the caller will see it; retry shortly, never 404."""
    return ApiError(
        409,
        TICKET_OPENING,
        "the ticket is still opening (registered a moment ago); retry shortly",
        headers={"Retry-After": OPENING_RETRY_AFTER},
    )


def invalid(code: str, message: str, rule: str | None = None) -> ApiError:
    return ApiError(422, code, message, rule)


def conflict(code: str, message: str, rule: str | None = None) -> ApiError:
    return ApiError(409, code, message, rule)


def forbidden(message: str = "your role may not do this") -> ApiError:
    return ApiError(403, "FORBIDDEN", message)


def not_your_action(message: str = "only the lead handling unit may do this") -> ApiError:
    """A ticket the caller sees, but an action that is another's (a co-unit signing for it)."""
    return ApiError(403, "NOT_YOUR_ACTION", message)


def temporal_unavailable(message: str = "the ticket service did not answer in time; retry") -> ApiError:
    return ApiError(503, TEMPORAL_UNAVAILABLE, message, headers={"Retry-After": RETRY_AFTER})


def error_response(
    status: int,
    code: str,
    message: str,
    rule: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        code=code, message=message, rule=rule, errors=list(errors) if errors is not None else None
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=dict(headers or {})
    )


# -- translations ---------------------------------------------------------------------------------------
def verdict_error(err: WorkflowUpdateFailedError, *, caller_sees_ticket: bool = False) -> ApiError:
    """A rejected workflow update: ApplicationError(type=code, details[0]={code, message, rule, kind}).

    `caller_sees_ticket`: the API has already shown the caller may see this ticket, so a "not yours" verdict
    reveals nothing and is 403 NOT_YOUR_ACTION; otherwise it is 404, like a ticket that does not exist."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        log.warning("update failed without a verdict: %r", cause)
        return temporal_unavailable("the ticket could not take the action now; retry")
    details: dict[str, Any] = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
    try:
        status = _STATUS_BY_KIND[VerdictKind(str(details.get("kind")))]
    except ValueError:  # a failure that is not a verdict of ours: the action cannot happen now
        status = 409
    if status == 404:
        message = details.get("message") or cause.message
        return not_your_action(message) if caller_sees_ticket else not_found(message)
    return ApiError(
        status,
        cause.type or details.get("code") or "REFUSED",
        details.get("message") or cause.message,
        details.get("rule"),
    )


def rule_violation(err: RuleViolation) -> ApiError:
    """A verdict the API reached with the domain's own check, before any update (as verdict_error maps it,
    for a caller already shown to see the ticket)."""
    status = _STATUS_BY_KIND[err.kind]
    if status == 404:
        return not_your_action(err.message)
    return ApiError(status, err.code, err.message, err.rule)


def rpc_error(err: RPCError) -> ApiError:
    if err.status == RPCStatusCode.NOT_FOUND:
        if "completed" in err.message.lower():
            return conflict("TICKET_CLOSED", "the ticket's workflow has ended; it takes no more actions")
        return not_found()
    if err.status in _TEMPORAL_DOWN:
        return temporal_unavailable()
    if err.status == RPCStatusCode.INVALID_ARGUMENT:
        return invalid("INVALID_INPUT", err.message)
    log.warning("unexpected Temporal error %s: %s", err.status, err.message)
    return temporal_unavailable()


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    # Only loc/msg/type: pydantic's `ctx` may hold exception objects that are not JSON.
    return [
        FieldError(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        )
        for e in errors
    ]


# -- handlers --------------------------------------------------------------------------------------------
async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.rule, headers=exc.headers)


# Field errors that have a code of their own: a value longer than its field's maximum, a body larger than
# a workflow payload should carry (api/edge.py). Answered with it when every field error has it.
_CODE_BY_ERROR_TYPE = {"string_too_long": "TOO_LONG", "too_long": "TOO_LONG", "too_large": "TOO_LARGE"}


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = _field_errors(jsonable_encoder(exc.errors(), custom_encoder={Exception: str}))
    codes = {_CODE_BY_ERROR_TYPE.get(e.type, "INVALID_INPUT") for e in errors}
    code = codes.pop() if len(codes) == 1 else "INVALID_INPUT"
    return error_response(422, code, "the request is not valid; see errors", errors=errors)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own refusals, in our body: an unknown path, a method the path does not
    take, a body that is not even text (FastAPI says 400; like malformed JSON it is invalid input)."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 400:
        return error_response(422, "INVALID_INPUT", "the request body could not be read", errors=[])
    if exc.status_code == 405:
        # Starlette names only the first route matching the path; GET and POST of one path are two routes.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    code = {
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        401: "UNAUTHENTICATED",
        403: "FORBIDDEN",
        413: "BODY_TOO_LARGE",  # api/request_guard.py, while a route reads the body
    }.get(exc.status_code, "HTTP_ERROR")
    status = 503 if exc.status_code >= 500 else exc.status_code
    return error_response(status, code, str(exc.detail), headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI document lists for this path (public API, unlike the router's internals)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


async def _workflow_update_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkflowUpdateFailedError)
    return await _api_error(_, verdict_error(exc))


async def _rpc_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    return await _api_error(_, rpc_error(exc))


async def _temporal_timeout(_: Request, exc: Exception) -> JSONResponse:
    log.warning("Temporal did not answer: %r", exc)
    return await _api_error(_, temporal_unavailable())


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %r", exc)
    return error_response(
        503, DATABASE_UNAVAILABLE, "the database did not answer; retry", headers={"Retry-After": RETRY_AFTER}
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    # A command built from a valid body may still fail a model validator: the caller's input, not ours.
    app.add_exception_handler(ValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(WorkflowUpdateFailedError, _workflow_update_failed)
    app.add_exception_handler(RPCError, _rpc_error)
    for timeout in (
        RPCTimeoutOrCancelledError,
        WorkflowQueryFailedError,
        WorkflowQueryRejectedError,
        TimeoutError,
    ):
        app.add_exception_handler(timeout, _temporal_timeout)
    # DBAPIError covers OperationalError/InterfaceError (connection refused, locked, gone away); an
    # IntegrityError the code expects is caught where it happens, so one reaching here is a race: retry.
    for db_error in (DBAPIError, DisconnectionError, PoolTimeoutError):
        app.add_exception_handler(db_error, _database_unavailable)
    app.add_middleware(LastResortMiddleware)


class LastResortMiddleware:
    """Answers 503 UNAVAILABLE for any exception no handler took, and logs it; never a 500.

    A pure ASGI middleware (not an `Exception` handler: Starlette re-raises after those, and not
    BaseHTTPMiddleware, which wraps streaming oddly). It sits inside Starlette's ServerErrorMiddleware.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # too late for another answer; the server closes the connection
            response = error_response(
                503,
                "UNAVAILABLE",
                "the service could not answer; retry later",
                headers={"Retry-After": RETRY_AFTER},
            )
            await response(scope, receive, send)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the error answers an endpoint may give."""
    described = {
        401: "No or an invalid bearer token (`UNAUTHENTICATED`).",
        403: "Your role may not use this endpoint (`FORBIDDEN`), or the ticket you see is not yours to act on "
        "here (`NOT_YOUR_ACTION`: a co-unit or a unit above the lead doing the lead's part).",
        404: "No such ticket, or not one you may see (`TICKET_NOT_FOUND`): the two are indistinguishable.",
        409: "The ticket's stage or history does not allow this now; `rule` names the rule. "
        "`TICKET_OPENING`: registered a moment ago and not opened yet; retry after `Retry-After` seconds.",
        422: "Invalid input (`INVALID_INPUT` with field `errors`; `TOO_LONG` for text or a list over its "
        "maximum, `TOO_LARGE` for a body over 64 KiB of JSON, a registration's over 32 KiB), or an action the rules reject as malformed.",
        503: "Temporal or the database did not answer in time (`TEMPORAL_UNAVAILABLE`, "
        "`DATABASE_UNAVAILABLE`, `UNAVAILABLE`): retry after `Retry-After` seconds.",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}
