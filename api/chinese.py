"""How the service reads Chinese, set up once per process and shared (about a second and ~60 MB for jieba's
dictionary, which is why there is one): jieba's dictionary with the hotline's own words, for the
knowledge-base search (A12, api/kb/analyzer.py) and repeat detection (A10.6, api/repeat_words.py);
jieba's IDF table, for repeats; OpenCC's Traditional-to-Simplified tables, for the search and the dispatch
catalogue (A14, api/dispatch_advice.py).

The hotline's words are api/hotline_words.txt and every word of the seed synonym groups
(domain/knowledge_words.py), each kept whole. Each user cuts the words its own way (HMM on or off, precise
or search mode): the dictionary is the same.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import cache
from pathlib import Path

import jieba
import jieba.analyse
import opencc

from domain.knowledge_words import SEED_SYNONYM_GROUPS

WORDS_FILE = Path(__file__).with_name("hotline_words.txt")
HOTLINE_WORD_FREQUENCY = 5_000
# Dictionary entries that glue a thing to its state, so the thing is never found on its own.
GLUED_WORDS = ("灯不亮",)
# jieba's own table, computed over a large general Chinese corpus (nothing of ours).
_IDF_FILE = Path(jieba.analyse.__file__).parent / "idf.txt"


def word_list(path: Path) -> list[str]:
    """One word a line; `#` starts a comment line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")]


_lock = threading.Lock()
_dictionary: jieba.Tokenizer | None = None


def dictionary() -> jieba.Tokenizer:
    """jieba's dictionary with the hotline's words, loaded once per process (about a second)."""
    global _dictionary
    with _lock:
        if _dictionary is None:
            jieba.setLogLevel(logging.WARNING)
            loaded = jieba.Tokenizer()
            loaded.initialize()
            words = word_list(WORDS_FILE)
            for group in SEED_SYNONYM_GROUPS.values():
                words.extend(group)
            for word in words:
                # A hotline word wins over the dictionary's rarer readings around it: 路灯|不亮, not the
                # dictionary's 路|灯不亮.
                loaded.add_word(word, max(HOTLINE_WORD_FREQUENCY, loaded.FREQ.get(word) or 0))
            for word in GLUED_WORDS:
                loaded.del_word(word)
            _dictionary = loaded
        return _dictionary


async def loaded() -> None:
    """Load the dictionary off the event loop, so the first search, upload or repeat check does not stall
    the API."""
    if _dictionary is None:
        await asyncio.to_thread(dictionary)


@cache
def general_idf() -> dict[str, float]:
    """Each word's inverse document frequency in jieba's general corpus."""
    idf: dict[str, float] = {}
    with _IDF_FILE.open(encoding="utf-8") as lines:
        for line in lines:
            word, _, value = line.strip().partition(" ")
            if value:
                idf[word] = float(value)
    return idf


@cache
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")  # its tables load once (~60 ms), then ~0.3 ms a text


def simplified(text: str) -> str:
    """Traditional to Simplified Chinese: a caller writing from Hong Kong, Macao or Taiwan, or a web form in
    繁體 (武江區 is 武江区, 電梯 is 电梯)."""
    return str(_to_simplified().convert(text)) if text else text
