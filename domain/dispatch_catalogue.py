"""A14 派单目录: the dispatch catalogue the office edits at run time, and the lead it suggests at registration.

A14 has the hotline "fill a ticket by type and dispatch it"; the catalogue is that knowledge as data, so the
operator no longer types the lead unit's id from memory. It is three things:

- a tree of **matter types** in the shape of GB/T 39666-2020 《政府热线服务分类与代码》: six digits, two a
  level (大类 `05`, 中类 `0501`, 小类 `050101`), so a code names its parent (`050101` → `0501` → `05`);
- a tree of **areas**: the city, its districts and counties, their towns and streets (乡镇街道), each with the
  names a caller says (武江区 / 武江), matched in the registration's place and content;
- **entries**: a matter type in an area → the lead unit (a member unit, A6) and its default co-units.

Precedence (`suggest`): **the more specific matter type first, then the more specific area.** The catalogue
walks the matter's chain from the leaf up (`050101`, `0501`, `05`) and, for each, the area's chain from the
town up (town, county, city); the first entry found decides. So 路灯照明 in 西联镇 takes an entry for
(路灯照明, 武江区) over one for (市政设施, 西联镇): an entry for a narrower matter is written to carve that
matter out of an area's general duty (street lighting goes to the lighting authority even where a town handles
the rest of the roads), and an entry for a narrower area refines its matter within that matter's own level.

Areas are found by longest match over the catalogue's own names (`locate`), not by a word segmenter: the
gazetteer *is* the dictionary, a town name jieba does not know would be split at random, and a match over
~200 names costs microseconds. Pure: no I/O; the API loads the catalogue from the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from domain.vocabulary import DispatchDecision

MATTER_CODE_PATTERN = r"^(\d{2}){1,4}$"
AREA_ID_PATTERN = r"^[0-9a-z][0-9a-z-]{0,63}$"
MatterCode = Annotated[str, StringConstraints(pattern=MATTER_CODE_PATTERN)]
AreaId = Annotated[str, StringConstraints(pattern=AREA_ID_PATTERN)]
PlaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=30)]
UnitRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

# A short name followed by one of these is a street named after the place (乐昌路, 乐昌大道), not the place.
_STREET_SUFFIXES = ("路", "街", "道", "巷", "桥", "大道", "大街")
# A name ending in one of these is the place's own full name: never read as a street.
_ADMINISTRATIVE_SUFFIXES = ("市", "区", "县", "镇", "乡", "街道")


def parent_code(code: str) -> str | None:
    """GB/T 39666's shape: a code's parent is the code less its last level (`050101` → `0501`)."""
    return code[:-2] or None


def matter_chain(code: str) -> list[str]:
    """The code and its ancestors, the most specific first."""
    return [code[:end] for end in range(len(code), 0, -2)]


class AreaKind(StrEnum):
    CITY = "city"  # 地级市: the whole catalogue's root
    COUNTY = "county"  # 区、县、县级市
    TOWN = "town"  # 乡、镇、街道

    @property
    def parent_kind(self) -> AreaKind | None:
        return {AreaKind.CITY: None, AreaKind.COUNTY: AreaKind.CITY, AreaKind.TOWN: AreaKind.COUNTY}[self]


class MatterType(BaseModel):
    code: MatterCode
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    note: Annotated[str, StringConstraints(max_length=200)] = ""


class Area(BaseModel):
    id: AreaId
    name: PlaceName
    kind: AreaKind
    parent_id: AreaId | None = None
    # What callers also say: 武江 for 武江区, 乳源 for 乳源瑶族自治县. The name always counts.
    aliases: list[PlaceName] = Field(default_factory=list, max_length=20)

    def spellings(self) -> list[str]:
        return list(dict.fromkeys([self.name, *self.aliases]))


class Entry(BaseModel):
    """A matter type in an area → its lead (a member unit, A6) and default co-units (any tier)."""

    matter_code: MatterCode
    area_id: AreaId
    lead_unit: UnitRef
    co_units: list[UnitRef] = Field(default_factory=list, max_length=20)
    note: Annotated[str, StringConstraints(max_length=200)] = ""


class AreaMatch(BaseModel):
    """Where the registration's words put the matter. `area_id` None: no area named and no city to fall back on."""

    area_id: str | None
    # The spellings found in the text, in order, e.g. ["武江区", "西联镇"].
    matched: list[str] = Field(default_factory=list)
    # Several areas of one rank were named and none is preferred: the match is their common ancestor.
    ambiguous_between: list[str] = Field(default_factory=list)
    # The words named no area: the city-wide entries still apply.
    from_text: bool = True


