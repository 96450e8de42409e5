"""How the knowledge base reads Chinese (A12): Traditional folded to Simplified (OpenCC t2s), full-width
folded by NFKC, words cut by jieba with the hotline's own words added (both set up once per process, shared
with repeat detection: api/chinese.py), filler callers use dropped, and character bigrams kept for what the
dictionary does not know.

jieba runs with its HMM off, on the points and on the questions alike: the HMM guesses new words, and a
guess made one way in a point's text and another in a question would never meet. What the dictionary does
not know comes out as single characters; a run of them is matched by its character bigrams instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from api.chinese import dictionary, simplified, word_list

# Bumped when the index would come out different (a new word list, a new rule): the points indexed by an
# older version are re-indexed by the next search (api/kb/index.py).
ANALYZER_VERSION = 2

TITLE, BODY, GRAMS = "t", "b", "g"
GRAM_MARK = "~"  # a bigram term, never confused with a two-character word
MAX_TERM = 64  # knowledge_terms.term

# What callers wrap a question in (我想问一下……找谁, 请问……怎么办), and words every point shares.
STOP_WORDS = frozenset(word_list(Path(__file__).with_name("stop_words.txt")))

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MEANINGFUL = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), Traditional to Simplified, lower case."""
    return simplified(unicodedata.normalize("NFKC", text)).lower()


def meaningful(token: str) -> bool:
    return bool(_MEANINGFUL.search(token)) and token not in STOP_WORDS and len(token) <= MAX_TERM


def is_cjk_char(token: str) -> bool:
    return len(token) == 1 and bool(_CJK.match(token))


def cut(text: str) -> list[str]:
    """Words of normalised text, precise mode, spaces and punctuation dropped (stop words kept)."""
    return [t for t in dictionary().cut(text, HMM=False) if _MEANINGFUL.search(t)]


def cut_for_search(text: str) -> list[str]:
    """Search mode: each long word and the shorter dictionary words inside it."""
    return [t for t in dictionary().cut_for_search(text, HMM=False) if meaningful(t)]


def bigrams(text: str) -> list[str]:
    """Character bigrams of each run of Chinese characters, marked as bigram terms."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        grams.extend(GRAM_MARK + run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True)
class IndexedText:
    """A point's text as the index holds it: term frequency per (term, field), and each field's length."""

    frequencies: dict[tuple[str, str], int]
    title_terms: int
    body_terms: int
    gram_terms: int


def index_text(title: str, body: str) -> IndexedText:
    title, body = normalise(title), normalise(body)
    title_words, body_words = cut_for_search(title), cut_for_search(body)
    grams = bigrams(title) + bigrams(body)
    frequencies: dict[tuple[str, str], int] = {}
    for field, terms in ((TITLE, title_words), (BODY, body_words), (GRAMS, grams)):
        for term, tf in Counter(terms).items():
            frequencies[(term, field)] = tf
    return IndexedText(frequencies, len(title_words), len(body_words), len(grams))
