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
Words callers use for one thing (路灯/照明, 停水/没水, 噪音/吵) are folded to one before segmenting, and what
every call says (「你好」「反映」「尽快处理」) is taken out.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from domain.vocabulary import Labelled

# Variants callers use for one matter, folded to one spelling (longest first, so 「没有水」 goes before 「水」).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "路灯": ("照明设施", "照明", "街灯", "灯杆", "路灯灯"),
    "不亮": ("熄灭", "不着", "黑灯瞎火", "黑乎乎", "黑漆漆", "坏了不亮", "灭了", "不会亮", "没亮", "不亮了"),
    "停电": ("断电", "没有电", "没电", "跳闸", "停了电"),
    "停水": ("断水", "没有水", "没水", "不来水", "水停了", "停了水", "无水"),
    "噪音": ("噪声", "很吵", "太吵", "好吵", "吵死", "吵得", "扰民", "吵闹", "轰隆隆"),
    "燃气": ("煤气", "天然气", "液化气"),
    "井盖": ("窨井盖", "下水道盖", "沙井盖", "污水井盖"),
    "积水": ("水浸", "水淹", "内涝", "淹水", "浸水"),
    "漏水": ("渗水", "滴水", "爆管", "水管爆", "水管破"),
    "欠薪": ("拖欠工资", "不发工资", "没发工资", "工资不发", "欠工资", "拿不到工资", "工钱", "欠我工资"),
    "垃圾": ("废弃物", "垃圾堆", "垃圾桶满"),
    "油烟": ("烟味", "油烟味"),
    "臭味": ("臭气", "很臭", "好臭", "发臭", "异味", "臭死"),
    "违建": ("违章建筑", "违法建设", "乱搭建", "私搭乱建", "加建", "搭建"),
    "占道": ("占用人行道", "占人行道", "乱摆摊", "摆摊", "占用道路"),
    "停车": ("乱停", "乱停车", "乱停放", "违停"),
    "坑洼": ("坑坑洼洼", "烂路", "路面破损", "大坑", "塌陷", "路烂"),
    "红绿灯": ("信号灯", "交通灯"),
    "电梯": ("升降梯", "直梯"),
    "公交": ("公交车", "巴士", "班车"),
    "物业": ("物管", "管理处"),
    "装修": ("装修声", "电钻", "敲墙"),
    "施工": ("工地", "打桩", "夜间施工"),
    "流浪狗": ("野狗", "流浪犬"),
    "树": ("树木", "大树", "树枝"),
}
_FOLD = sorted(((v, k) for k, vs in _SYNONYMS.items() for v in vs), key=lambda p: -len(p[0]))

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
def folded(text: str) -> str:
    """The matter's words in one spelling, what every call says taken out."""
    text = normalised(text)
    for variant, canonical in _FOLD:
        text = text.replace(variant, f"|{canonical}|")
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


@dataclass(frozen=True)
class Words:
    """How content is cut into words and what each word weighs: a segmenter and a general corpus's IDF
    (api/repeat_words.py loads jieba's); words the table lacks weigh `unknown_idf`."""

    cut: Callable[[str], list[str]]
    idf: Mapping[str, float]
    unknown_idf: float


def matter_vector(content: str, words: Words, places: tuple[str, ...] = ()) -> Counter[str]:
    """TF-IDF of the folded content's words; `places`: the written places (without province, city and
    district), whose words are taken out, however the segmenter cut them (「天桥」 in 「人行天桥」)."""
    vector: Counter[str] = Counter()
    for piece in folded(content).split("|"):
        for word in words.cut(piece):
            if word.isdigit() or (len(word) == 1 and word in _STOP_CHARS):
                continue
            if len(word) > 1 and any(word in place for place in places):
                continue
            vector[word] += words.idf.get(word, words.unknown_idf)  # type: ignore[assignment]
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
