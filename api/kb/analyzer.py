"""How the knowledge base reads Chinese (A12): Traditional folded to Simplified (OpenCC t2s), full-width
folded by NFKC, words cut by jieba with the hotline's own words added, filler callers use dropped, and
character bigrams kept for what the dictionary does not know.

jieba runs with its HMM off, on the points and on the questions alike: the HMM guesses new words, and a
guess made one way in a point's text and another in a question would never meet. What the dictionary does
not know comes out as single characters; a run of them is matched by its character bigrams instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jieba
import opencc

from domain.knowledge_words import SEED_SYNONYM_GROUPS

# Bumped when the index would come out different (a new word list, a new rule): the points indexed by an
# older version are re-indexed by the next search (api/kb/index.py).
ANALYZER_VERSION = 1

TITLE, BODY, GRAMS = "t", "b", "g"
GRAM_MARK = "~"  # a bigram term, never confused with a two-character word
MAX_TERM = 64  # knowledge_terms.term

WORDS_FILE = Path(__file__).with_name("hotline_words.txt")
HOTLINE_WORD_FREQUENCY = 5_000
# Dictionary entries that glue a thing to its state, so the thing is never found on its own.
GLUED_WORDS = ("灯不亮",)

# What callers wrap a question in (我想问一下……找谁, 请问……怎么办), and words every point shares.
STOP_WORDS = frozenset(
    [
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "咱",
        "咱们",
        "自己",
        "想",
        "想问",
        "问",
        "问问",
        "问一下",
        "一下",
        "请问",
        "请",
        "麻烦",
        "你好",
        "您好",
        "咨询",
        "了解",
        "的",
        "地",
        "得",
        "了",
        "着",
        "过",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "嘛",
        "哦",
        "哈",
        "么",
        "呐",
        "哇",
        "是",
        "在",
        "有",
        "和",
        "与",
        "及",
        "或",
        "或者",
        "就",
        "都",
        "也",
        "还",
        "又",
        "这",
        "那",
        "这个",
        "那个",
        "这里",
        "那里",
        "这边",
        "那边",
        "这样",
        "那样",
        "怎么",
        "怎样",
        "怎么样",
        "怎么办",
        "咋办",
        "咋",
        "如何",
        "为什么",
        "为啥",
        "什么",
        "啥",
        "哪",
        "哪里",
        "哪儿",
        "哪个",
        "哪些",
        "哪家",
        "谁",
        "找",
        "找谁",
        "要",
        "能",
        "能不能",
        "可以",
        "可不可以",
        "会",
        "应该",
        "该",
        "去",
        "来",
        "到",
        "个",
        "些",
        "点",
        "把",
        "被",
        "给",
        "让",
        "对",
        "从",
        "向",
        "跟",
        "管",
        "归",
        "负责",
        "部门",
        "单位",
        "现在",
        "已经",
        "一直",
        "总是",
        "老是",
        "经常",
        "特别",
        "非常",
        "很",
        "太",
        "好",
        "多",
        "比较",
        "真的",
        "实在",
        "情况",
        "问题",
        "事情",
        "事",
        "一个",
        "一些",
        "没人",
        "有人",
        "人",
        "谢谢",
        "帮忙",
        "帮",
        "一下子",
        "请教",
        "告诉",
        "知道",
        "不知道",
        "需要",
        "打",
        "打电话",
        "反映",
        "一般",
        "以及",
        "等",
        "其他",
        "相关",
        "由",
        "为",
        "将",
        "并",
        "可",
        "如",
        "按",
        "即",
        "其",
        "之",
        "于",
        "以",
        "及时",
        "进行",
    ]
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MEANINGFUL = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_folding = opencc.OpenCC("t2s")


def tokenizer() -> jieba.Tokenizer:
    """jieba's dictionary with the hotline's words, loaded once per process (about a second)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            loaded = jieba.Tokenizer()
            loaded.initialize()
            lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
            words = [w.strip() for w in lines if w.strip() and not w.startswith("#")]
            for group in SEED_SYNONYM_GROUPS.values():
                words.extend(group)
            for word in words:
                # A hotline word wins over the dictionary's rarer readings around it: 路灯|不亮, not the
                # dictionary's 路|灯不亮.
                loaded.add_word(word, max(HOTLINE_WORD_FREQUENCY, loaded.FREQ.get(word) or 0))
            for word in GLUED_WORDS:
                loaded.del_word(word)
            _tokenizer = loaded
        return _tokenizer


async def loaded() -> None:
    """Load the dictionary off the event loop, so the first search or upload does not stall the API."""
    if _tokenizer is None:
        await asyncio.to_thread(tokenizer)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), Traditional to Simplified, lower case."""
    return str(_folding.convert(unicodedata.normalize("NFKC", text))).lower()


def meaningful(token: str) -> bool:
    return bool(_MEANINGFUL.search(token)) and token not in STOP_WORDS and len(token) <= MAX_TERM


def is_cjk_char(token: str) -> bool:
    return len(token) == 1 and bool(_CJK.match(token))


def cut(text: str) -> list[str]:
    """Words of normalised text, precise mode, spaces and punctuation dropped (stop words kept)."""
    return [t for t in tokenizer().cut(text, HMM=False) if _MEANINGFUL.search(t)]


def cut_for_search(text: str) -> list[str]:
    """Search mode: each long word and the shorter dictionary words inside it."""
    return [t for t in tokenizer().cut_for_search(text, HMM=False) if meaningful(t)]


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
