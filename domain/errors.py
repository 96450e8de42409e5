"""A verdict against an action: a machine-readable code, the rule that decided it, and its HTTP kind."""

from __future__ import annotations

from enum import StrEnum


class VerdictKind(StrEnum):
    # The ticket's stage or history does not allow the action now -> HTTP 409.
    CONFLICT = "conflict"
    # The action itself is malformed or incomplete -> HTTP 422.
    INVALID = "invalid"
    # The caller may not act on this ticket -> HTTP 404 (never 403: ids must not be probed).
    NOT_YOURS = "not_yours"


class RuleViolation(Exception):
    """Raised by the pure checks in domain/stages/; workflows/verdicts.py turns it into an ApplicationError."""

    def __init__(
        self, code: str, message: str, rule: str | None = None, kind: VerdictKind = VerdictKind.CONFLICT
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.rule = rule
        self.kind = kind

    def as_details(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "rule": self.rule, "kind": self.kind.value}


def conflict(code: str, message: str, rule: str | None = None) -> RuleViolation:
    return RuleViolation(code, message, rule, VerdictKind.CONFLICT)


def invalid(code: str, message: str, rule: str | None = None) -> RuleViolation:
    return RuleViolation(code, message, rule, VerdictKind.INVALID)


def not_yours(message: str = "no such ticket for this caller") -> RuleViolation:
    return RuleViolation("TICKET_NOT_FOUND", message, None, VerdictKind.NOT_YOURS)
