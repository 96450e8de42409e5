"""A new user's first day: times in Asia/Shanghai, codes with their labels, a concluded ticket never
provisional, and the actions a clerk guesses (an empty body, a typo refused, polling, a contact's purpose,
the intake refusal and the unit's finding named apart)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete

from db.models import CalendarYearRow
from domain.calendar import SHANGHAI
from domain.labels import ENUM_LABELS, REGULATION
from domain.vocabulary import Labelled
from tests.api.support import Api, closure_body

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
RULE_ID = re.compile(r"^A\d{1,2}(\.\d{1,2})?$")
HAN = re.compile(r"[\u4e00-\u9fff]")


def instants(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every date-time string in a JSON document, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from instants(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from instants(item, f"{path}[{n}]")
    elif isinstance(value, str) and INSTANT.match(value):
        yield path, value


def assert_in_shanghai(document: Any, at_least: int = 1) -> None:
    found = list(instants(document))
    assert len(found) >= at_least, found
    elsewhere = [(path, text) for path, text in found if not text.endswith("+08:00")]
    assert not elsewhere, elsewhere


def secret(created: dict[str, Any]) -> dict[str, str]:
    return {"X-Access-Secret": created["access_secret"]}


# -- 1. times ---------------------------------------------------------------------------------------------
async def test_every_instant_a_response_carries_is_in_shanghai(api: Api) -> None:
    """A registration given in UTC, its dispatched ticket, the timeline, the lists and the reports: every
    instant reads +08:00, and a limit reads as the 24:00 a clerk counts to."""
    received = (await api.now()).astimezone(UTC).replace(microsecond=0)
    created = await api.register(received_at=received.isoformat().replace("+00:00", "Z"))
    assert_in_shanghai(created, at_least=5)
    ticket = created["ticket"]
    assert ticket["received_at"] == received.astimezone(SHANGHAI).isoformat()
    assert ticket["answer_due_at"].endswith("T00:00:00+08:00")
    no = created["ticket_no"]
    signed = await api.act(no, "sign-for", as_="urban")
    assert_in_shanghai(signed["timeline"], at_least=3)
    assert_in_shanghai(signed)
    assert_in_shanghai(await api.ticket(no, as_="urban"))
    await api.listed(no, signed["revision"])
    assert_in_shanghai((await api.get("/tickets")).json(), at_least=3)
    assert_in_shanghai((await api.get(f"/public/tickets/{no}", as_=None, headers=secret(created))).json())

    day = received.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0)
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    bulletin = (await api.get("/reports/bulletin", params=period)).json()
    assert bulletin["period"] == period
    assert_in_shanghai(bulletin, at_least=2)
    assert_in_shanghai((await api.get("/reports/supervision", params=period)).json(), at_least=0)
    point = await api.post(
        "/knowledge-points", {"title": "社保卡补办", "body": "到社保网点办理"}, as_="power"
    )
    assert_in_shanghai(point.json())
    assert_in_shanghai((await api.get("/knowledge-points", as_="power")).json())
    assert_in_shanghai((await api.get("/calendar/years")).json(), at_least=20)


# -- 2. labels --------------------------------------------------------------------------------------------
async def test_codes_carry_their_labels_in_the_views_and_the_schema(api: Api) -> None:
    created = await api.register()
    ticket = created["ticket"]
    assert ticket["stage"] == "dispatched" and ticket["stage_label"]["zh"] == "已转派，待签收"
    assert (ticket["card"], ticket["card_label"]) == ("green", {"zh": "绿牌", "en": "green"})
    assert ticket["category_label"] == {"zh": "投诉", "en": "complaint"}
    assert ticket["outcome_label"] is None and ticket["not_accepted_reason_label"] is None
    line = await api.listed(created["ticket_no"], ticket["revision"])
    assert line["stage_label"] == ticket["stage_label"] and line["card_label"]["zh"] == "绿牌"

    schemas = (await api.get("/openapi.json", as_=None)).json()["components"]["schemas"]
    for enum in Labelled.__subclasses__():
        schema = schemas[enum.__name__]
        assert set(schema["x-enum-labels"]) == {m.value for m in enum}, enum
        for member in enum:
            zh, en = ENUM_LABELS[member]
            assert schema["x-enum-labels"][member.value] == {"zh": zh, "en": en}
            assert f"`{member.value}`: {zh} / {en}" in schema["description"]
    assert "stage_label" in schemas["TicketView"]["properties"]


async def test_the_requester_never_reads_a_bare_rule_id_or_an_english_basis(api: Api) -> None:
    """A13 refusal at intake (A10.3): the reason beside its words in the regulation's Chinese, every
    progress event with its kind and article in words."""
    created = await api.register(dispatch_to=None)
    no = created["ticket_no"]
    await api.act(no, "refuse-at-intake", {"reason": "A10.3", "basis": "该事项已进入信访程序"})
    public = (await api.get(f"/public/tickets/{no}", as_=None, headers=secret(created))).json()
    assert public["not_accepted_reason"] == "A10.3"
    assert public["not_accepted_reason_label"]["zh"] == "已进入信访渠道的事项"
    assert public["stage_label"]["zh"] == "不予受理" and public["outcome_label"]["zh"] == "不予受理"
    assert public["progress"], public
    for event in public["progress"]:
        assert HAN.search(event["kind_label"]["zh"]), event
        if event["rule"] is not None:
            assert event["rule_label"]["zh"].startswith(REGULATION + "第"), event
    assert public["progress"][-1]["rule_label"]["zh"] == REGULATION + "第十条第（三）项"
    bare = [(path, text) for path, text in _strings(public) if RULE_ID.match(text)]
    for path, _ in bare:  # a rule id only ever stands beside its label
        assert _label_of(public, path) is not None, path
    assert HAN.search(public["not_accepted_basis"])


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, (*path, n))
    elif isinstance(value, str):
        yield path, value


def _label_of(document: Any, path: tuple[Any, ...]) -> Any:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    label = parent.get(f"{path[-1]}_label")
    return label if label and HAN.search(label["zh"]) else None


# -- 3. provisional ---------------------------------------------------------------------------------------
async def test_a_concluded_ticket_is_never_provisional(api: Api) -> None:
    """Counting time: while its limits run on a year with no notice the ticket is provisional; concluded,
    its limits are settled and it is not, in the ticket, the list and the requester's view."""
    year = (await api.now()).astimezone(SHANGHAI).year
    async with api.session_maker.begin() as session:
        await session.execute(delete(CalendarYearRow).where(CalendarYearRow.year.in_([year, year + 1])))
    created = await api.register()
    no = created["ticket_no"]
    assert created["ticket"]["provisional"] is True
    await api.act(no, "sign-for", as_="urban")
    await api.act(no, "contacts", {"purpose": "result", "reached": True}, as_="urban")
    await api.act(
        no, "closure", closure_body(["修复解放路路灯", "说明维修时限"], await api.now()), as_="urban"
    )
    await api.act(no, "closure/review", {"approve": True})
    rated = await api.post(
        f"/public/tickets/{no}/rating",
        {"acceptance": ["satisfied"], "handling": ["satisfied"]},
        as_=None,
        headers={"X-Rating-Code": created["rating_code"]},
    )
    assert (rated.json()["stage"], rated.json()["provisional"]) == ("concluded", False)
    ticket = await api.ticket(no)
    assert ticket["provisional"] is False
    assert any(clock["provisional"] for clock in ticket["clocks"].values())  # as planned, for the record
    assert (await api.listed(no, ticket["revision"]))["provisional"] is False


