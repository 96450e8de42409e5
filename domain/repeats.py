"""A10.6 and A18: is a new request the matter an earlier ticket already holds? Pure scoring, no I/O.

The operator has the caller on the line for a few minutes; the API (api/repeats.py) finds the candidates in
SQL — the same requester's tickets, and tickets at the same place open or concluded lately — and this module
says how alike each one's matter is, and whether it is the same place.

How the content is compared: **segmented TF-IDF**: the words of the content (jieba's dictionary with the
hotline's words, the one the knowledge-base search uses), each weighted by its inverse document frequency in a large general corpus
(jieba's own table, loaded outside the domain: api/repeat_words.py), cosine similarity. Measured against
the alternatives on the labelled pairs (tests/labelled/repeat_pairs.jsonl, README): character uni- and
bigrams without IDF gave precision 0.88 at recall 0.88 at their best threshold; long calls share many
generic characters (老人, 好几天), and only a corpus-wide IDF weighs those below the matter's own words
(电梯, 井盖, 油烟).
- The IDF is the general corpus's, not the pool's: the pool is the handful of tickets at one place, and an
  IDF over it would weigh down exactly the matter words the candidates share, and make a pair's score
  change with whoever else is in the pool. A fixed table keeps a pair's score the pair's own, so one
  threshold means the same with one candidate or fifty.
- The place is taken out of the content before it is compared (every content word found inside either
  written place, however the segmenter cut the place): the candidates are already at the same place (or
  the same requester's), so its words would make every matter there look alike; whether two
  requests are at the same place is judged apart (`same_place`, on the written places' character bigrams,
  which need no dictionary of 韶关's road and village names).
- MinHash estimates Jaccard over shingles, which these short texts compute exactly in microseconds; it pays
  off for near-duplicate search over millions of documents, and Jaccard has no notion of a word's weight.
Words callers use for one thing (路灯/照明, 停水/没水, 噪音/吵) count as one: the office's synonym groups, the
ones the knowledge-base search uses (A12, `Vocabulary`), so that one edit serves both; what every call says
(「你好」「反映」「尽快处理」) is taken out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from domain.vocabulary import Labelled

# What every call says, whatever the matter: greetings, the act of calling, the hope it is sorted out.
_FILLER_WORDS = (
    "你好 您好 喂 请问 麻烦 谢谢 我想 我要 想问 反映 反应 投诉 举报 一下 那个 这个 就是 然后 我们 你们 他们 "
    "希望 尽快 赶紧 快点 处理 解决 问题 情况 帮忙 帮帮 有关部门 相关部门 政府 热线 12345 一直 已经 现在 "
    "还是 到底 怎么 什么 为什么 没人管 没有人管 管一管 管管 看看 过来 过去 可以 能不能 好几 几天 天了 "
    "好久 很久 我家 我住 住在 这边 那边 附近 旁边 门口 前面 后面 里面 对面 晚上 早上 白天 夜里 每天 天天 最近"
)
_FILLER = sorted(_FILLER_WORDS.split(), key=len, reverse=True)
# Characters that carry no matter on their own (particles, pronouns, measure words).
_STOP_CHARS = frozenset(
    "的了吗呢啊吧呀哦嘛么我你他她它们在是有和与及就都也还又很太好这那个些一把被给让到从对跟说要想"
)
_KEPT = re.compile(r"[\u3400-\u9fff0-9a-z]+")
# Administrative prefixes of a written place: 广东省 韶关市 武江区 / 乳源瑶族自治县 …
_ADMIN = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,6}?(?:省|自治区))?(?:[\u4e00-\u9fff]{2,4}?市(?!场))?"
    r"(?:[\u4e00-\u9fff]{1,6}?(?:区|县)(?![域间]))?"
)
_HOUSE_NUMBER = re.compile(r"(\d+)(?:号|栋|幢|座)")
SAME_PLACE_OVERLAP = 0.5


class RepeatReason(Labelled):
    """Why an earlier ticket is offered as a likely repeat (A10.6)."""

    SAME_REQUESTER = "same_requester"  # the same phone number, in one spelling (domain/phones.py)
    SAME_PLACE = "same_place"  # open, or concluded lately, at the same place


@dataclass(frozen=True)
class Matter:
    """What a request says and where: the two things a repeat is judged on."""

    content: str
    location: str = ""


@dataclass(frozen=True)
class Likeness:
    score: float  # the cosine of the matters' TF-IDF vectors, 0–1, the place's words taken out
    same_place: bool | None  # None: a place is missing, so the content alone decides

    def is_repeat(self, threshold: float) -> bool:
        return self.same_place is not False and self.score >= threshold


def normalised(text: str) -> str:
    """NFKC (full-width letters and digits), lower case, only CJK characters, letters and digits kept."""
    return "".join(_KEPT.findall(unicodedata.normalize("NFKC", text).lower()))


@lru_cache(maxsize=65_536)  # a lookup re-reads the same tickets at a place: each folded once
def folded(text: str, vocabulary: Vocabulary) -> str:
    """The matter's words in one spelling (each spelling of two or more characters of a group replaced by
    its mark, longest first), what every call says taken out."""
    text = normalised(text)
    for mark, spelling in vocabulary.spellings:
        text = text.replace(spelling, f"|{mark}|")
    for filler in _FILLER:
        text = text.replace(filler, "|")
    return text


@lru_cache(maxsize=65_536)
def place_core(location: str) -> str:
    """The place without its province, city and district: 「韶关市武江区新华南路88号」 -> 「新华南路88号」."""
    text = normalised(location)
    return _ADMIN.sub("", text, count=1) or text


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _name_grams(core: str) -> set[str]:
    """The bigrams of a place's names, its numbers apart (「解放路88号」 and 「新华南路88号」 share only 88号)."""
    return {gram for run in re.findall(r"[\u3400-\u9fff]+", core) for gram in _bigrams(run)}


