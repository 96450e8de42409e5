"""How a pure verdict fails an update: only an ApplicationError does (any other exception would retry the
workflow task forever), typed by the rule's code so the API maps it to 409/422/404 in one place."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.errors import RuleViolation


def raise_verdict(check: Callable[[], None]) -> None:
    try:
        check()
    except RuleViolation as violation:
        raise ApplicationError(
            violation.message, violation.as_details(), type=violation.code, non_retryable=True
        ) from None
