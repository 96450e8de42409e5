"""A14 派单目录, the pure rules (domain/dispatch_catalogue.py): where the words put a matter, the precedence of
entries, what the operator's choice is called, and which areas may be stored."""

from __future__ import annotations

import pytest

from domain.catalogue_data import MATTER_TYPES, shaoguan_areas
from domain.dispatch_catalogue import (
    Area,
    AreaKind,
    Catalogue,
    Entry,
    SuggestionReason,
    area_problem,
    decision,
    locate,
    matter_chain,
    suggest,
)
from domain.vocabulary import DispatchDecision

E = Entry
ENTRIES = [
    E(matter_code="05", area_id="440203", lead_unit="DISTRICT"),
    E(matter_code="0501", area_id="440203-xilian", lead_unit="DISTRICT", co_units=["TOWN"]),
    E(matter_code="050101", area_id="440200", lead_unit="LIGHTING"),
    E(matter_code="050101", area_id="440204", lead_unit="ZJ-LIGHTING", co_units=["GONE", "ZJ"]),
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.of(MATTER_TYPES, shaoguan_areas(), ENTRIES)


def test_a_code_names_its_parents_the_gb_t_39666_way() -> None:
    assert matter_chain("050101") == ["050101", "0501", "05"]


@pytest.mark.parametrize(
    ("location", "content", "area", "ambiguous"),
    [
        (
            "武江区西联镇沐溪大道",
            "",
            "440203-xilian",
            [],
        ),  # a town is backed by its own name and its county's
        ("乐昌市坪石镇", "", "440281-pingshi", []),  # 乐昌市, the longest spelling, not 乐昌
        ("仁化县大桥镇", "", "440224-daqiao", []),  # two counties have a 大桥镇: the county named decides
        ("大桥镇", "", "440200", ["440224-daqiao", "440232-daqiao"]),  # neither: their common ancestor
        ("浈江区和武江区交界", "", "440200", ["440203", "440204"]),
        ("武江区乐昌路", "", "440203", []),  # 乐昌路 is a street, not 乐昌市
        ("武江区乐昌大道", "", "440203", []),
        ("乐昌市坪石镇大桥路", "", "440281-pingshi", []),  # a full name is the place even before 路
        ("", "我住在十里亭那边", "440204-shiliting", []),  # the content, when the place names nothing
        ("新华南路", "西联镇", "440203-xilian", []),
        ("", "", "440200", []),  # nothing named: the city, so city-wide entries still apply
    ],
)
def test_the_area_is_the_longest_best_backed_name_in_the_words(
    catalogue: Catalogue, location: str, content: str, area: str, ambiguous: list[str]
) -> None:
    found = locate(catalogue, location, content)
    assert (found.area_id, found.ambiguous_between) == (area, ambiguous)


@pytest.mark.parametrize(
    ("matter", "area", "lead", "entry"),
    [
        # The more specific matter type first: 050101's city-wide entry over 0501@西联镇 and 05@武江区.
        ("050101", "440203-xilian", "LIGHTING", ("050101", "440200")),
        # Then the more specific area: 050101@浈江区 over 050101@city.
        ("050101", "440204-donghe", "ZJ-LIGHTING", ("050101", "440204")),
        # No entry of its own: 0501@西联镇 (the town) over 05@武江区 (the county).
        ("050102", "440203-xilian", "DISTRICT", ("0501", "440203-xilian")),
        ("050102", "440203-longgui", "DISTRICT", ("05", "440203")),
        ("050102", "440204", None, (None, None)),
        ("0401", "440203", None, (None, None)),
    ],
)
def test_the_more_specific_matter_type_wins_then_the_more_specific_area(
    catalogue: Catalogue, matter: str, area: str, lead: str | None, entry: tuple[str | None, str | None]
) -> None:
    found = suggest(catalogue, matter, area, frozenset())
    assert (found.lead_unit, (found.entry_matter_code, found.entry_area_id)) == (lead, entry)
    assert (found.reason == SuggestionReason.COVERED) == (lead is not None)


def test_a_deactivated_lead_is_no_suggestion_a_deactivated_co_unit_is_left_out(catalogue: Catalogue) -> None:
    assert suggest(catalogue, "050101", "440204", frozenset({"GONE"})).co_units == ["ZJ"]
    gone = suggest(catalogue, "050101", "440204", frozenset({"ZJ-LIGHTING"}))
    # Not the city-wide entry instead: the office corrects the entry that named the unit.
    assert (gone.reason, gone.lead_unit, gone.entry_area_id) == (
        SuggestionReason.LEAD_DEACTIVATED,
        None,
        "440204",
    )


def test_the_operator_s_choice_is_named_by_the_lead_alone() -> None:
    assert decision("A", "A") == DispatchDecision.CONFIRMED
    assert decision("A", "B") == DispatchDecision.OVERRIDDEN
    assert decision("A", None) == DispatchDecision.UNDISPATCHED
    assert decision(None, "B") == decision(None, None) == DispatchDecision.UNSUGGESTED


def test_an_area_sits_under_the_rank_above_it(catalogue: Catalogue) -> None:
    def town(parent: str | None) -> Area:
        return Area(id="440203-x", name="某镇", kind=AreaKind.TOWN, parent_id=parent)

    assert area_problem(catalogue, town("440203")) is None
    assert area_problem(catalogue, town("440200")) is not None  # a town under the city
    assert area_problem(catalogue, town("nowhere")) is not None
    assert area_problem(catalogue, Area(id="x", name="另一市", kind=AreaKind.CITY)) is not None  # one root
    county = Area(id="440203", name="武江区", kind=AreaKind.COUNTY, parent_id="440203-xilian")
    assert area_problem(catalogue, county) is not None  # under its own town
