"""Charts as inline SVG, drawn on the server: no script, no chart library, nothing fetched (machines offline).

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` that say what it shows in words, and the
page puts a table of the same figures beside it (WCAG 1.1.1: the table is the text alternative). Labels
are SVG text in the pages' CJK font stack (presentation attributes, allowed by the pages' CSP, which
forbids inline style), so Chinese unit names render with Noto Sans CJK SC where it is installed.
Colours keep a 4.5:1 contrast against white for the text and carry a pattern-free meaning also told in
words (the legend and the table), never by colour alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
INK, MUTED, GRID = "#1a1a1a", "#454545", "#c9ced6"
BLUE, AMBER, RED, GREEN = "#0b4f9c", "#8a5a00", "#a11212", "#14632e"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = BLUE
    note: str = ""  # said after the value: 上升, 新出现 …


def _text(x: float, y: float, content: str, *, anchor: str = "start", size: int = 13, fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
        f'font-family="{FONT}">{escape(content)}</text>'
    )


def _svg(title: str, desc: str, width: int, height: int, body: list[str], kind: str) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg class="chart chart-{kind}" role="img" aria-labelledby="chart{n}-t chart{n}-d" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart{n}-t">{escape(title)}</title><desc id="chart{n}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "件", width: int = 720) -> Markup:
    """Horizontal bars, one per line (long Chinese unit names read across, not tilted)."""
    label_w, row_h, top = 300, 28, 8
    height = top * 2 + row_h * max(len(bars), 1)
    peak = max((b.value for b in bars), default=0) or 1
    room = width - label_w - 90
    body = []
    for i, b in enumerate(bars):
        y = top + i * row_h
        w = room * b.value / peak
        body.append(_text(label_w - 8, y + 18, _short(b.label, 22), anchor="end"))
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{b.colour}"/>'
        )
        shown = f"{_fmt(b.value)}{unit}" + (f" {b.note}" if b.note else "")
        body.append(_text(label_w + w + 6, y + 18, shown, fill=MUTED))
    if not bars:
        body.append(_text(width / 2, top + 18, "本期无数据", anchor="middle", fill=MUTED))
    desc = (
        "；".join(f"{b.label} {_fmt(b.value)}{unit}{(' ' + b.note) if b.note else ''}" for b in bars)
        or "本期无数据"
    )
    return _svg(title, desc, width, height, body, "bars")


def column_chart(
    title: str, columns: Sequence[tuple[str, float]], *, unit: str = "件", width: int = 720
) -> Markup:
    """Vertical columns over time (the trend per week), with the value on each and a baseline."""
    left, bottom, top, height = 40, 40, 24, 240
    plot_h = height - top - bottom
    n = max(len(columns), 1)
    step = (width - left - 10) / n
    peak = max((v for _, v in columns), default=0) or 1
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="{GRID}"/>'
    ]
    for i, (label, value) in enumerate(columns):
        h = plot_h * value / peak
        x = left + i * step + step * 0.15
        y = height - bottom - h
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BLUE}"/>'
        )
        body.append(_text(x + step * 0.35, y - 6, _fmt(value), anchor="middle", size=12, fill=MUTED))
        body.append(_text(x + step * 0.35, height - bottom + 18, label, anchor="middle", size=12))
    desc = "；".join(f"{label} {_fmt(v)}{unit}" for label, v in columns) or "本期无数据"
    return _svg(title, desc, width, height, body, "columns")


def stacked_bar(title: str, parts: Sequence[Bar], *, unit: str = "件", width: int = 720) -> Markup:
    """One bar split into its parts (the mix of cards), with a legend that names each part and its count."""
    total = sum(p.value for p in parts)
    height, x = 96, 10.0
    body = []
    for p in parts:
        w = (width - 20) * p.value / total if total else 0
        if w > 0:
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="10" width="{w:.1f}" height="32" fill="{p.colour}"/>'
            )
        x += w
    if not total:
        body.append(f'<rect x="10" y="10" width="{width - 20}" height="32" fill="none" stroke="{GRID}"/>')
    lx = 10.0
    for p in parts:
        share = f"{100 * p.value / total:.1f}%" if total else "0%"
        body.append(f'<rect x="{lx:.1f}" y="62" width="14" height="14" fill="{p.colour}"/>')
        legend = f"{p.label} {_fmt(p.value)}{unit}（{share}）"
        body.append(_text(lx + 20, 74, legend))
        lx += 28 + 14 * len(legend)
    desc = "；".join(f"{p.label} {_fmt(p.value)}{unit}" for p in parts) + f"；合计 {_fmt(total)}{unit}"
    return _svg(title, desc, width, height, body, "stacked")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
