"""The words repeat detection weighs (domain/repeats.py `Words`): the service's one jieba dictionary with the
hotline's words (api/chinese.py, shared with the knowledge-base search), cut with jieba's HMM on, and the
IDF table jieba ships (computed over a large general Chinese corpus, nothing of ours). Loaded once per
process, on first use (about a second: jieba's dictionary)."""

from __future__ import annotations

import statistics
from functools import cache, lru_cache

from api.chinese import dictionary, general_idf
from domain.repeats import Words


@cache
def repeat_words() -> Words:
    tokenizer, idf = dictionary(), general_idf()

    # The same tickets are scored again at every lookup at their place: their words are cut once.
    @lru_cache(maxsize=65_536)
    def cut(text: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(text, HMM=True))

    # A word missing from the table is rarer than most of it: the median weighs it like an ordinary word.
    return Words(cut=lambda text: list(cut(text)), idf=idf, unknown_idf=statistics.median(idf.values()))
