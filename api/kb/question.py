"""A caller's question as concepts (api/kb/ranking.py): words, the shorter words inside them, the office's
synonyms, and bigrams for runs of characters the dictionary does not know. Stop words and the filler
callers wrap a question in (我想问一下……找谁) are dropped here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from api.kb.analyzer import (
    STOP_WORDS,
    bigrams,
    cut,
    cut_for_search,
    is_cjk_char,
    meaningful,
    normalise,
)
from api.kb.ranking import Alternative, Concept

SAID = 1.0
SYNONYM = 0.8
INNER_WORD = 0.7  # 公积金 inside 住房公积金: the same thing, said more narrowly
BIGRAMS = 0.6


@dataclass(frozen=True)
class SynonymMatcher:
    """The office's groups, each member as the words the index holds for it."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]

    @classmethod
    def of(cls, groups: Iterable[Sequence[str]]) -> SynonymMatcher:
        compiled = []
        for group in groups:
            members = tuple(dict.fromkeys(tuple(cut(normalise(m))) for m in group))
            members = tuple(m for m in members if m)
            if len(members) > 1:
                compiled.append(members)
        return cls(tuple(compiled))

    def at(self, words: Sequence[str], i: int) -> tuple[tuple[tuple[str, ...], ...], int] | None:
        """The group whose member the words at `i` spell (the longest such member), with its length."""
        best: tuple[tuple[tuple[str, ...], ...], int] | None = None
        for group in self.groups:
            for member in group:
                n = len(member)
                if tuple(words[i : i + n]) == member and (best is None or n > best[1]):
                    best = (group, n)
        return best

    def inside(self, word: str) -> list[tuple[tuple[str, ...], ...]]:
        """Groups with a one-word member inside `word` (吵 in 太吵, 煤气 in 煤气罐)."""
        return [g for g in self.groups if any(len(m) == 1 and m[0] in word and m[0] != word for m in g)]


def concepts_of(question: str, synonyms: SynonymMatcher) -> list[Concept]:
    words = cut(normalise(question))
    concepts: list[Concept] = []
    i = 0
    while i < len(words):
        matched = synonyms.at(words, i)
        if matched is not None and meaningful("".join(words[i : i + matched[1]])):
            group, n = matched
            said = tuple(words[i : i + n])
            concepts.append(_concept("".join(said), [(said, SAID), *_inner(said)], [group]))
            i += n
            continue
        word = words[i]
        if not meaningful(word):
            i += 1
            continue
        if is_cjk_char(word):
            run = word
            while i + 1 < len(words) and is_cjk_char(words[i + 1]) and words[i + 1] not in STOP_WORDS:
                i += 1
                run += words[i]
            i += 1
            if len(run) > 1:
                # Characters the dictionary does not know as a word: matched by their bigrams.
                concepts.append(Concept(run, (Alternative(tuple(bigrams(run)), BIGRAMS),)))
            else:
                concepts.append(_concept(run, [((run,), SAID)], synonyms.inside(run)))
            continue
        concepts.append(_concept(word, [((word,), SAID), *_inner((word,))], synonyms.inside(word)))
        i += 1
    return concepts


def _inner(said: tuple[str, ...]) -> list[tuple[tuple[str, ...], float]]:
    """The shorter dictionary words inside a long one (公积 积金 公积金 in 住房公积金)."""
    if len(said) != 1:
        return []
    return [((w,), INNER_WORD) for w in cut_for_search(said[0]) if w != said[0]]


def _concept(
    said: str,
    own: list[tuple[tuple[str, ...], float]],
    groups: Iterable[tuple[tuple[str, ...], ...]],
) -> Concept:
    alternatives = dict(own)
    for group in groups:
        for member in group:
            terms = tuple(t for t in member if meaningful(t))
            if terms:
                alternatives.setdefault(terms, SYNONYM)
    return Concept(said, tuple(Alternative(terms, w) for terms, w in alternatives.items()))