class SuggestionReason(StrEnum):
    COVERED = "covered"  # an entry covers the matter type in this area
    NOT_COVERED = "not_covered"  # no entry for this matter type or its parents, here or above
    LEAD_DEACTIVATED = "lead_deactivated"  # the entry's lead was taken off the hotline: correct the entry


class Suggestion(BaseModel):
    reason: SuggestionReason
    lead_unit: str | None = None
    co_units: list[str] = Field(default_factory=list)
    # The entry that decided (its matter type and area): how the operator can see why.
    entry_matter_code: str | None = None
    entry_area_id: str | None = None


@dataclass
class Catalogue:
    matter_types: dict[str, MatterType] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    _spellings: tuple[dict[str, set[str]], dict[str, list[str]]] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, matters: Iterable[MatterType], areas: Iterable[Area], entries: Iterable[Entry]) -> Catalogue:
        return cls(
            {m.code: m for m in matters},
            {a.id: a for a in areas},
            {(e.matter_code, e.area_id): e for e in entries},
        )

    def area_chain(self, area_id: str | None) -> list[str]:
        """The area and those above it, the most specific first (a cycle cannot be stored: see `check_area`)."""
        chain: list[str] = []
        while area_id is not None and area_id in self.areas and area_id not in chain:
            chain.append(area_id)
            area_id = self.areas[area_id].parent_id
        return chain

    def spellings(self) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
        """Every spelling with the areas it names, and the spellings by first character, longest first."""
        if self._spellings is None:
            by_spelling: dict[str, set[str]] = {}
            for area in self.areas.values():
                for spelling in area.spellings():
                    by_spelling.setdefault(spelling, set()).add(area.id)
            by_first: dict[str, list[str]] = {}
            for spelling in sorted(by_spelling, key=len, reverse=True):
                by_first.setdefault(spelling[0], []).append(spelling)
            self._spellings = (by_spelling, by_first)
        return self._spellings

    def root(self) -> str | None:
        return next((a.id for a in self.areas.values() if a.kind == AreaKind.CITY), None)


# -- where: the area the words name ----------------------------------------------------------------------------
def _hits(catalogue: Catalogue, text: str) -> list[tuple[str, set[str]]]:
    """Left to right, the longest spelling at each place (乐昌市 before 乐昌), with every area so spelt
    (two counties each have a 大桥镇). A short name read as a street's (乐昌路) is skipped."""
    by_spelling, by_first = catalogue.spellings()
    hits: list[tuple[str, set[str]]] = []
    i = 0
    while i < len(text):
        found = next((s for s in by_first.get(text[i], ()) if text.startswith(s, i)), None)
        if found is None:
            i += 1
            continue
        street = text.startswith(_STREET_SUFFIXES, i + len(found))
        if street and not found.endswith(_ADMINISTRATIVE_SUFFIXES):
            i += 1
            continue
        hits.append((found, by_spelling[found]))
        i += len(found)
    return hits


def _common_ancestor(catalogue: Catalogue, area_ids: Iterable[str]) -> str | None:
    chains = [catalogue.area_chain(a) for a in area_ids]
    shared = set.intersection(*(set(c) for c in chains)) if chains else set()
    return next((a for a in chains[0] if a in shared), None) if chains else None


