"""The words repeat detection weighs (domain/repeats.py `Words`): jieba's segmenter with the folded matter
words kept whole, and the IDF table jieba ships (computed over a large general Chinese corpus, nothing of
ours). Loaded once per process, on first use (about a second: jieba's dictionary)."""

from __future__ import annotations

import statistics
from functools import cache, lru_cache
from pathlib import Path

import jieba
import jieba.analyse

from domain.repeats import Words, matter_words

# A word missing from the table is rarer than most of it: the median weighs it like an ordinary word.
_IDF_FILE = Path(jieba.analyse.__file__).parent / "idf.txt"


@cache
def repeat_words() -> Words:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in matter_words():
        tokenizer.add_word(word, freq=100_000)
    idf: dict[str, float] = {}
    with _IDF_FILE.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if value:
                idf[word] = float(value)

    # The same tickets are scored again at every lookup at their place: their words are cut once.
    @lru_cache(maxsize=65_536)
    def cut(text: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(text, HMM=True))

    return Words(
        cut=lambda text: list(cut(text)),
        idf=idf,
        unknown_idf=statistics.median(idf.values()),
    )
