"""A12 ranking (api/kb/ranking.py), pure: BM25F where a title weighs more than body text, a concept scored by
its best alternative (a synonym does not count twice), and ties broken by point id, so every backend that
returns the same postings gets the same order."""

from __future__ import annotations

from api.kb.analyzer import BODY, GRAMS, TITLE
from api.kb.ranking import Alternative, Collection, Concept, Posting, idf, rank

COLLECTION = Collection(points=10, mean_lengths={TITLE: 4.0, BODY: 20.0, GRAMS: 30.0})
LENGTHS = {TITLE: 4, BODY: 20, GRAMS: 30}


def rows(postings: dict[str, list[tuple[str, str, int]]]) -> list[Posting]:
    return [Posting(term, p, f, tf, LENGTHS[f]) for term, hits in postings.items() for p, f, tf in hits]


def concept(*alternatives: tuple[tuple[str, ...], float]) -> Concept:
    return Concept("x", tuple(Alternative(terms, weight) for terms, weight in alternatives))


def test_a12_a_word_in_the_title_outranks_the_same_word_in_the_body() -> None:
    postings = {"照明": [("kp-a", BODY, 1), ("kp-b", TITLE, 1)]}
    assert [p for p, _ in rank([concept((("照明",), 1.0))], rows(postings), COLLECTION)] == [
        "kp-b",
        "kp-a",
    ]


def test_a12_a_concept_counts_its_best_alternative_once() -> None:
    """A point saying both 路灯 and 照明 is not counted twice for the caller's one word 路灯."""
    lamp = concept((("路灯",), 1.0), (("照明",), 0.8))
    postings = {
        "路灯": [("kp-a", TITLE, 1), ("kp-b", TITLE, 1)],
        "照明": [("kp-a", TITLE, 1), ("kp-c", TITLE, 1)],
    }
    scores = dict(rank([lamp], rows(postings), COLLECTION))
    assert scores["kp-a"] == scores["kp-b"]


def test_a12_rarer_terms_weigh_more_and_ties_go_by_point_id() -> None:
    assert idf(10, 1) > idf(10, 5) > idf(10, 10) > 0
    postings = {"~占道": [("kp-c", GRAMS, 1), ("kp-a", GRAMS, 1)]}
    ranked = rank([concept((("~占道",), 0.6))], rows(postings), COLLECTION)
    assert [p for p, _ in ranked] == ["kp-a", "kp-c"] and ranked[0][1] == ranked[1][1] > 0


def test_a12_an_alternative_of_several_terms_scores_their_mean() -> None:
    """A run's bigrams: a point with only some of them gets a share of the score."""
    run = concept((("~占道", "~道摆"), 0.6))
    postings = {
        "~占道": [("kp-a", GRAMS, 1), ("kp-b", GRAMS, 1)],
        "~道摆": [("kp-a", GRAMS, 1)],
    }
    scores = dict(rank([run], rows(postings), COLLECTION))
    assert scores["kp-a"] > scores["kp-b"] > 0
