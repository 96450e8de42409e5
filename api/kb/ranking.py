"""Ranking (A12): BM25F over the segmented index, computed here from integers the database returns, so
SQLite and PostgreSQL rank alike. Pure: no I/O.

A question is a list of concepts (a word of the caller's, or a run of characters the dictionary does not
know); each concept has alternatives (the word itself, the shorter words inside it, its synonyms, its
bigrams), each a tuple of terms with a weight. A point scores, per concept, its best alternative, so a
point that says both 路灯 and 照明 is not counted twice for one word of the caller's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from api.kb.analyzer import BODY, GRAMS, TITLE

K1 = 1.2
B = 0.75
# Titles weigh more than body text; bigrams are a fallback and weigh least.
FIELD_WEIGHTS = {TITLE: 3.0, BODY: 1.0, GRAMS: 0.5}
FIELDS = (TITLE, BODY, GRAMS)


@dataclass(frozen=True)
class Alternative:
    terms: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Concept:
    said: str  # what the caller said, for explaining a result
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True)
class Collection:
    """The live points: how many, and the mean length of each field in terms."""

    points: int
    mean_lengths: Mapping[str, float]


class Posting(NamedTuple):
    """One row of knowledge_terms: a term in a field of a point, how often, and that field's length."""

    term: str
    point_id: str
    field: str
    tf: int
    length: int


def query_terms(concepts: Iterable[Concept]) -> set[str]:
    return {term for c in concepts for alt in c.alternatives for term in alt.terms}


def idf(points: int, df: int) -> float:
    """BM25's idf, never negative (the +1 inside the log)."""
    return math.log(1.0 + (points - df + 0.5) / (df + 0.5))


def rank(
    concepts: list[Concept],
    postings: Iterable[tuple[str, str, str, int, int]],
    collection: Collection,
) -> list[tuple[str, float]]:
    """Every point that matches at least one term, best first; ties by point id. `postings` are
    (term, point id, field, tf, field length) rows, in any order."""
    # Per field: (1 - b, b / mean length, weight), so a posting costs one division.
    norms = {f: (1.0 - B, B / (collection.mean_lengths.get(f) or 1.0), FIELD_WEIGHTS[f]) for f in FIELDS}
    weighted: dict[str, dict[str, float]] = {}
    for term, point_id, field, tf, length in postings:
        keep, per_length, weight = norms[field]
        points = weighted.get(term)
        if points is None:
            points = weighted[term] = {}
        # A word is in a point's title and body at most (a bigram in its bigrams only): two addends, whose
        # sum is the same in either order, so the order the database returned the rows in cannot matter.
        points[point_id] = points.get(point_id, 0.0) + weight * tf / (keep + per_length * length)
    term_scores: dict[str, dict[str, float]] = {}
    for term, points in weighted.items():
        weight = idf(collection.points, len(points))
        term_scores[term] = {point_id: weight * tf / (K1 + tf) for point_id, tf in points.items()}
    totals: dict[str, float] = {}
    for concept in concepts:
        best: dict[str, float] = {}
        for alt in concept.alternatives:
            for point_id, score in _alternative_scores(alt, term_scores).items():
                if score > best.get(point_id, 0.0):
                    best[point_id] = score
        for point_id, score in best.items():
            totals[point_id] = totals.get(point_id, 0.0) + score
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def _alternative_scores(alt: Alternative, term_scores: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """An alternative of several terms (a synonym of two words, a run's bigrams) scores their mean: a point
    holding only some of them gets a share."""
    sums: dict[str, float] = {}
    for term in alt.terms:
        for point_id, score in term_scores.get(term, {}).items():
            sums[point_id] = sums.get(point_id, 0.0) + score
    return {point_id: alt.weight * total / len(alt.terms) for point_id, total in sums.items()}
