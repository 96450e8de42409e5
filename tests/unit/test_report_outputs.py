"""The pure parts of what people look at: the hot-spot rule (domain/hotspots.py), the charts' SVG
(api/pages/charts.py) and the files' cells and names (api/exports.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel

from api.exports import content_disposition, csv_bytes, escaped, sheet_of, xlsx_bytes
from api.pages import charts
from domain.hotspots import Trend, district_in, district_name, week_of

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("counts", "rising", "new"),
    [
        ((1, 1, 1, 1, 2), False, False),  # 2 ≥ 2 × 1.0 but under min_count 3
        ((2, 2, 1, 1, 3), True, False),  # mean 1.5: 3 is exactly 2× (compared in integers)
        ((2, 2, 2, 1, 3), False, False),  # mean 1.75: 3.5 needed
        ((0, 0, 0, 0, 3), True, True),  # a zero mean: rises at min_count, marked new
        ((0, 0, 0, 0, 2), False, True),  # new, but not yet min_count
        ((9, 0, 0, 0, 1, 3), True, False),  # only the 4 weeks before count: mean 0.25
        ((5, 5, 5, 5, 0), False, False),
    ],
)
def test_an_item_rises_at_twice_the_four_weeks_mean(counts: tuple[int, ...], rising: bool, new: bool) -> None:
    trend = Trend(counts, min_count=3)
    assert (trend.rising, trend.new) == (rising, new)


def test_weeks_are_shanghai_weeks_and_districts_are_places() -> None:
    assert week_of(datetime(2026, 11, 22, 15, 59, tzinfo=UTC)) == date(2026, 11, 16)  # Sun 23:59 +08:00
    assert week_of(datetime(2026, 11, 22, 16, 0, tzinfo=UTC)) == date(2026, 11, 23)  # Mon 00:00 +08:00
    assert district_name("韶关市武江区人民政府") == "武江区"
    assert (
        district_name("乐昌市人民政府") == "乐昌市"
        and district_name("乳源瑶族自治县人民政府") == "乳源瑶族自治县"
    )
    assert district_in("浈江区风采路", [("WJ", "武江区"), ("ZJ", "浈江区")]) == "ZJ"
    assert district_in("某小区", [("WJ", "武江区")]) is None


def test_a_chart_is_an_svg_image_with_its_words() -> None:
    chart = charts.bar_chart(
        "各单位<排名>", [charts.Bar("武江区 & 城管", 3, note="上升"), charts.Bar("供电局", 0)]
    )
    svg = ElementTree.fromstring(str(chart))  # well-formed, text escaped
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "各单位<排名>"  # type: ignore[union-attr]
    assert "武江区 & 城管 3件 上升" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    assert len(svg.findall(f"{SVG}rect")) == 2
    assert all("Noto Sans CJK SC" in (t.get("font-family") or "") for t in svg.iter(f"{SVG}text"))
    for empty in (charts.bar_chart("空", []), charts.column_chart("空", []), charts.stacked_bar("空", [])):
        ElementTree.fromstring(str(empty))


class Line(BaseModel):
    unit: str
    received: int
    satisfaction: dict[str, int]
    new_rate: float | None = None  # a figure with no label yet: headed by its name


def test_files_have_chinese_headers_and_defuse_formulas() -> None:
    lines = [Line(unit="=cmd|' /C calc'!A0", received=-1, satisfaction={"satisfied": 2}, new_rate=0.5)]
    sheet = sheet_of("单位", lines)
    assert sheet.headers == ["单位编码", "受理量", "办理评价·满意", "new_rate"]
    assert sheet.rows == [["'=cmd|' /C calc'!A0", -1, 2, 0.5]]  # a negative number stays a number
    assert [escaped(v) for v in ("+1", "-x", "@SUM(A1)", "\tx", "普通")] == [
        "'+1",
        "'-x",
        "'@SUM(A1)",
        "'\tx",
        "普通",
    ]
    text = csv_bytes(sheet)
    assert text.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(text.decode("utf-8-sig")))) == [
        sheet.headers,
        ["'=cmd|' /C calc'!A0", "-1", "2", "0.5"],
    ]
    ws = load_workbook(io.BytesIO(xlsx_bytes([sheet])))
    assert ws["单位"]["A2"].value == "'=cmd|' /C calc'!A0" and ws["单位"]["A2"].data_type == "s"


def test_a_chinese_filename_in_rfc_5987() -> None:
    header = content_disposition("12345热线通报_2026-11.csv", 'hotline-bulletin_WJ/"x\u6b66.csv')
    assert header.startswith("attachment; filename=\"hotline-bulletin_WJ__x_.csv\"; filename*=UTF-8''")
    assert unquote(header.split("UTF-8''")[1]) == "12345热线通报_2026-11.csv"
    header.encode("latin-1")  # a header must be
