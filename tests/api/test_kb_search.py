"""The knowledge base searched and cited through the API (A12, A29): a question as the caller puts it finds
the point; the office's synonym groups apply to the next search; a withdrawn or expired point drops out;
a correction keeps the earlier text as a version, and an answer on the spot (A12) or a refused return
(A16.6) records the version it relied on. Ranking quality is measured in tests/db/test_kb_search.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from db.api_models import KnowledgeSynonymGroupRow
from db.seed import seed_reference_data
from domain.calendar import WorkingCalendar
from domain.knowledge_words import SEED_SYNONYM_GROUPS
from tests.api.support import RETURN, Api, at


async def point(api: Api, title: str, body: str, as_: str = "urban", **fields: Any) -> dict[str, Any]:
    response = await api.post("/knowledge-points", {"title": title, "body": body} | fields, as_=as_)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def found(api: Api, question: str) -> list[str]:
    response = await api.get("/knowledge-points", as_="operator", params={"q": question})
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def correct(api: Api, point_id: str, title: str, body: str) -> httpx.Response:
    return await api.http.put(
        f"/knowledge-points/{point_id}", json={"title": title, "body": body}, headers=api.auth("urban")
    )


async def test_a12_a29_an_answer_cites_the_version_it_relied_on(api: Api) -> None:
    """A29: a correction keeps the earlier text as version 1. A12: the operator finds the point by the
    caller's words (written in Traditional characters), answers on the spot, and the ticket records the
    point and the version of its text; a withdrawn point cannot be cited, nor a version it never had."""
    light = await point(api, "道路照明设施报修", "城市道路照明设施由城管部门维护，报修电话12319。")
    await point(api, "占道经营整治", "擅自设摊经营的，由城管执法部门责令改正。")
    corrected = await correct(
        api, light["id"], "道路照明设施报修", "城市道路照明设施由城管部门维护，24小时内修复。"
    )
    assert (corrected.status_code, corrected.json()["version"]) == (200, 2), corrected.text

    versions = (await api.get(f"/knowledge-points/{light['id']}/versions", as_="power")).json()
    assert versions["current"] == 2
    assert [(v["version"], v["body"]) for v in versions["items"]] == [
        (1, "城市道路照明设施由城管部门维护，报修电话12319。"),
        (2, "城市道路照明设施由城管部门维护，24小时内修复。"),
    ]

    search = (
        await api.get("/knowledge-points", as_="operator", params={"q": "我想問一下路燈不亮找誰"})
    ).json()
    assert [p["id"] for p in search["items"]][:1] == [light["id"]] and search["items"][0]["version"] == 2
    assert search["items"][0]["score"] > 0

    no = (await api.register(category="consultation", dispatch_to=None))["ticket_no"]
    answer = {"answer": "路灯报修请拨打12319，24小时内修复。", "knowledge_point_id": light["id"]}
    never = await api.post(f"/tickets/{no}/answer", answer | {"knowledge_point_version": 3})
    assert (never.status_code, never.json()["code"]) == (422, "UNKNOWN_KNOWLEDGE_POINT_VERSION")
    t = await api.act(no, "answer", answer)
    assert t["answered_from"]["id"] == light["id"] and t["answered_from"]["version"] == 2
    assert at(t["answered_from"]["version_written_at"]) == at(corrected.json()["corrected_at"])
    event = next(e for e in t["timeline"] if e["kind"] == "answered_at_once")
    assert (event["data"]["knowledge_point_id"], event["data"]["knowledge_point"]["version"]) == (
        light["id"],
        2,
    )

    withdrawn = await api.post(
        f"/knowledge-points/{light['id']}/withdrawal", {"reason": "改由新口径"}, as_="urban"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None, withdrawn.text
    other = (await api.register(category="consultation", dispatch_to=None))["ticket_no"]
    refused = await api.post(f"/tickets/{other}/answer", answer)
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        422,
        "KNOWLEDGE_POINT_WITHDRAWN",
        "A12",
    )
    # The first ticket still shows what it cited; the version history is kept.
    assert (await api.ticket(no))["answered_from"]["version"] == 2
    assert len((await api.get(f"/knowledge-points/{light['id']}/versions")).json()["items"]) == 2


async def test_a16_6_a29_a_refusal_weighs_the_version_it_cites(api: Api) -> None:
    """A16.6 with A29 (verdicts 4): the text the refusal relies on must have entered the knowledge base
    after registration. Version 1 was there before the ticket, so citing it is refused; version 2, the
    correction after registration, grounds the refusal, and the ticket records version 2."""
    lamp = await point(api, "路灯", "城管局负责")
    await api.env.sleep(timedelta(minutes=5))
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    await api.env.sleep(timedelta(minutes=5))
    corrected = await correct(api, lamp["id"], "路灯", "路灯由城管局负责维护，报修电话 12319")
    assert corrected.status_code == 200, corrected.text
    await api.act(no, "returns", RETURN, as_="urban")
    refusal = {
        "approve": False,
        "ground": "A16.6",
        "reason": "知识库已有答复口径",
        "knowledge_point_id": lamp["id"],
    }

    early = await api.post(f"/tickets/{no}/returns/R1/review", refusal | {"knowledge_point_version": 1})
    assert (early.status_code, early.json()["code"], early.json()["rule"]) == (
        409,
        "KNOWLEDGE_POINT_PREDATES_REGISTRATION",
        "A16.6",
    )
    t = await api.act(no, "returns/R1/review", refusal)
    kp = t["returns"][0]["knowledge_point"]
    assert (kp["id"], kp["version"]) == (lamp["id"], 2)
    assert at(kp["version_written_at"]) == at(corrected.json()["corrected_at"])


async def test_a12_synonyms_withdrawal_and_expiry_apply_to_the_next_search(api: Api) -> None:
    """A12: a synonym group the office adds finds a point on the next search, and stops when removed;
    A29: a withdrawn point leaves the search at once (and is corrected no more); a point past its last
    day leaves it the day after."""
    cover = await point(api, "窨井盖缺失报修", "道路上的窨井盖缺失、破损，由权属单位负责更换。")
    # 消防栓/消火栓: one thing that no seeded group names (井盖/窨井盖 is seeded: domain/knowledge_words.py).
    hydrant = await point(api, "消防栓归谁管", "市政道路旁的消防栓由消防救援支队负责日常管理。")
    assert hydrant["id"] not in await found(api, "小区外面的消火栓歪了")

    added = await api.post("/knowledge-synonyms", {"terms": ["消防栓", "消火栓"]})
    assert added.status_code == 201, added.text
    assert (await found(api, "小区外面的消火栓歪了"))[:1] == [hydrant["id"]]
    groups = (await api.get("/knowledge-synonyms", as_="urban")).json()["items"]
    assert added.json()["id"] in [g["id"] for g in groups] and "seed-lighting" in [g["id"] for g in groups]
    duplicate = await api.post("/knowledge-synonyms", {"terms": ["井盖", "井蓋"]})
    assert duplicate.status_code == 422  # one word in its two spellings
    assert (
        await api.http.delete(f"/knowledge-synonyms/{added.json()['id']}", headers=api.auth("operator"))
    ).status_code == 204
    assert hydrant["id"] not in await found(api, "小区外面的消火栓歪了")
    gone = await api.http.delete(f"/knowledge-synonyms/{added.json()['id']}", headers=api.auth("operator"))
    assert (gone.status_code, gone.json()["code"]) == (404, "SYNONYM_GROUP_NOT_FOUND")
    # A seeded group the office removes stays removed when the reference data is seeded again.
    seeded = await api.http.delete("/knowledge-synonyms/seed-noise", headers=api.auth("operator"))
    assert seeded.status_code == 204
    await seed_reference_data(api.session_maker)
    listed_groups = (await api.get("/knowledge-synonyms")).json()["items"]
    assert "seed-noise" not in [g["id"] for g in listed_groups] and "seed-gas" in [
        g["id"] for g in listed_groups
    ]
    # A seeded group still in use, seeded by an older release, takes this release's terms.
    async with api.session_maker.begin() as session:
        older = await session.get(KnowledgeSynonymGroupRow, "seed-dark")
        assert older is not None
        older.terms = ["不亮", "没亮"]
    await seed_reference_data(api.session_maker)
    listed_groups = (await api.get("/knowledge-synonyms")).json()["items"]
    dark = next(g for g in listed_groups if g["id"] == "seed-dark")
    assert dark["terms"] == list(SEED_SYNONYM_GROUPS["seed-dark"]) and "黑乎乎" in dark["terms"]

    assert cover["id"] in await found(api, "井盖不见了")
    withdrawn = await api.post(
        f"/knowledge-points/{cover['id']}/withdrawal", {"reason": "并入新知识点"}, as_="urban"
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert cover["id"] not in await found(api, "井盖不见了")
    again = await correct(api, cover["id"], "窨井盖", "x")
    assert (again.status_code, again.json()["code"]) == (409, "KNOWLEDGE_POINT_WITHDRAWN")
    listed = (await api.get("/knowledge-points", params={"withdrawn": "true"})).json()["items"]
    assert cover["id"] in [p["id"] for p in listed]
    assert cover["id"] not in [p["id"] for p in (await api.get("/knowledge-points")).json()["items"]]

    today = WorkingCalendar.local_date(await api.now())
    notice = await point(
        api, "浈江区临时停水公告", "东河片区管网抢修，临时停水。", as_="urban", expires_on=today.isoformat()
    )
    assert (await found(api, "东河那边没水了"))[:1] == [notice["id"]]
    await api.env.sleep(timedelta(days=1))
    assert notice["id"] not in await found(api, "东河那边没水了")