def locate(catalogue: Catalogue, location: str, content: str = "") -> AreaMatch:
    """The area the registration names: its place first, its content only if the place names none.

    Each area named is weighed by how many of the names found agree with it (a town is backed by its own
    name and by its county's: 「仁化县大桥镇」 is 仁化's 大桥镇, not 乳源's); the best-backed wins, the deeper one
    on a tie. Areas still tied are ambiguous: the match is their common ancestor (the city, for two
    counties), so only entries that cover them all apply."""
    for text in (location, content):
        hits = _hits(catalogue, text)
        if hits:
            break
    else:
        return AreaMatch(area_id=catalogue.root(), from_text=False)
    named = set().union(*(areas for _, areas in hits))

    def backing(area_id: str) -> tuple[int, int]:
        chain = set(catalogue.area_chain(area_id))
        return sum(1 for _, areas in hits if areas & chain), len(chain)

    best = max(backing(a) for a in named)
    winners = sorted(a for a in named if backing(a) == best)
    matched = [spelling for spelling, _ in hits]
    if len(winners) == 1:
        return AreaMatch(area_id=winners[0], matched=matched)
    return AreaMatch(area_id=_common_ancestor(catalogue, winners), matched=matched, ambiguous_between=winners)


# -- who: the entry that decides ---------------------------------------------------------------------------------
def suggest(
    catalogue: Catalogue, matter_code: str, area_id: str | None, deactivated: frozenset[str]
) -> Suggestion:
    """A14: the lead and co-units for a matter type in an area. Precedence: the more specific matter type
    first (leaf to 大类), and within each the more specific area (town, county, city); the first entry found
    decides. A deactivated lead is no suggestion (the office must correct the entry, not have the ticket fall
    to a broader one silently); a deactivated co-unit is left out."""
    areas = catalogue.area_chain(area_id)
    for code in matter_chain(matter_code):
        for area in areas:
            entry = catalogue.entries.get((code, area))
            if entry is None:
                continue
            where = {"entry_matter_code": code, "entry_area_id": area}
            if entry.lead_unit in deactivated:
                return Suggestion(reason=SuggestionReason.LEAD_DEACTIVATED, **where)
            co_units = [u for u in entry.co_units if u not in deactivated]
            return Suggestion(
                reason=SuggestionReason.COVERED, lead_unit=entry.lead_unit, co_units=co_units, **where
            )
    return Suggestion(reason=SuggestionReason.NOT_COVERED)


def decision(suggested_lead: str | None, chosen_lead: str | None) -> DispatchDecision:
    """What the operator did with a suggestion, by the lead alone (co-units are the lead's to add to, A14)."""
    if suggested_lead is None:
        return DispatchDecision.UNSUGGESTED
    if chosen_lead is None:
        return DispatchDecision.UNDISPATCHED
    return DispatchDecision.CONFIRMED if chosen_lead == suggested_lead else DispatchDecision.OVERRIDDEN


# -- what the office may store -------------------------------------------------------------------------------------
def area_problem(catalogue: Catalogue, area: Area) -> str | None:
    """Why the area cannot be stored, or None: a city has no parent and is the only one; a county sits under
    the city and a town under a county; no area under itself."""
    wanted = area.kind.parent_kind
    if wanted is None:
        other = catalogue.root()
        if area.parent_id is not None:
            return "a city is the catalogue's root: it has no parent"
        return f"the catalogue has its city already: {other}" if other not in (None, area.id) else None
    parent = catalogue.areas.get(area.parent_id or "")
    if parent is None:
        return f"a {area.kind.value} sits under a {wanted.value}: name an existing `parent_id`"
    if parent.kind != wanted:
        return f"a {area.kind.value} sits under a {wanted.value}; {parent.id} is a {parent.kind.value}"
    if area.id in catalogue.area_chain(parent.id):
        return "an area cannot sit under itself"
    return None
