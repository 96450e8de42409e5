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


@dataclass(frozen=True)
class Posting:
    point_id: str
    field: str
    tf: int


def query_terms(concepts: Iterable[Concept]) -> set[str]:
    return {term for c in concepts for alt in c.alternatives for term in alt.terms}


def idf(points: int, df: int) -> float:
    """BM25's idf, never negative (the +1 inside the log)."""
    return math.log(1.0 + (points - df + 0.5) / (df + 0.5))


def rank(
    concepts: list[Concept],
    postings: Mapping[str, list[Posting]],
    lengths: Mapping[str, Mapping[str, int]],
    collection: Collection,
) -> list[tuple[str, float]]:
    """Every point that matches at least one term, best first; ties by point id."""
    term_scores: dict[str, dict[str, float]] = {}
    for term in sorted(postings):
        by_point: dict[str, dict[str, int]] = {}
        for p in postings[term]:
            by_point.setdefault(p.point_id, {})[p.field] = p.tf
        weight = idf(collection.points, len(by_point))
        scores = term_scores[term] = {}
        for point_id, tfs in by_point.items():
            tf = 0.0
            for field in FIELDS:
                if field in tfs:
                    mean = collection.mean_lengths.get(field) or 1.0
                    norm = 1.0 - B + B * lengths[point_id].get(field, 0) / mean
                    tf += FIELD_WEIGHTS[field] * tfs[field] / norm
            scores[point_id] = weight * tf / (K1 + tf)
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
