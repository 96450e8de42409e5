"""The dispatch catalogue's starting data (A14 派单目录): Shaoguan's areas and a tree of matter types.

Seeded once, into an empty catalogue (db/catalogue.py); after that it is the office's to correct at run time,
and a deleted area stays deleted. Counties and districts carry their GB/T 2260 codes (440203 武江区 …); a
town's id is its county's code and its name in pinyin. The town lists follow the administrative divisions as
published (乡镇街道); the office corrects them where a division changed.

The matter types take GB/T 39666-2020's shape (two digits a level) and its 大类 order; the 中类 and 小类 codes
below are this catalogue's own until the office loads the standard's table.
"""

from __future__ import annotations

from domain.dispatch_catalogue import Area, AreaKind, MatterType

CITY_AREA = "440200"

# (code, name, aliases, {town id suffix: town name})
_COUNTIES: list[tuple[str, str, list[str], dict[str, str]]] = [
    (
        "440203",
        "武江区",
        ["武江"],
        {"xinhua": "新华街道", "huimin": "惠民街道", "xihe": "西河镇", "longgui": "龙归镇",
         "jiangwan": "江湾镇", "chongyang": "重阳镇", "xilian": "西联镇"},
    ),
    (
        "440204",
        "浈江区",
        ["浈江"],
        {"donghe": "东河街道", "chezhan": "车站街道", "fengcai": "风采街道", "xinshao": "新韶镇",
         "leyuan": "乐园镇", "shiliting": "十里亭镇", "lishi": "犁市镇", "huaping": "花坪镇"},
    ),
    (
        "440205",
        "曲江区",
        ["曲江"],
        {"songshan": "松山街道", "maba": "马坝镇", "datang": "大塘镇", "fengwan": "枫湾镇",
         "xiaokeng": "小坑镇", "shaxi": "沙溪镇", "wushi": "乌石镇", "zhangshi": "樟市镇",
         "baitu": "白土镇", "luokeng": "罗坑镇"},
    ),
    (
        "440281",
        "乐昌市",
        ["乐昌"],
        {"lecheng": "乐城街道", "beixiang": "北乡镇", "jiufeng": "九峰镇", "langtian": "廊田镇",
         "changlai": "长来镇", "meihua": "梅花镇", "sanxi": "三溪镇", "pingshi": "坪石镇",
         "huangpu": "黄圃镇", "wushan": "五山镇", "liangjiang": "两江镇", "shaping": "沙坪镇",
         "yunyan": "云岩镇", "xiushui": "秀水镇", "dayuan": "大源镇", "qingyun": "庆云镇",
         "baishi": "白石镇"},
    ),
    (
        "440282",
        "南雄市",
        ["南雄"],
        {"xiongzhou": "雄州街道", "wujing": "乌迳镇", "jiezhi": "界址镇", "pingtian": "坪田镇",
         "huangkeng": "黄坑镇", "dengfang": "邓坊镇", "youshan": "油山镇", "nanmu": "南亩镇",
         "shuikou": "水口镇", "jiangtou": "江头镇", "hukou": "湖口镇", "zhuji": "珠玑镇",
         "zhutian": "主田镇", "gushi": "古市镇", "quanan": "全安镇", "baishun": "百顺镇",
         "lanhe": "澜河镇", "maozifeng": "帽子峰镇"},
    ),
    (
        "440224",
        "仁化县",
        ["仁化"],
        {"danxia": "丹霞街道", "wenshao": "闻韶镇", "fuxi": "扶溪镇", "changjiang": "长江镇",
         "chengkou": "城口镇", "hongshan": "红山镇", "shitang": "石塘镇", "dongtang": "董塘镇",
         "daqiao": "大桥镇", "zhoutian": "周田镇", "huangkeng": "黄坑镇"},
    ),
    (
        "440222",
        "始兴县",
        ["始兴"],
        {"taiping": "太平镇", "mashi": "马市镇", "chengjiang": "澄江镇", "dungang": "顿岗镇",
         "luoba": "罗坝镇", "siqian": "司前镇", "aizi": "隘子镇", "chengnan": "城南镇",
         "shensuo": "沈所镇", "shendushui": "深渡水瑶族乡"},
    ),
    (
        "440229",
        "翁源县",
        ["翁源"],
        {"longxian": "龙仙镇", "bazai": "坝仔镇", "jiangwei": "江尾镇", "guandu": "官渡镇",
         "zhoubei": "周陂镇", "wengcheng": "翁城镇", "xinjiang": "新江镇"},
    ),
    (
        "440233",
        "新丰县",
        ["新丰"],
        {"fengcheng": "丰城街道", "huangqi": "黄磜镇", "matou": "马头镇", "meikeng": "梅坑镇",
         "shatian": "沙田镇", "yaotian": "遥田镇", "huilong": "回龙镇"},
    ),
    (
        "440232",
        "乳源瑶族自治县",
        ["乳源", "乳源县"],
        {"rucheng": "乳城镇", "yiliu": "一六镇", "guitou": "桂头镇", "luoyang": "洛阳镇",
         "bibei": "必背镇", "youxi": "游溪镇", "daqiao": "大桥镇", "dongping": "东坪镇",
         "dabu": "大布镇"},
    ),
]  # fmt: skip