# -- 5. what people do ------------------------------------------------------------------------------------
async def test_sign_for_needs_no_body(api: Api) -> None:
    no = (await api.register())["ticket_no"]
    response = await api.http.post(f"/tickets/{no}/sign-for", headers=api.auth("urban"))
    assert response.status_code == 200, response.text
    assert response.json()["stage"] == "handling"
    # A body with a required field still needs it.
    bare = await api.http.post(f"/tickets/{no}/extension", headers=api.auth("urban"))
    assert bare.status_code == 422 and bare.json()["code"] == "INVALID_INPUT"


async def test_an_unknown_query_parameter_is_refused(api: Api) -> None:
    for path, params in (
        ("/tickets", {"stgae": "handling"}),
        ("/tickets", {"stage": "handling", "limt": "5"}),
        ("/knowledge-points", {"query": "社保"}),
        ("/reports/supervision", {"sigal": "red_card"}),
        ("/calendar/years", {"year": "2027"}),
    ):
        response = await api.get(path, params=params)
        assert (response.status_code, response.json()["code"]) == (422, "UNKNOWN_PARAMETER"), path
        assert next(iter(params.keys() - {"stage"})) in response.json()["message"]
    assert (await api.get("/tickets", params={"stage": "handling", "limit": "5"})).status_code == 200
    assert (await api.get("/knowledge-points", params={"q": "社保"})).status_code == 200
    weights = {"timeliness": 1, "return_quality": 1, "satisfaction": 1}
    day = (await api.now()).astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}
    assert (await api.get("/reports/assessment", params=period | weights)).status_code == 200


