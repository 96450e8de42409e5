"""Every example in the OpenAPI document names things `make run`'s demo has, and works on it.

The app runs on the seeded demo (operations/demo.py, operations/demo_tickets.py) with a real worker. Each
operation that takes a body is sent its example (the operation's own, else its schema's, else one built
from its fields' examples), with its path parameters' examples, as the caller it is meant for. Each must
answer 2xx, or a verdict of the rules (409, or a 422 / 403 whose code docs/errors.md explains): never a
5xx, never 404 (a ticket, point or coordination the demo does not have) and never a 422 for a unit, knowledge
point or ticket that does not exist or a body that is not valid.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from api.action_catalogue import ACTIONS, UNIT
from operations.demo import INTEGRATOR, OPERATOR, unit_staff
from operations.demo_tickets import HANDLING_NO
from tests.api.demo_support import Demo, serving_demo

ERRORS_PAGE = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
# A 422 with these codes means the example itself is wrong: invalid, or naming what the demo lacks.
EXAMPLE_IS_WRONG = {
    "INVALID_INPUT",
    "UNKNOWN_UNIT",
    "UNKNOWN_KNOWLEDGE_POINT",
    "UNKNOWN_PRIOR_TICKET",
    "UNKNOWN_RULE_SET",
    "UNIT_REQUIRED",
    "NOT_A_MEMBER_UNIT",
    "NOT_A_SUBUNIT",
}
UNIT_ACTIONS = {a.update for a in ACTIONS if a.roles == UNIT}
# A unit corrects its own points (A29): the example point is the city's HR bureau's.
# Paths whose answer depends on where the example ticket stands.
STAGE_BOUND = ("/tickets/GD", "/coordinations/", "/public/")
AS_UNIT = {"update_knowledge_point_knowledge_points__point_id__put": "SG-HRSS"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def example_body(spec: dict[str, Any], operation: dict[str, Any]) -> Any:
    content = operation["requestBody"]["content"]["application/json"]
    if "examples" in content:
        return next(iter(content["examples"].values()))["value"]
    if "example" in content:
        return content["example"]
    schema = _resolve(spec, content["schema"])
    if schema.get("examples"):
        return schema["examples"][0]
    body = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("examples"):
            body[name] = prop["examples"][0]
        elif name in schema.get("required", []):
            raise AssertionError(f"{operation['operationId']}: field {name} has no example")
    return body


def _path(template: str, operation: dict[str, Any]) -> str:
    path = template
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            examples = param.get("schema", {}).get("examples") or param.get("examples")
            assert examples, f"{operation['operationId']}: path parameter {param['name']} has no example"
            value = examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"]
            path = path.replace("{" + param["name"] + "}", str(value))
    return path


async def _headers(demo: Demo, operation: dict[str, Any], path: str) -> dict[str, str]:
    """The caller the operation is meant for: the requester with their secrets, the unit now handling the
    example ticket for a unit's action, the point's owner for a correction, else the hotline office."""
    # A deprecated former path (`<update>_deprecated_<n>`) is meant for the caller of its action.
    op_id = re.sub(r"_deprecated_\d+$", "", operation["operationId"])
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if path.startswith("/public/"):
        secrets = demo.requesters[HANDLING_NO]
        return headers | {
            "X-Access-Secret": secrets["access_secret"],
            "X-Rating-Code": secrets["rating_code"],
        }
    if op_id in UNIT_ACTIONS:
        view = (await demo.http.get(f"/tickets/{HANDLING_NO}", headers=demo.auth(OPERATOR))).json()
        return headers | demo.auth(unit_staff(view["forwarded_to"] or view["lead_unit"]))
    if op_id == "acknowledge_linkage":  # A23: the line's own credential (the demo's is 110's)
        return headers | demo.auth(INTEGRATOR)
    if op_id in AS_UNIT:
        return headers | demo.auth(unit_staff(AS_UNIT[op_id]))
    return headers | demo.auth(OPERATOR)


def _acceptable(status: int, body: dict[str, Any]) -> bool:
    if status < 300:
        return True
    code = body.get("code")
    documented = f"`{code}`" in ERRORS_PAGE
    if status == 409:
        return documented
    if status == 422:
        return documented and code not in EXAMPLE_IS_WRONG
    # A ticket the caller sees, an action that is another's: a verdict, not a wrong example.
    return status == 403 and code == "NOT_YOUR_ACTION"


async def test_every_openapi_example_request_works_on_the_demo(
    ts_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with serving_demo(ts_env, tmp_path) as demo:
        spec = demo.app.openapi()
        ran, wrong = [], []
        for template, operations in spec["paths"].items():
            for method, operation in operations.items():
                if "requestBody" not in operation:
                    continue
                path = _path(template, operation)
                body = example_body(spec, operation)
                headers = await _headers(demo, operation, path)
                response = await demo.http.request(method.upper(), path, json=body, headers=headers)
                sent = response.json() if response.headers.get("content-type") == "application/json" else {}
                answer = sent if isinstance(sent, dict) else {}
                ran.append((operation["operationId"], path, response.status_code, answer.get("code")))
                if not _acceptable(response.status_code, answer):
                    wrong.append(f"{method.upper()} {path}: {response.status_code} {response.text}")
        assert not wrong, "examples that do not work on the demo:\n" + "\n".join(wrong)
        # Every action's example ran; and those not bound to a ticket's stage (registration, units, the
        # knowledge base, leaders, calendars, rule sets, restrictions) were taken outright, not refused.
        assert {a.update for a in ACTIONS} <= {r[0] for r in ran}
        refused = [r for r in ran if r[2] >= 300 and not r[1].startswith(STAGE_BOUND)]
        assert not refused, refused
