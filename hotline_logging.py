"""Structured (JSON-lines) logs with the ticket number on every line, for the API and the worker.

Temporal's workflow and activity loggers attach `temporal_workflow` / `temporal_activity` extras holding
the workflow id (`ticket-<no>`); the API sets `ticket_context` per request, and uvicorn's access lines name
the ticket in their path (`/tickets/<no>/...`). uvicorn's own loggers (`uvicorn.error`, `uvicorn.access`)
write through the same formatter: `uvicorn_log_config`, which `python -m api.serve` hands to uvicorn.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

ticket_context: ContextVar[str | None] = ContextVar("ticket_no", default=None)
_PREFIX = "ticket-"
# A ticket's path in an access line: /tickets/<no>, /public/tickets/<no>/rating … (TICKET_NO_PATTERN).
_TICKET_PATH = re.compile(r"/tickets/([A-Za-z0-9][A-Za-z0-9-]{3,39})(?=[/?]|$)")


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
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) >= 3:
        # uvicorn's access line: (client, method, path with query, http version, status)
        found = _TICKET_PATH.search(str(record.args[2]))
        if found:
            return found.group(1)
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


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """`logging.config.dictConfig` for uvicorn's `log_config`: every line, uvicorn's included, a JSON line
    on stderr. uvicorn applies it in every process it starts (with --workers, each worker too)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    quiet = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLines"}},
        "handlers": {"json": handler},
        "root": {"handlers": ["json"], "level": level},
        # uvicorn's loggers keep no handler of their own and reach the root's: one format, one stream.
        "loggers": {"uvicorn": quiet | {"level": level}, "uvicorn.error": quiet, "uvicorn.access": quiet},
    }


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
