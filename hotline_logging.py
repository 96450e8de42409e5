"""Structured (JSON-lines) logs with the ticket number on every line, for the API and the worker.

Temporal's workflow and activity loggers attach `temporal_workflow` / `temporal_activity` extras holding
the workflow id (`ticket-<no>`); the API sets `ticket_context` per request.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

ticket_context: ContextVar[str | None] = ContextVar("ticket_no", default=None)
_PREFIX = "ticket-"


def _ticket_no(record: logging.LogRecord) -> str | None:
    explicit = getattr(record, "ticket_no", None)
    if explicit:
        return str(explicit)
    for extra in ("temporal_workflow", "temporal_activity"):
        info = getattr(record, extra, None)
        workflow_id = info.get("workflow_id") if isinstance(info, dict) else None
        if isinstance(workflow_id, str) and workflow_id.startswith(_PREFIX):
            # coordination children are ticket-<no>-coordination-<n>
            return workflow_id.removeprefix(_PREFIX).split("-coordination-")[0]
    return ticket_context.get()


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "ticket_no": _ticket_no(record) or "-",
            "msg": record.getMessage(),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