async def test_a_unit_polls_its_queue_with_updated_since(api: Api) -> None:
    first, second = (await api.register())["ticket_no"], (await api.register())["ticket_no"]
    lines = [await api.listed(no, 1, as_="urban") for no in (first, second)]
    cursor = max(datetime.fromisoformat(line["updated_at"]) for line in lines) + timedelta(microseconds=1)
    signed = await api.act(first, "sign-for", as_="urban")
    for _ in range(200):
        page = (await api.get("/tickets", as_="urban", params={"updated_since": cursor.isoformat()})).json()
        numbers = [t["ticket_no"] for t in page["items"]]
        if first in numbers and page["items"][numbers.index(first)]["stage"] == signed["stage"]:
            break
        await asyncio.sleep(0.05)  # the read model lags the workflow by a projection
    assert first in numbers and second not in numbers, numbers
    assert all(datetime.fromisoformat(t["updated_at"]) >= cursor for t in page["items"])
    naive = await api.get("/tickets", as_="urban", params={"updated_since": "2026-12-01T00:00:00"})
    assert naive.status_code == 422


async def test_a_contact_says_its_purpose(api: Api) -> None:
    """A20/A14: whether the unit told the result or only asked for details is the unit's to say."""
    no = (await api.register())["ticket_no"]
    await api.act(no, "sign-for", as_="urban")
    silent = await api.post(f"/tickets/{no}/contacts", {"channel": "phone", "reached": True}, as_="urban")
    assert silent.status_code == 422 and "purpose" in silent.text
    asked = await api.act(
        no, "contacts", {"channel": "phone", "purpose": "enquiry", "reached": True}, "urban"
    )
    assert [c["purpose"] for c in asked["contacts"]] == ["enquiry"]


async def test_the_intake_refusal_and_the_units_finding_have_their_own_names(api: Api) -> None:
    """A13 `/refuse-at-intake` and A14.4 `/find-not-acceptable`; the former paths still answer, deprecated."""
    refusal = {"reason": "A10.3", "basis": "该事项已进入信访程序"}
    for path in ("refuse-at-intake", "not-accept"):
        no = (await api.register(dispatch_to=None))["ticket_no"]
        assert (await api.act(no, path, refusal))["stage"] == "not_accepted"
    finding = {
        "reason": "A10.2",
        "explanation": "该纠纷已进入诉讼程序",
        "requester_told": True,
        "material_refs": ["att://court-notice.pdf"],
    }
    for path in ("find-not-acceptable", "not-acceptable"):
        no = (await api.register())["ticket_no"]
        await api.act(no, "sign-for", as_="urban")
        assert (await api.act(no, path, finding, as_="urban"))["stage"] == "closure_review"
    paths = (await api.get("/openapi.json", as_=None)).json()["paths"]
    for new, old in (("refuse-at-intake", "not-accept"), ("find-not-acceptable", "not-acceptable")):
        assert not paths[f"/tickets/{{no}}/{new}"]["post"].get("deprecated", False)
        assert paths[f"/tickets/{{no}}/{old}"]["post"]["deprecated"] is True