def same_place(a: str, b: str) -> bool | None:
    """The written places overlap (half the shorter one's bigrams) and name no different house numbers;
    None when either is missing."""
    core_a, core_b = place_core(a), place_core(b)
    grams_a, grams_b = _name_grams(core_a), _name_grams(core_b)
    if not grams_a or not grams_b:
        return None
    if len(grams_a & grams_b) / min(len(grams_a), len(grams_b)) < SAME_PLACE_OVERLAP:
        return False
    numbers_a, numbers_b = set(_HOUSE_NUMBER.findall(core_a)), set(_HOUSE_NUMBER.findall(core_b))
    return not (numbers_a and numbers_b and not numbers_a & numbers_b)


_FIRST_MARK = 0xF0000  # supplementary private use: never in a normalised text, nor in a filler word


@dataclass(frozen=True, eq=False)  # one per set of groups, compared by identity: `folded` caches on it
class Vocabulary:
    """The office's synonym groups (A12: the groups the knowledge-base search uses, kept through
    `/knowledge-synonyms`), as repeat detection folds them: every spelling of a group counts as the group.
    A spelling of two or more characters is found anywhere in the text (拿不到工资 inside a sentence); a
    one-character spelling (吵, 臭) only as a word of its own, where the segmenter cut it so (太|吵), never
    inside another word (交 in 交通). A word in several groups counts for each."""

    spellings: tuple[tuple[str, str], ...]  # (mark, spelling), longest spelling first
    groups_of: Mapping[str, tuple[int, ...]]  # a mark or a one-character spelling: the groups it spells
    spelled: tuple[tuple[str, ...], ...]  # each group's spellings of two or more characters

    @classmethod
    def of(cls, groups: Iterable[Sequence[str]]) -> Vocabulary:
        members: dict[str, set[int]] = {}
        for index, group in enumerate(groups):
            for term in group:
                if spelling := normalised(term):
                    members.setdefault(spelling, set()).add(index)
        longest_first = sorted((s for s in members if len(s) > 1), key=lambda s: (-len(s), s))
        marks = {spelling: chr(_FIRST_MARK + i) for i, spelling in enumerate(longest_first)}
        groups_of = {marks.get(s, s): tuple(sorted(g)) for s, g in members.items()}
        spelled: list[list[str]] = [
            [] for _ in range(1 + max((i for g in members.values() for i in g), default=-1))
        ]
        for spelling in longest_first:
            for index in members[spelling]:
                spelled[index].append(spelling)
        return cls(
            spellings=tuple((marks[s], s) for s in longest_first),
            groups_of=groups_of,
            spelled=tuple(tuple(s) for s in spelled),
        )


