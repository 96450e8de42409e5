"""Codes carry labels: every member of every labelled enum has a Chinese and an English label."""

from __future__ import annotations

import re

import pytest

from domain.labels import ENUM_LABELS, EVENT_LABELS, rule_citation
from domain.vocabulary import Labelled

LABELLED = Labelled.__subclasses__()
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_labelled_enums_are_those_a_person_reads() -> None:
    assert {e.__name__ for e in LABELLED} >= {
        "Stage",
        "Outcome",
        "Card",
        "NotAcceptedReason",
        "RefusalGround",
    }


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_every_member_has_both_labels(enum: type[Labelled]) -> None:
    """A member added without its labels fails here."""
    for member in enum:
        zh, en = ENUM_LABELS[member]
        assert HAN.search(zh) and en.strip() and not HAN.search(en.replace("信访", "")), member


def test_no_label_for_a_code_that_is_not_labelled() -> None:
    assert all(isinstance(code, Labelled) for code in ENUM_LABELS)


def test_event_labels_are_chinese() -> None:
    assert all(HAN.search(zh) and en for zh, en in EVENT_LABELS.values())


def test_a_rule_id_reads_as_the_article_it_cites() -> None:
    assert rule_citation("A20").zh == "《韶关市12345政务服务便民热线管理细则》第二十条"
    assert rule_citation("A14.1").zh.endswith("第十四条第（一）项")
    assert rule_citation("A10.3") == ("《韶关市12345政务服务便民热线管理细则》第十条第（三）项", "Art. 10(3)")
    assert rule_citation("A33").zh.endswith("第三十三条")


def test_every_timeline_event_kind_has_a_label() -> None:
    """A new EventKind without a label would reach people as 办理进展; give it its own words."""
    from domain.timeline import EventKind

    assert set(EventKind) == set(EVENT_LABELS)
