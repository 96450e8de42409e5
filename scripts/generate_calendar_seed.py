"""Generate domain/calendar_data/cn_2004_2026.json from chinesecalendar.

This is the only place chinesecalendar is imported: the service reads the generated JSON through
``domain.calendar.load_seed()`` and never calls the library at run time, because the library knows
2004–2026 only and truncates a datetime to its date without converting to Asia/Shanghai.

Usage:  .venv/bin/python scripts/generate_calendar_seed.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import chinese_calendar  # type: ignore[import-untyped]  # no stubs; dev-only dependency

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "domain" / "calendar_data" / "cn_2004_2026.json"


def build_seed() -> dict[str, object]:
    # The library's own tables are exactly what its is_workday() consults: `holidays` (statutory days
    # off, weekends inside a block included) and `workdays` (weekend days declared working, 调休).
    holidays: dict[int, list[date]] = defaultdict(list)
    workdays: dict[int, list[date]] = defaultdict(list)
    for d in chinese_calendar.holidays:
        holidays[d.year].append(d)
    for d in chinese_calendar.workdays:
        if d.weekday() < 5:
            raise SystemExit(f"{d} is an adjusted workday but not a weekend day")
        workdays[d.year].append(d)

    years = sorted(set(holidays) | set(workdays))
    if years != list(range(years[0], years[-1] + 1)):
        raise SystemExit(f"chinesecalendar years are not contiguous: {years}")
    return {
        "source": f"chinesecalendar {chinese_calendar.__version__}",
        "years": [
            {
                "year": y,
                "holidays": [d.isoformat() for d in sorted(holidays[y])],
                "adjusted_workdays": [d.isoformat() for d in sorted(workdays[y])],
            }
            for y in years
        ],
    }


def render(seed: dict[str, object]) -> str:
    # One year per line-group with the date lists inline, so a diff of a new notice stays readable.
    years = seed["years"]
    assert isinstance(years, list)
    lines = ["{", f'  "source": {json.dumps(seed["source"])},', '  "years": [']
    for i, y in enumerate(years):
        comma = "," if i < len(years) - 1 else ""
        lines.append(f'    {{"year": {y["year"]},')
        lines.append(f'     "holidays": {json.dumps(y["holidays"])},')
        lines.append(f'     "adjusted_workdays": {json.dumps(y["adjusted_workdays"])}}}{comma}')
    lines += ["  ]", "}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    text = render(build_seed())
    json.loads(text)  # the hand-rendered layout must still be valid JSON
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
