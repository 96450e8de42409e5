"""Request bodies: the domain command without the fields the server fills — the `actor` (always from the
credential), ids taken from the path, defaults such as "now". Derived from the commands in
domain/commands.py, so a rule added there (a length, a required field) holds at the API at once; every
datetime is ISO 8601 with its offset, and the edge's checks (control characters, size) run first.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict, create_model, model_validator
from pydantic_core import PydanticUndefined

from api.edge import BODY_LIMIT_BYTES, WrittenDay, WrittenInstant, check_body_size
from api.errors import invalid
from domain.commands import Command, writable

BODY_CONFIG = ConfigDict(extra="forbid", frozen=True)


def _aware(annotation: Any) -> Any:
    # The commands' own instant type (aware and plausible, domain/commands.py), written as ISO 8601 with
    # its offset; a day as ISO 8601 (api/edge.py): never a Unix time.
    for plains, written in (((datetime, AwareDatetime), WrittenInstant), ((date,), WrittenDay)):
        if annotation in plains:
            return written
        if get_origin(annotation) in (UnionType, Union) and set(plains) & set(get_args(annotation)):
            return written | None
    return annotation


def body_model(
    command: type[Command],
    name: str,
    *,
    drop: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    add: dict[str, tuple[Any, Any]] | None = None,
    example: dict[str, Any] | None = None,
    max_bytes: int = BODY_LIMIT_BYTES,
) -> type[BaseModel]:
    """The body for `command`: its fields minus `actor` and `drop`, `optional` ones defaulting to None
    (the server fills them), `required` ones without the command's default (the caller must say it; the
    command keeps its default for the histories that decode it), plus `add`. Datetimes are ISO 8601 with
    their offset, days ISO 8601; the body is at most `max_bytes` of JSON (api/edge.py)."""
    fields: dict[str, Any] = {}
    for field_name, info in command.model_fields.items():
        if field_name == "actor" or field_name in drop:
            continue
        info = copy(info)
        annotation = _aware(info.annotation)
        if field_name in optional:
            # The field's constraints and validators (e.g. Instant's plausibility check) hold for a value,
            # not for the None that asks the server to fill it in.
            if info.metadata:
                annotation, info.metadata = Annotated[(annotation, *info.metadata)], []
            annotation, info.default, info.default_factory = annotation | None, None, None
        if field_name in required:
            info.default, info.default_factory = PydanticUndefined, None
        fields[field_name] = (annotation, info)
    fields.update(add or {})
    config = BODY_CONFIG | ({"json_schema_extra": {"examples": [example]}} if example else {})
    model: type[BaseModel] = create_model(
        name,
        __config__=config,
        __doc__=command.__doc__,
        # pydantic accepts its decorator proxies here; its stubs ask for plain callables.
        __validators__={"_edge": model_validator(mode="before")(_edge_check(max_bytes))},  # type: ignore[dict-item]
        **fields,
    )
    return model


def require_writable(data: Any) -> None:
    """`check_writable` for a body that is a domain model itself (a rule set): 422 INVALID_INPUT."""
    try:
        check_writable(data)
    except ValueError as err:
        raise invalid("INVALID_INPUT", str(err)) from None


def _edge_check(max_bytes: int) -> Callable[[type[BaseModel], Any], Any]:
    """The generated bodies' validator (before their fields are read): 422 INVALID_INPUT through pydantic
    for a control character, 422 TOO_LARGE for a body a workflow payload should not carry (api/edge.py)."""

    def check(cls: type[BaseModel], data: Any) -> Any:
        check_writable(data)
        check_body_size(data, max_bytes)
        return data

    return check


def check_writable(data: Any) -> None:
    """Every string a body carries, nested ones too, is text a clerk could write (domain.commands.writable):
    checked here, at the edge, and not in the domain models that workflows decode on replay."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            writable(value)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