@dataclass(frozen=True)
class Words:
    """How content is cut into words and what each word weighs: a segmenter and a general corpus's IDF
    (api/repeat_words.py loads jieba's); words the table lacks weigh `unknown_idf`. A group of the
    vocabulary weighs the mean of its spellings' weights, whichever spelling was said."""

    cut: Callable[[str], list[str]]
    idf: Mapping[str, float]
    unknown_idf: float
    vocabulary: Vocabulary
    group_weights: tuple[float, ...]

    @classmethod
    def of(
        cls,
        cut: Callable[[str], list[str]],
        idf: Mapping[str, float],
        unknown_idf: float,
        groups: Iterable[Sequence[str]],
    ) -> Words:
        groups = [tuple(normalised(t) for t in g) for g in groups]
        weights = tuple(
            sum(idf.get(t, unknown_idf) for t in g) / len(g) if g else unknown_idf for g in groups
        )
        return cls(cut, idf, unknown_idf, Vocabulary.of(groups), weights)

    def _groups(self, groups: tuple[int, ...], places: tuple[str, ...]) -> Iterator[tuple[str, float]]:
        for g in groups:
            # The place's own word, however it was spelled (公交车 at 18路公交线), is not the matter.
            if not any(s in place for s in self.vocabulary.spelled[g] for place in places):
                yield f"#{g}", self.group_weights[g]

    def terms(self, piece: str, places: tuple[str, ...]) -> Iterator[tuple[str, float]]:
        """The weighed terms of a piece of folded content: a word, or a group (`#` and its index)."""
        groups_of = self.vocabulary.groups_of
        if len(piece) == 1 and piece in groups_of and ord(piece) >= _FIRST_MARK:
            yield from self._groups(groups_of[piece], places)
            return
        for word in self.cut(piece):
            if len(word) == 1 and word in groups_of:  # 吵 in 太|吵
                yield from self._groups(groups_of[word], places)
            elif word.isdigit() or (len(word) == 1 and word in _STOP_CHARS):
                continue
            elif not (len(word) > 1 and any(word in place for place in places)):
                yield word, self.idf.get(word, self.unknown_idf)


def matter_vector(content: str, words: Words, places: tuple[str, ...] = ()) -> Counter[str]:
    """TF-IDF of the folded content's words; `places`: the written places (without province, city and
    district), whose words are taken out, however the segmenter cut them (「天桥」 in 「人行天桥」)."""
    vector: Counter[str] = Counter()
    for piece in folded(content, words.vocabulary).split("|"):
        for term, weight in words.terms(piece, places):
            vector[term] += weight  # type: ignore[assignment]
    return vector


def cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(weight * b[gram] for gram, weight in a.items() if gram in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0


def likeness(new: Matter, earlier: Matter, words: Words) -> Likeness:
    """How alike two requests' matters are (the place's words taken out), and whether they are at the same
    place."""
    places = tuple(core for core in (place_core(new.location), place_core(earlier.location)) if core)
    score = cosine(matter_vector(new.content, words, places), matter_vector(earlier.content, words, places))
    return Likeness(score=round(score, 4), same_place=same_place(new.location, earlier.location))


def place_terms(location: str, most: int = 3) -> list[str]:
    """Short pieces of the place a SQL prefilter can look for with LIKE (api/repeats.py): the place's
    name up to its first house number, and its longest runs of CJK characters."""
    core = place_core(location)
    head = _HOUSE_NUMBER.split(core, maxsplit=1)[0]
    head = re.sub(r"\d+$", "", head)
    runs = sorted(re.findall(r"[\u3400-\u9fff]{2,}", core), key=len, reverse=True)
    terms = [t[:12] for t in dict.fromkeys([head, *runs]) if len(t) >= 2]
    return terms[:most]
