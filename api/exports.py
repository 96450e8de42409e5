"""Reports as files a spreadsheet opens: CSV (UTF-8 with a BOM) and Excel (xlsx, openpyxl), Chinese headers.

- **Generic:** a report's lines are pydantic models; every field becomes a column, nested models and
  dicts flattened (`components.timeliness.value` → 及时率·值), so a figure added to the bulletin appears in
  its export without a change here. Headers come from `HEADERS` (api/export_labels.py), the field's own
  name where it has no label yet. Lists become one cell, joined with 、.
- **BOM:** Excel reads a CSV without one as the machine's ANSI code page (GBK on a Chinese Windows): the
  BOM makes it read UTF-8.
- **No formula injection** (OWASP "CSV injection"): a text cell that starts with = + - @, a tab or a
  carriage return would be run as a formula by a spreadsheet; it is written with a leading `'`, in CSV and
  xlsx alike (one rule, so an xlsx saved as CSV stays safe), and xlsx text cells are typed as text.
- **Filenames:** `Content-Disposition: attachment` with an ASCII `filename` and the Chinese name as
  RFC 5987 `filename*=UTF-8''…` (RFC 6266), which every current browser prefers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi.responses import Response
from openpyxl import Workbook  # type: ignore[import-untyped]
from pydantic import BaseModel

from api.export_labels import HEADERS
from domain.calendar import SHANGHAI

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Sheet:
    title: str  # the xlsx sheet's name (≤ 31 characters)
    headers: list[str]
    rows: list[list[Any]]


def escaped(value: Any) -> Any:
    """A cell as written: text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """A JSON-ish value as a cell: instants in Asia/Shanghai, enums by code, lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat() if value.utcoffset() is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple | set):
        return "、".join(str(cell(v)) for v in value)
    return escaped(value)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):  # model_dump gives plain dicts (an ABC check costs 3× as much)
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def flat(line: BaseModel) -> dict[str, Any]:
    """The line's fields (not its computed labels), nested ones as dotted paths. One model_dump (pydantic's
    core) rather than a getattr per field: 10,000 lines of a ticket list in a fraction of a second."""
    out: dict[str, Any] = {}
    _flatten("", line.model_dump(exclude=set(type(line).model_computed_fields)), out)
    return out


def header(path: str) -> str:
    """A column's Chinese header: its whole path labelled if listed, else each part's label joined by ·."""
    if path in HEADERS:
        return HEADERS[path]
    return "·".join(HEADERS.get(part, part) for part in path.split("."))


def sheet_of(title: str, lines: Sequence[BaseModel], *, drop: Iterable[str] = ()) -> Sheet:
    """One row per line, one column per (flattened) field, in the order the first line gives them."""
    dropped = set(drop)
    flats = [flat(line) for line in lines]
    columns: list[str] = []
    for f in flats:
        columns.extend(c for c in f if c not in columns and c.split(".")[0] not in dropped)
    rows = [[cell(f.get(c)) for c in columns] for f in flats]
    return Sheet(title=title, headers=[escaped(header(c)) for c in columns], rows=rows)


def csv_bytes(sheet: Sheet) -> bytes:
    buffer = io.StringIO(newline="")
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, what Excel writes
    writer.writerow(sheet.headers)
    writer.writerows(sheet.rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Streamed (openpyxl's write-only mode: rows go out as they are appended, a fraction of the memory and
    time). openpyxl reads a string starting with `=` as a formula; no cell here does, `escaped` saw to it."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.freeze_panes = "A2"
        ws.append(sheet.headers)
        for row in sheet.rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def content_disposition(name: str, ascii_name: str) -> str:
    """RFC 6266 with RFC 5987's `filename*` for the Chinese name, and an ASCII fallback. Both may carry a
    unit id as the caller wrote it: the fallback keeps only safe characters, the other is percent-encoded."""
    fallback = _UNSAFE_IN_NAME.sub("_", ascii_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def file_response(fmt: str, sheets: Sequence[Sheet], name: str, ascii_name: str) -> Response:
    """The export in `fmt` (csv: the first sheet; xlsx: every sheet), named `name`.`fmt`. Written in a worker
    thread: 10,000 lines take openpyxl seconds (README), which must not stall the event loop's other
    requests."""
    body = await anyio.to_thread.run_sync(
        lambda: csv_bytes(sheets[0]) if fmt == "csv" else xlsx_bytes(sheets)
    )
    return Response(
        body,
        media_type=FORMATS[fmt],
        headers={
            "Content-Disposition": content_disposition(f"{name}.{fmt}", f"{ascii_name}.{fmt}"),
            "Cache-Control": "no-store",  # figures of named units: not for shared caches
            "X-Content-Type-Options": "nosniff",
        },
    )


def file_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entry of an export's 200: either media type (the path's extension says which)."""
    content = {
        CSV_TYPE: {"schema": {"type": "string"}},
        XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }
    return {200: {"description": description, "content": content}}
