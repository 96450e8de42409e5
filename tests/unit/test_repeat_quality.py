"""A10.6/A18: repeat detection measured on labelled pairs written as callers speak (tests/labelled/), and on
any set named by HOTLINE_REPEAT_PAIRS (paths, comma-separated, same JSON-lines shape) that is not in the
repo. Goal (issue 14): precision ≥ 0.9 at recall ≥ 0.8, at the threshold the service runs with. The
synonym groups are the seeded ones, what a new office starts with (the office edits them at run time:
tests/api/test_repeats_and_joining.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from api.repeat_words import words_for
from config import Settings
from domain.knowledge_words import SEED_SYNONYM_GROUPS
from domain.repeats import Matter, likeness, place_terms, same_place

IN_REPO = Path(__file__).resolve().parents[1] / "labelled" / "repeat_pairs.jsonl"
SETS = [IN_REPO, *(Path(p) for p in os.environ.get("HOTLINE_REPEAT_PAIRS", "").split(",") if p.strip())]


def _pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_a10_6_precision_and_recall_on_labelled_pairs(path: Path) -> None:
    pairs = _pairs(path)
    kinds = {p["kind"] for p in pairs}
    assert len(pairs) >= 30 and kinds == {"same_matter", "same_place", "same_kind"}, (len(pairs), kinds)
    threshold, words = Settings().repeat_threshold, words_for(SEED_SYNONYM_GROUPS.values())
    tp = fp = fn = 0
    for pair in pairs:
        found = likeness(Matter(**pair["a"]), Matter(**pair["b"]), words).is_repeat(threshold)
        same = pair["kind"] == "same_matter"
        tp, fp, fn = tp + (found and same), fp + (found and not same), fn + (same and not found)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(
        f"\nA10.6 repeat detection on {path.name}: {len(pairs)} pairs, threshold {threshold}: "
        f"precision {precision:.3f}, recall {recall:.3f} (tp {tp}, fp {fp}, fn {fn})"
    )
    assert precision >= 0.9 and recall >= 0.8


def test_a10_6_the_place_is_judged_apart_from_the_matter() -> None:
    """The same road and house number, however written; another house number on it is another place."""
    assert same_place("韶关市武江区新华南路88号", "武江区新华南路88号附近") is True
    assert same_place("武江区新华南路88号", "武江区新华南路120号") is False
    assert same_place("武江区新华南路88号", "浈江区解放路88号") is False
    assert same_place("", "武江区新华南路88号") is None
    assert place_terms("韶关市武江区新华南路88号附近")[0] == "新华南路"


def test_a10_6_the_place_in_the_content_does_not_make_matters_alike() -> None:
    words = words_for(SEED_SYNONYM_GROUPS.values())
    where = "武江区新华南路88号"
    lamp = Matter("新华南路88号门口路灯一个礼拜都不亮", where)
    cover = Matter("新华南路88号门口井盖丢了", where)
    again = Matter("新华南路88号那里的照明坏了，晚上黑乎乎的", where)
    assert likeness(lamp, again, words).score > 3 * likeness(lamp, cover, words).score
    assert likeness(lamp, again, words).is_repeat(Settings().repeat_threshold)
