"""What the API refuses at its edge, and the domain models do not.

Workflows decode the domain models (domain/commands.py, domain/rulesets.py) again on every replay, and a
rule added to them would make a ticket that already holds such a value undecodable. So the checks below
hold for what callers send now, and nowhere else:

- an instant is written as ISO 8601 with its offset, a day as ISO 8601 (pydantic would read "1700000000",
  or the number 1700000000, as a Unix time);
- a phone number holds no letters and is stored in its one spelling (A11, domain/phones.py);
- a body is at most `BODY_LIMIT_BYTES` of JSON, so that every command a workflow receives, and the ticket
  state it answers with, stays far below Temporal's 2 MB payload limit (a value too large for it fails the
  workflow task on every retry: the ticket is stuck for good).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from api.errors import invalid
from domain.commands import Instant
from domain.phones import phone_key, phone_problem

# 64 KiB of JSON for an action: ~20,000 Chinese characters, far more than any answer a clerk writes, and a
# thirtieth of the 2 MB a workflow payload may hold (a ticket's state holds its registration and every
# action's command: see tests/api/test_attack_oversized.py for the largest one). A registration gets half:
# a closure repeats its request points (A20) and must still have room for the answers.
BODY_LIMIT_BYTES = 64 * 1024
REGISTRATION_LIMIT_BYTES = 32 * 1024
# A rule set is captured by every ticket opened under it (A17, A33): its free text is bounded too.
RULE_SET_TEXT_LIMITS = {"title": 200, "basis": 2000}

_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)", re.IGNORECASE
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def instant_text(value: object) -> object:
    """An instant as ISO 8601 with its offset (e.g. 2026-12-01T09:00:00+08:00), not a Unix time."""
    if isinstance(value, datetime):  # built by the server itself
        return value
    if not isinstance(value, str) or not _ISO_INSTANT.fullmatch(value):
        raise PydanticCustomError(
            "iso8601_instant",
            "an ISO 8601 date-time with its offset, e.g. 2026-12-01T09:00:00+08:00",
        )
    return value


def day_text(value: object) -> object:
    """A day as ISO 8601 (2026-12-01), not a Unix time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("iso8601_day", "an ISO 8601 day, e.g. 2026-12-01")
    return value


# Every instant and day a caller writes (request bodies and query parameters).
WrittenInstant = Annotated[Instant, BeforeValidator(instant_text)]
WrittenDay = Annotated[date, BeforeValidator(day_text)]


def written_phone(phone: str, field: str = "phone") -> str:
    """A11: the number in its one spelling, or 422 INVALID_PHONE (letters, or no number at all)."""
    problem = phone_problem(phone)
    if problem is not None:
        raise invalid("INVALID_PHONE", f"{field}: {problem}", "A11")
    return phone_key(phone)


def json_size(data: Any) -> int:
    """Bytes of `data` as compact UTF-8 JSON: what the body weighs in a workflow payload."""
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def check_body_size(data: Any, limit: int = BODY_LIMIT_BYTES) -> None:
    """The generated bodies' size check (api/schemas.py body_model): 422 TOO_LARGE (api/errors.py)."""
    if json_size(data) > limit:
        raise PydanticCustomError(
            "too_large",
            "the body is larger than {limit} bytes of JSON: shorten its text",
            {"limit": limit},
        )


def require_rule_set_size(data: dict[str, Any]) -> None:
    """A rule set's title and basis are short text (every ticket opened under it keeps a copy)."""
    for field, limit in RULE_SET_TEXT_LIMITS.items():
        if len(str(data.get(field) or "")) > limit:
            raise invalid("TOO_LONG", f"{field}: at most {limit} characters", "A33")
    if json_size(data) > BODY_LIMIT_BYTES:
        raise invalid("TOO_LARGE", f"a rule set is at most {BODY_LIMIT_BYTES} bytes of JSON", "A33")
