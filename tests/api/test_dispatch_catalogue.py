"""A14 派单目录 and the caller's history (issue 14), through the API with a real worker.

- The office edits the catalogue at run time; every change is audited with its revision; what A6 forbids
  (a lead that is not a member unit) is refused.
- The precedence: the more specific matter type first, then the more specific area.
- A registration confirms or overrides the suggestion; the ticket records which, the suggestion is used
  once, a retry is no second use, and a registration without one works as before (A10/A14).
- How often suggestions are overridden, per matter type and per operator (office only).
- The caller's history by phone (A32): operators only, any spelling of the number, newest first, paged,
  a confidential requester's tickets for cleared operators only, every ticket shown audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.api_models import IdentityReadRow, RequesterAccessRow
from tests.api.support import Api, error, registration_body

CATALOGUE = "/dispatch-catalogue"
SUGGEST = "/registrations/dispatch-suggestion"
HISTORY = "/registrations/caller-history"
EVER = {"from": "2001-01-01T00:00:00+08:00", "to": "2199-01-01T00:00:00+08:00"}
# tests/api/support.py UNITS: WJ-URBAN, WJ-POWER and ZJ-HOUSING are member units (tier 2); WJ is tier 1 and
# WJ-URBAN-XH tier 3.
ENTRIES = {
    ("05", "440203"): {"lead_unit": "WJ-URBAN"},
    ("050101", "440200"): {"lead_unit": "WJ-POWER", "co_units": ["WJ-URBAN"]},
    ("0501", "440203-xilian"): {"lead_unit": "ZJ-HOUSING", "co_units": ["WJ-URBAN-XH"]},
}


async def _entries(api: Api) -> None:
    for (code, area), body in ENTRIES.items():
        response = await api.put(f"{CATALOGUE}/entries/{code}/{area}", body)
        assert response.status_code == 200, response.text


async def _count(api: Api, table: type[Any]) -> int:
    async with api.session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _suggest(
    api: Api, matter: str, location: str, as_: str = "operator", **more: Any
) -> dict[str, Any]:
    response = await api.post(SUGGEST, {"matter_code": matter, "location": location, **more}, as_=as_)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_the_office_edits_the_catalogue_at_run_time_and_every_change_is_audited_a14(
    module_api: Api,
) -> None:
    api = module_api
    start = (await api.get(CATALOGUE)).json()["revision"]
    assert start >= 1  # the seed is revision 1

    put = await api.put(f"{CATALOGUE}/matter-types/050104", {"name": "桥梁隧道"})
    assert put.status_code == 200 and put.json()["parent_code"] == "0501"
    assert error(await api.put(f"{CATALOGUE}/matter-types/990101", {"name": "无父类"})) == (
        422,
        "PARENT_MATTER_TYPE_MISSING",
        "A14",
    )
    town = {"name": "测试镇", "kind": "town", "parent_id": "440203", "aliases": ["测试镇区"]}
    assert (await api.put(f"{CATALOGUE}/areas/440203-ceshi", town)).status_code == 200
    misplaced = await api.put(f"{CATALOGUE}/areas/440200-ceshi", town | {"parent_id": "440200"})
    assert error(misplaced) == (422, "AREA_MISPLACED", "A14")
    entry = {"lead_unit": "WJ-URBAN", "co_units": ["WJ-POWER"]}
    assert (await api.put(f"{CATALOGUE}/entries/050104/440203-ceshi", entry)).status_code == 200
    # A6: the hotline dispatches to member units; a tier-1 or tier-3 unit cannot lead an entry.
    for lead, code in (
        ("WJ", "NOT_A_MEMBER_UNIT"),
        ("WJ-URBAN-XH", "NOT_A_MEMBER_UNIT"),
        ("NOPE", "UNKNOWN_UNIT"),
    ):
        refused = await api.put(f"{CATALOGUE}/entries/050104/440203", {"lead_unit": lead})
        assert error(refused)[:2] == (422, code), refused.text
    assert error(await api.put(f"{CATALOGUE}/entries/050104/440203", {"lead_unit": "WJ-URBAN", "co_units": ["WJ-URBAN"]}))[1] == "LEAD_AMONG_CO_UNITS"  # fmt: skip
    assert error(await api.put(f"{CATALOGUE}/entries/050104/nowhere", entry))[1] == "UNKNOWN_AREA"
    in_use = await api.delete(f"{CATALOGUE}/matter-types/050104")
    assert error(in_use) == (409, "MATTER_TYPE_IN_USE", "A14")
    assert error(await api.delete(f"{CATALOGUE}/areas/440203-ceshi"))[:2] == (409, "AREA_IN_USE")
    for path in ("entries/050104/440203-ceshi", "areas/440203-ceshi", "matter-types/050104"):
        assert (await api.delete(f"{CATALOGUE}/{path}")).status_code == 204
    assert (await api.delete(f"{CATALOGUE}/matter-types/050104")).status_code == 204  # again: no change

    # Six changes, each audited with what it was and became, newest first; refusals audited nothing.
    page = (await api.get(f"{CATALOGUE}/changes", params={"limit": 6})).json()
    assert page["items"][0]["revision"] == start + 6 == (await api.get(CATALOGUE)).json()["revision"]
    assert [(c["subject"], c["key"], c["before"] is None, c["after"] is None) for c in page["items"]] == [
        ("matter_type", "050104", False, True),
        ("area", "440203-ceshi", False, True),
        ("entry", "050104@440203-ceshi", False, True),
        ("entry", "050104@440203-ceshi", True, False),
        ("area", "440203-ceshi", True, False),
        ("matter_type", "050104", True, False),
    ]
    assert page["items"][3]["after"]["lead_unit"] == "WJ-URBAN"
    assert {c["credential_id"] for c in page["items"]} == {api.credential_ids["operator"]}


async def test_the_more_specific_matter_type_wins_then_the_more_specific_area_a14(module_api: Api) -> None:
    await _entries(module_api)
    cases = [
        # 050101@440200 (the matter's own entry, city-wide) over 0501@西联镇 and 05@武江区.
        ("050101", "武江区西联镇沐溪大道", ("WJ-POWER", ["WJ-URBAN"], "050101", "440200")),
        # No 050102 entry: 0501@西联镇 (the town) over 05@武江区.
        ("050102", "武江区西联镇", ("ZJ-HOUSING", ["WJ-URBAN-XH"], "0501", "440203-xilian")),
        ("050102", "武江区新华街道", ("WJ-URBAN", [], "05", "440203")),
        ("040101", "武江区新华街道", (None, [], None, None)),
    ]
    for matter, location, expected in cases:
        found = await _suggest(module_api, matter, location)
        got = (found["lead_unit"], found["co_units"], found["entry_matter_code"], found["entry_area_id"])
        assert got == expected, (matter, location, found)
    none = await _suggest(module_api, "040101", "浈江区")
    assert (none["reason"], none["area_id"], none["area_name"]) == ("not_covered", "440204", "浈江区")
    unknown = await module_api.post(SUGGEST, {"matter_code": "9999", "location": "武江区"})
    assert error(unknown) == (422, "UNKNOWN_MATTER_TYPE", "A14")


async def test_registration_records_whether_the_suggestion_was_confirmed_or_overridden_a10_a14(
    module_api: Api,
) -> None:
    api = module_api
    await _entries(api)
    lights = await _suggest(api, "050101", "武江区西联镇沐溪大道")
    confirmed = await api.register(dispatch_to="WJ-POWER", dispatch_suggestion_id=lights["suggestion_id"])
    advice = (await api.ticket(confirmed["ticket_no"]))["dispatch_advice"]
    assert (advice["suggested_lead"], advice["decision"], advice["matter_code"]) == (
        "WJ-POWER",
        "confirmed",
        "050101",
    )
    # Used once: a second ticket naming it is refused and stores nothing of itself.
    accesses = await _count(api, RequesterAccessRow)
    again = await api.post("/tickets", registration_body(dispatch_suggestion_id=lights["suggestion_id"]))
    assert error(again) == (409, "SUGGESTION_USED", "A14")
    assert await _count(api, RequesterAccessRow) == accesses

    roads = await _suggest(api, "050102", "武江区新华街道")
    body = registration_body(dispatch_to="WJ-POWER", dispatch_suggestion_id=roads["suggestion_id"])
    first = await api.post("/tickets", body, key="dispatch-override-1")
    retried = await api.post("/tickets", body, key="dispatch-override-1")  # a retry is no second use
    assert first.status_code == retried.status_code == 201, retried.text
    assert retried.json()["ticket_no"] == first.json()["ticket_no"]
    overridden = (await api.ticket(first.json()["ticket_no"]))["dispatch_advice"]
    assert (overridden["suggested_lead"], overridden["decision"]) == ("WJ-URBAN", "overridden")
    # An id that is not the caller's is not found, whoever's it is; an unsuggested matter is recorded as such.
    theirs = await _suggest(api, "050102", "武江区", as_="operator_uncleared")
    assert error(await api.post("/tickets", registration_body(dispatch_suggestion_id=theirs["suggestion_id"])))[:2] == (422, "UNKNOWN_SUGGESTION")  # fmt: skip
    noise = await _suggest(api, "040101", "武江区")
    unsuggested = await api.register(dispatch_suggestion_id=noise["suggestion_id"])
    assert (await api.ticket(unsuggested["ticket_no"]))["dispatch_advice"]["decision"] == "unsuggested"
    # Backward compatible: a registration without a suggestion works as it always did.
    plain = await api.register()
    assert (await api.ticket(plain["ticket_no"]))["dispatch_advice"] is None

    report = await api.get("/reports/dispatch-overrides", params=EVER)
    assert report.status_code == 200, report.text
    figures = report.json()
    by_matter = {m["matter_code"]: m for m in figures["by_matter_type"]}
    assert (by_matter["050101"]["confirmed"], by_matter["050101"]["override_rate"]) == (1, 0.0)
    assert (by_matter["050102"]["overridden"], by_matter["050102"]["override_rate"]) == (1, 1.0)
    assert (by_matter["040101"]["unsuggested"], by_matter["040101"]["override_rate"]) == (1, None)
    mine = next(o for o in figures["by_operator"] if o["credential_id"] == api.credential_ids["operator"])
    assert (mine["registrations"], mine["confirmed"], mine["overridden"], mine["override_rate"]) == (
        3,
        1,
        1,
        0.5,
    )
    assert (await api.get("/reports/dispatch-overrides", as_="urban", params=EVER)).status_code == 403


async def _audited(api: Api) -> int:
    async with api.session_maker() as session:
        query = select(func.count()).where(IdentityReadRow.purpose == "caller_history")
        return int(await session.scalar(query) or 0)


async def test_the_caller_s_history_by_phone_for_operators_only_audited_a32(module_api: Api) -> None:
    api = module_api
    phone = {"name": "王芳", "phone": "13922223333"}
    await _entries(api)
    lights = (await _suggest(api, "050101", "武江区解放路"))["suggestion_id"]
    tickets = [
        await api.register(requester=phone, content="解放路路灯不亮", dispatch_suggestion_id=lights),
        await api.register(requester=phone | {"phone": "+86 139-2222-3333"}, content="小区停水"),
        await api.register(requester=phone | {"confidential": True}, dispatch_to=None, content="举报违建"),
        await api.register(requester={"name": "别人", "phone": "13900001111"}),
    ]
    for created in tickets:
        await api.listed(created["ticket_no"], (await api.ticket(created["ticket_no"]))["revision"])
    before = await _audited(api)

    # Any spelling finds the same number; newest first; a confidential requester's tickets for cleared staff.
    page = await api.post(HISTORY, {"phone": "＋８６ １３９ ２２２２ ３３３３"})
    assert page.status_code == 200, page.text
    history = page.json()
    assert (history["phone"], history["total"]) == ("13922223333", 3)
    assert [t["ticket_no"] for t in history["items"]] == [t["ticket_no"] for t in tickets[2::-1]]
    assert {"registered_at", "matter", "stage", "outcome", "summary"} <= set(history["items"][0])
    assert history["items"][1]["summary"] == "小区停水"
    assert history["items"][2]["matter"] == "路灯照明"  # its dispatch-catalogue type (A14)
    uncleared = (await api.post(HISTORY, {"phone": "13922223333"}, as_="operator_uncleared")).json()
    assert uncleared["total"] == 2 and tickets[2]["ticket_no"] not in {
        t["ticket_no"] for t in uncleared["items"]
    }
    paged = (await api.post(f"{HISTORY}?limit=2&offset=2", {"phone": "13922223333"})).json()
    assert (paged["total"], [t["ticket_no"] for t in paged["items"]]) == (3, [tickets[0]["ticket_no"]])
    # A32: one identity read per ticket shown (3 + 2 + 1); a lookup that finds nothing writes none.
    assert (await api.post(HISTORY, {"phone": "13700000000"})).json()["total"] == 0
    assert await _audited(api) == before + 6

    # Operators only; the number never in the URL; letters are no number.
    for caller in ("urban", "county", "integrator"):
        refused = await api.post(HISTORY, {"phone": "13922223333"}, as_=caller)
        assert error(refused)[:2] == (403, "FORBIDDEN"), caller
    assert (await api.post(HISTORY, {"phone": "13922223333"}, as_=None)).status_code == 401
    assert (
        error(await api.post(f"{HISTORY}?phone=13922223333", {"phone": "13922223333"}))[1]
        == "UNKNOWN_PARAMETER"
    )
    assert error(await api.post(HISTORY, {"phone": "139abc"})) == (422, "INVALID_PHONE", "A11")
    assert await _audited(api) == before + 6
