"""What the API shows a person: every instant in Asia/Shanghai, every code with its labels.

`View` is the base of every response model. Its one serializer writes each instant of the response, those
in nested domain models too (a ticket's clocks, timeline, records), with the +08:00 offset of
Asia/Shanghai: a limit reads `2026-12-17T00:00:00+08:00`, the 24:00 a clerk counts to, not
`2026-12-16T16:00:00Z`. Requests keep accepting any offset. The domain models that travel through Temporal
keep their instants as they are; only the JSON the API writes changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from domain.calendar import SHANGHAI
from domain.labels import Label, label

# An instant written as text inside a free-form payload (a timeline event's `data`: deadlines, extended_to).
_INSTANT_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def in_shanghai(value: Any, payload: bool = False) -> Any:
    """`value` with every aware datetime in it (nested models, lists, dicts) expressed in Asia/Shanghai;
    the same object where nothing changes. Models are copied without validation: a domain validator that
    normalises to UTC (domain/calendar.py Deadline) must not undo it. Inside a list or dict (`payload`), a
    string that is exactly an instant with its offset is rewritten too: it is the same instant."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI) if value.utcoffset() is not None else value
    if payload and isinstance(value, str) and _INSTANT_TEXT.fullmatch(value):
        return datetime.fromisoformat(value).astimezone(SHANGHAI).isoformat()
    if isinstance(value, BaseModel):
        update = {}
        for name in type(value).model_fields:
            item = getattr(value, name, None)
            shown = in_shanghai(item)
            if shown is not item:
                update[name] = shown
        return value.model_copy(update=update) if update else value
    if isinstance(value, list | tuple):
        items = [in_shanghai(v, True) for v in value]
        return type(value)(items) if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        shown_items = {k: in_shanghai(v, True) for k, v in value.items()}
        return shown_items if any(shown_items[k] is not value[k] for k in value) else value
    return value


class View(BaseModel):
    """A response: its JSON shows every instant in Asia/Shanghai (+08:00)."""

    @model_serializer(mode="wrap")
    def _instants_in_shanghai(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):  # type: ignore[no-untyped-def]
        # No return annotation: pydantic then keeps the fields' own schema for OpenAPI.
        return handler(in_shanghai(self) if info.mode_is_json() else self)


# A domain model shown as a response: `class XView(View, X)` with this config accepts the X the route returns.
FROM_DOMAIN = ConfigDict(from_attributes=True)


class CodeLabel(BaseModel):
    """What a code says, in Chinese (the regulation's words) and English (domain/labels.py)."""

    zh: str = Field(examples=["办理中"])
    en: str = Field(examples=["handling"])


def _shown(value: object, read: Callable[[Any], Label]) -> CodeLabel | None:
    if value is None:
        return None
    zh, en = read(value)
    return CodeLabel(zh=zh, en=en)


def label_of(field: str, read: Callable[[Any], Label] = label) -> Any:
    """A computed `<field>_label` beside a code field: `stage: "handling"`, `stage_label: {"zh": "办理中",
    "en": "handling"}` (null where the code is null)."""
    return computed_field(  # type: ignore[call-overload]
        property(lambda self: _shown(getattr(self, field), read)),
        return_type=CodeLabel | None,
        description=f"`{field}` in words: Chinese and English.",
    )
