"""Issue 4: structured logs carry the ticket number on every line."""

import json
import logging

from hotline_logging import JsonLines, ticket_context


def _line(**extra: object) -> dict[str, object]:
    record = logging.LogRecord("hotline", logging.INFO, __file__, 1, "signed_for by %s", ("unit:U1",), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(JsonLines().format(record))


def test_ticket_number_from_workflow_logger_extra() -> None:
    line = _line(temporal_workflow={"workflow_id": "ticket-GD12345-20261126-ab12cd34", "run_id": "r"})
    assert line["ticket_no"] == "GD12345-20261126-ab12cd34"
    assert line["msg"] == "signed_for by unit:U1"


def test_coordination_child_logs_under_its_ticket() -> None:
    line = _line(temporal_activity={"workflow_id": "ticket-T0001-coordination-2"})
    assert line["ticket_no"] == "T0001"


def test_request_context_and_missing_ticket() -> None:
    assert _line()["ticket_no"] == "-"
    token = ticket_context.set("T0042")
    try:
        assert _line()["ticket_no"] == "T0042"
    finally:
        ticket_context.reset(token)
