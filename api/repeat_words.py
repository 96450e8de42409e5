"""The words repeat detection weighs (domain/repeats.py `Words`): the service's one jieba dictionary with the
hotline's words (api/chinese.py, shared with the knowledge-base search), cut with jieba's HMM on; the IDF
table jieba ships (computed over a large general Chinese corpus, nothing of ours); and the office's synonym
groups, the ones the search uses (A12, `/knowledge-synonyms`), read at every check, so that an office edit
changes the next check as it changes the next search."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from api.chinese import dictionary, general_idf
from api.kb.index import OfficeGroups, office_groups
from domain.repeats import Words


@cache
def _segmenter() -> tuple[Callable[[str], tuple[str, ...]], dict[str, float], float]:
    tokenizer, idf = dictionary(), general_idf()

    # The same tickets are scored again at every lookup at their place: their words are cut once.
    @lru_cache(maxsize=65_536)
    def cut(text: str) -> tuple[str, ...]:
        return tuple(tokenizer.lcut(text, HMM=True))

    # A word missing from the table is rarer than most of it: the median weighs it like an ordinary word.
    return cut, idf, statistics.median(idf.values())


def words_for(groups: Iterable[Sequence[str]]) -> Words:
    """The words with these synonym groups (loads the dictionary the first time: about a second)."""
    cut, idf, unknown_idf = _segmenter()
    return Words.of(lambda text: list(cut(text)), idf, unknown_idf, groups)


_cache: tuple[OfficeGroups, Words] | None = None


async def repeat_words(session: AsyncSession) -> Words:
    """The words with the office's groups as they stand now; built again only when they changed, off the
    event loop."""
    global _cache
    key = await office_groups(session)
    if _cache is None or _cache[0] != key:
        _cache = (key, await asyncio.to_thread(words_for, [terms for _, terms in key]))
    return _cache[1]