def _town_aliases(name: str) -> list[str]:
    # 「西联镇」 is also said 「西联」, but a two-character short name (大桥, 新江) is too common a word to read
    # as a place: only three characters or more, and never a street's short form (新华 of 新华街道).
    short = name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
    return [short] if len(short) >= 3 and not name.endswith("街道") else []


def shaoguan_areas() -> list[Area]:
    areas = [Area(id=CITY_AREA, name="韶关市", kind=AreaKind.CITY, aliases=["韶关"])]
    for code, name, aliases, towns in _COUNTIES:
        areas.append(
            Area(id=code, name=name, kind=AreaKind.COUNTY, parent_id=code[:4] + "00", aliases=aliases)
        )
        areas.extend(
            Area(
                id=f"{code}-{key}", name=town, kind=AreaKind.TOWN, parent_id=code, aliases=_town_aliases(town)
            )
            for key, town in towns.items()
        )
    return areas


# (code, name): GB/T 39666's 大类 order; 中类 and 小类 as the hotline hears them most.
MATTER_TYPES: list[MatterType] = [
    MatterType(code=code, name=name)
    for code, name in [
        ("01", "社会保障与就业"),
        ("0101", "社会保险"),
        ("010101", "社保卡"),
        ("010102", "养老保险"),
        ("010103", "医疗保险"),
        ("0102", "劳动就业"),
        ("010201", "拖欠工资"),
        ("010202", "劳动合同"),
        ("02", "教育文化与体育"),
        ("0201", "学校教育"),
        ("03", "医疗卫生"),
        ("0301", "医疗服务"),
        ("04", "环境保护与资源利用"),
        ("0401", "环境污染"),
        ("040101", "噪声污染"),
        ("040102", "大气污染"),
        ("040103", "水污染"),
        ("05", "城乡建设与管理"),
        ("0501", "市政设施"),
        ("050101", "路灯照明"),
        ("050102", "道路破损"),
        ("050103", "井盖与排水"),
        ("0502", "城市管理"),
        ("050201", "占道经营"),
        ("050202", "违法建设"),
        ("050203", "垃圾清运"),
        ("0503", "住房与物业"),
        ("050301", "物业服务"),
        ("050302", "房屋安全"),
        ("0504", "公用事业"),
        ("050401", "供水"),
        ("050402", "供电"),
        ("050403", "燃气"),
        ("06", "交通运输与物流"),
        ("0601", "公共交通"),
        ("060101", "公交服务"),
        ("060102", "出租车"),
        ("0602", "道路运输"),
        ("07", "商贸服务与消费者权益保护"),
        ("0701", "消费维权"),
        ("08", "金融服务与保险"),
        ("09", "公共安全与治安"),
        ("10", "司法服务与法律援助"),
        ("11", "行政管理与公共服务"),
        ("1101", "政务服务"),
        ("12", "其他"),
    ]
]
