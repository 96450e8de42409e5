"""The dispatch-suggestion fixture (issue 14, must-show 5): registrations as callers word them, over the
demo's catalogue (operations/demo.py DEMO_DISPATCH on the seeded Shaoguan areas and matter types), each with
the lead and co-units a clerk who knows the catalogue would dispatch to, worked out by hand from the
entries and the precedence (the more specific matter type first, then the more specific area), or None
where the catalogue does not cover the matter there.

(matter code, location, content, expected lead, expected co-units, expected area id)
"""

from __future__ import annotations

WJ_LIGHTS = ["WJ-URBAN", "SG-POWER"]
XILIAN = ["WJ-XILIAN"]
LONGGUI = ["WJ-LONGGUI"]
URBAN = ["WJ-URBAN"]
HOUSING = ["WJ-HOUSING"]

Case = tuple[str, str, str, str | None, list[str], str | None]

CASES: list[Case] = [
    # -- 社会保障与就业: the city's HRSS bureau, wherever the caller is ---------------------------------------------
    ("010101", "武江区新华街道", "我的社保卡丢了，想问一下怎么补办", "SG-HRSS", [], "440203-xinhua"),
    ("010101", "", "社保卡消磁了刷不了，去哪里重新办", "SG-HRSS", [], "440200"),
    ("010102", "乐昌市坪石镇", "退休了养老金一直没到账，已经三个月了", "SG-HRSS", [], "440281-pingshi"),
    ("010103", "南雄市雄州街道", "异地就医备案在网上一直提交不了", "SG-HRSS", [], "440282-xiongzhou"),
    ("010201", "曲江区马坝镇工业园", "工地老板拖欠我们十几个人的工资半年了", "SG-HRSS", [], "440205-maba"),
    ("010202", "浈江区", "公司不跟我签劳动合同，试用期也不给交社保", "SG-HRSS", [], "440204"),
    ("0102", "翁源县龙仙镇", "想咨询失业登记要带什么材料", "SG-HRSS", [], "440229-longxian"),
    # -- 供水 / 供电: the utilities, city-wide; the more specific matter wins over 武江区's 城乡建设 entry ---------
    ("050401", "武江区西联镇沐溪村", "村里停水两天了也没有通知", "SG-WATER", [], "440203-xilian"),
    ("050401", "浈江区东河街道", "小区自来水发黄有异味", "SG-WATER", [], "440204-donghe"),
    ("050401", "", "我们这一片水压特别低，楼上根本没水", "SG-WATER", [], "440200"),
    ("050401", "始兴县太平镇", "水表走得特别快，怀疑坏了", "SG-WATER", [], "440222-taiping"),
    ("050402", "武江区龙归镇圩镇", "整条街停电一个下午了，什么时候来电", "SG-POWER", [], "440203-longgui"),
    ("050402", "仁化县大桥镇", "电压不稳，家里电器烧坏了两个", "SG-POWER", [], "440224-daqiao"),
    ("050402", "大桥镇", "村口电线杆歪了，电线垂得很低", "SG-POWER", [], "440200"),
    ("050402", "乳源县乳城镇", "频繁跳闸停电，一天好几次", "SG-POWER", [], "440232-rucheng"),
    ("050402", "韶关市", "电费突然比平时高了一倍", "SG-POWER", [], "440200"),
    # -- 公共交通: the 12328 sub-centre ---------------------------------------------------------------------
    ("060101", "武江区", "18路公交车经常不到站就开走", "SG-12328", [], "440203"),
    ("060101", "浈江区车站街道", "公交司机态度很差还骂人", "SG-12328", [], "440204-chezhan"),
    ("060102", "", "出租车不打表，乱收费，车牌粤F12345", "SG-12328", [], "440200"),
    ("0601", "曲江区松山街道", "建议增开一条到市区的公交线路", "SG-12328", [], "440205-songshan"),
    # -- 路灯照明 in 武江区: its own entry (050101@440203), over the towns' 市政设施 entries --------------------
    ("050101", "武江区新华南路88号", "新华南路路灯连续一周不亮，晚上有人摔倒", "WJ", WJ_LIGHTS, "440203"),
    ("050101", "武江区西联镇沐溪大道", "沐溪大道的路灯坏了一大片", "WJ", WJ_LIGHTS, "440203-xilian"),
    ("050101", "武江区龙归镇", "镇上路灯白天也亮着，浪费电", "WJ", WJ_LIGHTS, "440203-longgui"),
    ("050101", "", "武江区惠民街道那边路灯一闪一闪的", "WJ", WJ_LIGHTS, "440203-huimin"),
    ("050101", "武江 工业西路", "工业西路一排路灯都不亮", "WJ", WJ_LIGHTS, "440203"),
    # -- 市政设施 in 西联镇 / 龙归镇: the towns' entries (0501@town) over 武江区's 城乡建设 (05@440203) -----------
    ("050102", "武江区西联镇", "镇政府门口的路面塌了一个大坑", "WJ", XILIAN, "440203-xilian"),
    ("050103", "西联镇沐溪村口", "井盖没了，小孩差点掉下去", "WJ", XILIAN, "440203-xilian"),
    ("0501", "武江区龙归镇圩镇", "下雨天街上积水排不出去", "WJ", LONGGUI, "440203-longgui"),
    ("050102", "龙归镇", "镇上主路坑坑洼洼，电动车经常摔", "WJ", LONGGUI, "440203-longgui"),
    # -- 城市管理 / 住房与物业 in 武江区: their bureaux assist ----------------------------------------------------
    ("050201", "武江区新华街道", "菜市场门口占道经营，车都过不去", "WJ", URBAN, "440203-xinhua"),
    ("050202", "武江区西联镇", "邻居在楼顶违规加盖了一层", "WJ", URBAN, "440203-xilian"),
    ("050203", "武江区惠民街道", "小区垃圾三天没人清运，臭气熏天", "WJ", URBAN, "440203-huimin"),
    ("050301", "武江区", "物业不作为，电梯坏了一个月不修", "WJ", HOUSING, "440203"),
    ("050302", "武江区龙归镇", "老房子墙体开裂，担心倒塌", "WJ", HOUSING, "440203-longgui"),
    # -- 城乡建设 in 武江区, a matter with no entry of its own: the district leads alone ------------------------
    ("050102", "武江区新华街道", "人行道地砖松动，下雨踩一脚水", "WJ", [], "440203-xinhua"),
    ("050403", "武江区惠民街道", "燃气管道改造后一直没通气", "WJ", [], "440203-huimin"),
    ("05", "武江区", "小区旁边的空地长期荒废，建议建个公园", "WJ", [], "440203"),
    ("0504", "武江区重阳镇", "村里想通天然气，问问怎么申请", "WJ", [], "440203-chongyang"),
    # -- not covered: 城乡建设 outside 武江区 (no unit of those counties in the demo) ----------------------------
    ("050101", "浈江区风采街道", "风采路一段路灯不亮", None, [], "440204-fengcai"),
    ("050102", "曲江区马坝镇", "马坝镇的路面坑洼", None, [], "440205-maba"),
    ("050201", "乐昌市乐城街道", "夜市摊档占用人行道", None, [], "440281-lecheng"),
    ("050301", "南雄市", "物业乱收停车费", None, [], "440282"),
    ("050203", "新丰县丰城街道", "垃圾桶满了没人收", None, [], "440233-fengcheng"),
    # -- not covered: 城乡建设 where the place names no one area (the city has no 05 entry) ----------------------
    ("050101", "", "家门口路灯不亮好几天了", None, [], "440200"),
    ("050102", "浈江区和武江区交界处", "两区交界的那段路没人修", None, [], "440200"),
    ("050201", "大桥镇", "镇上有人占道摆摊", None, [], "440200"),
    # -- not covered: matter types without any entry ------------------------------------------------------------
    ("040101", "武江区新华街道", "楼下KTV每天唱到凌晨两点", None, [], "440203-xinhua"),
    ("040102", "曲江区白土镇", "工厂烟囱冒黑烟，味道很呛", None, [], "440205-baitu"),
    ("040103", "浈江区", "河里有人偷排污水，鱼都死了", None, [], "440204"),
    ("0701", "武江区", "在商场买的手机三天就坏了，商家不给退", None, [], "440203"),
    ("0201", "仁化县丹霞街道", "学校乱收补课费", None, [], "440224-danxia"),
    ("0301", "始兴县", "医院挂号排队太久", None, [], "440222"),
    ("0602", "翁源县", "客运站班车超载", None, [], "440229"),
    ("1101", "武江区", "办营业执照要跑好几趟", None, [], "440203"),
    ("12", "", "想找一下丢失的宠物狗", None, [], "440200"),
    # -- the place in the content when the location names none; a street named after a county is no county -----
    ("050101", "", "我住在西联镇，村口路灯坏了", "WJ", WJ_LIGHTS, "440203-xilian"),
    ("050102", "武江区乐昌路", "乐昌路上有个大坑", "WJ", [], "440203"),
    ("010101", "仁化县大桥镇石头塘村", "社保卡怎么激活", "SG-HRSS", [], "440224-daqiao"),
    # -- written in 繁體: folded to Simplified before it is matched ------------------------------------------------
    ("050101", "武江區西聯鎮沐溪大道", "路燈壞了一個多星期", "WJ", WJ_LIGHTS, "440203-xilian"),
    ("050402", "樂昌市坪石鎮", "停電了", "SG-POWER", [], "440281-pingshi"),
]
