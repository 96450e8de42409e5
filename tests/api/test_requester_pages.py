"""The requester's pages (A19, A20, A24) through HTTP: the real app with a real worker, as a phone would ask.

A link is `/t/<token>` and nothing else; its token is kept only as a digest; a rating link rates once; a
used or expired link says so in a page; the /t form opens the page with the ticket number and the access
secret, and refuses a wrong pair the same whether the ticket exists or not; the page names the unit and
no person.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.pages.links import issue_progress_link, issue_rating_link
from db.api_models import RequesterLinkRow
from operations.credentials import digest, issue_credential
from tests.api.support import RETURN, Api, Ticket, api_settings, closure_body, registration_body, ticket_in

LINK = re.compile(r"^/t/[A-Za-z0-9_-]{32}$")
UNIT_NAME = "武江区城市管理和综合执法局"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def html(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, f"{response.status_code} {response.text[:500]}"
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="zh-CN">' in response.text
    return response.text


async def page(api: Api, path: str, status: int = 200) -> str:
    return html(await api.http.get(path), status)


async def post_form(api: Api, path: str, fields: dict[str, Any]) -> httpx.Response:
    return await api.http.post(path, data=fields, headers=FORM)


async def rating_link(api: Api, t: Ticket, round: int = 1) -> str:
    async with api.session_maker.begin() as session:
        return await issue_rating_link(session, t.no, round, now=await api.now())


async def rated_events(api: Api, no: str) -> list[dict[str, Any]]:
    return [e for e in (await api.ticket(no))["timeline"] if e["kind"] == "rated"]


SATISFIED = {"acceptance": "satisfied", "handling": "very_satisfied"}


async def test_registration_carries_a_progress_link_kept_only_as_a_digest(api: Api) -> None:
    created = await api.register()
    link = created["progress_page"]
    assert LINK.fullmatch(link), link
    token = link.removeprefix("/t/")
    assert created["ticket_no"] not in link and created["access_secret"] not in link

    async with api.session_maker() as session:
        rows = (await session.scalars(select(RequesterLinkRow))).all()
    assert [(r.ticket_no, r.purpose, r.token_hash) for r in rows] == [
        (created["ticket_no"], "progress", digest(token))
    ]
    stored = [str(v) for r in rows for v in vars(r).values()]
    assert not any(token in v for v in stored)
    assert rows[0].expires_at - rows[0].issued_at == timedelta(days=90)

    text = await page(api, link)
    # A19: the progress, in Chinese, at Shanghai time; A20: the unit, by its name.
    assert created["ticket_no"] in text
    assert "已派至承办单位" in text and "诉求已登记" in text
    assert UNIT_NAME in text
    received = created["received_at"]
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", text)
    assert received not in text  # shown as local time, not as the API's ISO instant
    assert re.search(r"答复期限</dt><dd><time[^>]*>\d{4}年\d{1,2}月\d{1,2}日 24:00</time>前", text)  # A17
    assert '<meta name="viewport"' in text and "<script" not in text


async def test_a_retried_registration_gives_the_same_progress_link(api: Api) -> None:
    """The link derives, like the secrets, from the server's secret and the claim's nonce: one row, one URL."""
    first = await api.post("/tickets", registration_body(), key="same-call")
    again = await api.post("/tickets", registration_body(), key="same-call")
    assert first.status_code == 201 and again.status_code in (200, 201), again.text
    assert again.json()["progress_page"] == first.json()["progress_page"]
    async with api.session_maker() as session:
        rows = (await session.scalars(select(RequesterLinkRow))).all()
    assert len(rows) == 1
    assert "工单办理进度" in await page(api, first.json()["progress_page"])


async def test_the_page_names_the_unit_and_no_person(api: Api) -> None:
    """A20/A32: the answer in the unit's name; no staff name, no requester data, nothing of another ticket."""
    staff = await issue_credential(
        api.session_maker, role="unit_staff", name="张伟", unit_id="WJ-URBAN", now=await api.now()
    )
    api.tokens["zhang"] = staff.token
    other = await api.register(requester={"name": "王芳", "phone": "13900000001"})
    created = await api.register(
        requester={"name": "李华", "phone": "13800000000", "organisation": "某某科技有限公司"}
    )
    no = created["ticket_no"]
    await api.act(no, "returns", RETURN, as_="zhang")  # signed off by 王强
    await api.act(no, "returns/R1/review", {"approve": False, "ground": "A16.1", "reason": "属本单位职责"})
    await api.act(no, "sign-for", as_="zhang")
    await api.act(no, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="zhang")
    await api.act(
        no, "closure", closure_body(["修复解放路路灯", "说明维修时限"], await api.now()), as_="zhang"
    )
    await api.act(no, "closure/review", {"approve": True})

    text = await page(api, created["progress_page"])
    assert UNIT_NAME in text and "答复单位" in text
    assert "路灯已恢复照明" in text and "已办理：修复解放路路灯" in text  # the answer, point by point
    assert "满意度评价" in text  # a rating is open
    for private in (
        "张伟",
        "王强",
        "副局长",
        "李华",
        "13800000000",
        "某某科技有限公司",
        "解放路路灯连续一周不亮",  # the request's own text stays off a page anyone with the link sees
        "武江区解放路 88 号",
        "WJ-URBAN",
        "operator",
        other["ticket_no"],
        "王芳",
        "13900000001",
    ):
        assert private not in text, private


async def test_a_rating_link_rates_both_stages_once_and_is_spent(api: Api) -> None:
    t = await ticket_in(api, "rating")
    link = await rating_link(api, t)
    text = await page(api, link)
    assert "受理环节" in text and "办理环节" in text
    for option in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f">{option}</label>" in text
    # Five options for each stage, and 是否解决 (A24, optional): resolved or not.
    assert text.count('type="radio"') == 12 and 'name="resolved"' in text
    assert len(re.findall(r'<label for="(acceptance|handling)-', text)) == 10

    # One stage left out: the form again, nothing rated, the link not spent.
    half = await post_form(api, f"{link}/rating", {"acceptance": "satisfied"})
    assert "请为受理环节和办理环节各选择一项" in html(half, 422)
    assert await rated_events(api, t.no) == []

    rated = await post_form(api, f"{link}/rating", SATISFIED)
    assert rated.status_code == 303, rated.text
    landed = rated.headers["location"]
    assert LINK.fullmatch(landed) and landed != link
    after = await page(api, landed)
    assert "已评价" in after and "非常满意" in after and "满意度评价" not in after

    # The link is spent: a replay or a second submit says so and rates nothing more.
    again = await post_form(api, f"{link}/rating", {"acceptance": "dissatisfied", "handling": "dissatisfied"})
    assert "您已评价" in html(again, 410)
    assert "您已评价" in await page(api, link, 410)
    events = await rated_events(api, t.no)
    assert [(e["data"]["acceptance"]["option"], e["data"]["handling"]["option"]) for e in events] == [
        ("satisfied", "very_satisfied")
    ]
    # The JSON API sees the same single rating.
    code = {"X-Rating-Code": t.rating_code}
    body = {"acceptance": ["dissatisfied"], "handling": ["dissatisfied"]}
    refused = await api.post(f"/public/tickets/{t.no}/rating", body, as_=None, headers=code)
    assert (refused.status_code, refused.json()["code"]) == (409, "ALREADY_RATED")


async def test_a_double_submit_is_one_rating(api: Api) -> None:
    """Two submits at once (a double tap, two tabs): one update id per ticket and round, one rating."""
    t = await ticket_in(api, "rating")
    link = await rating_link(api, t)
    async with api.session_maker.begin() as session:
        progress = await issue_progress_link(session, t.no, now=await api.now())
    answers = await asyncio.gather(
        post_form(api, f"{link}/rating", SATISFIED),
        post_form(api, f"{link}/rating", SATISFIED),
        post_form(api, f"{progress}/rating", SATISFIED),
    )
    assert {a.status_code for a in answers} <= {303, 409, 410}
    assert 303 in {a.status_code for a in answers}
    assert len(await rated_events(api, t.no)) == 1
    # The progress link was not spent: it still opens the page, now rated.
    assert "已评价" in await page(api, progress)


async def test_a_rating_from_the_progress_page_after_another_says_already_rated(api: Api) -> None:
    t = await ticket_in(api, "rating")
    async with api.session_maker.begin() as session:
        progress = await issue_progress_link(session, t.no, now=await api.now())
    first = await post_form(
        api, f"{progress}/rating", {"acceptance": "satisfied", "handling": "dissatisfied"}
    )
    assert first.status_code == 303
    assert "热线将" in await page(api, first.headers["location"])  # A24: a dissatisfied rating is called back
    second = await post_form(api, f"{progress}/rating", SATISFIED)
    assert "您已评价" in html(second, 409)
    assert len(await rated_events(api, t.no)) == 1


async def test_expired_and_unknown_links_say_so_in_a_page(api: Api) -> None:
    t = await ticket_in(api, "rating")
    now = await api.now()
    async with api.session_maker.begin() as session:
        short = await issue_progress_link(session, t.no, now=now, lifetime=timedelta(hours=1))
        rating = await issue_rating_link(session, t.no, 1, now=now, expires_at=now + timedelta(hours=2))
    assert "工单办理进度" in await page(api, short)
    await api.env.sleep(timedelta(hours=3))

    assert "链接已过期" in await page(api, short, 410)
    assert "链接已过期" in await page(api, rating, 410)
    refused = await post_form(api, f"{rating}/rating", SATISFIED)
    assert "链接已过期" in html(refused, 410)
    assert await rated_events(api, t.no) == []
    assert "链接无效" in await page(api, "/t/" + "A" * 32, 404)
    assert "链接无效" in await page(api, "/t/not-a-token", 404)


async def test_the_rating_window_closing_is_told_as_such(api: Api) -> None:
    """A24: no answer in 24 hours reads as basically satisfied; a late submit is told, not rated."""
    t = await ticket_in(api, "rating")
    async with api.session_maker.begin() as session:
        progress = await issue_progress_link(session, t.no, now=await api.now())
    await api.env.sleep(timedelta(hours=25))
    await api.until(t.no, lambda v: v["stage"] == "concluded")
    late = await post_form(api, f"{progress}/rating", SATISFIED)
    assert "评价时间已过" in html(late, 409)
    text = await page(api, progress)
    assert "超时未选，视为基本满意" in text
    assert await rated_events(api, t.no) == []


async def test_the_call_in_form_opens_the_page_and_refuses_alike(api: Api) -> None:
    created = await api.register()
    form = await page(api, "/t")
    for field in ("ticket_no", "secret"):
        assert re.search(rf'<label for="{field}">[^<]+</label>', form)
        assert f'id="{field}" name="{field}"' in form

    opened = await post_form(
        api, "/t", {"ticket_no": created["ticket_no"], "secret": created["access_secret"]}
    )
    assert opened.status_code == 303, opened.text
    assert LINK.fullmatch(opened.headers["location"])
    assert UNIT_NAME in await page(api, opened.headers["location"])
    # Typed in lower case from the phone: the same ticket.
    lower = await post_form(
        api, "/t", {"ticket_no": created["ticket_no"].lower(), "secret": created["access_secret"]}
    )
    assert lower.status_code == 303

    wrong_secret = await post_form(api, "/t", {"ticket_no": created["ticket_no"], "secret": "guess"})
    no_ticket = await post_form(api, "/t", {"ticket_no": "GD12345-20260101-00000000", "secret": "guess"})
    text = html(wrong_secret, 404)
    assert "工单编号或查询密码不正确" in text
    assert html(no_ticket, 404) == text.replace(created["ticket_no"], "GD12345-20260101-00000000")
    # The rating code is not the access secret; an empty or garbled form is refused the same way.
    rating_code = await post_form(
        api, "/t", {"ticket_no": created["ticket_no"], "secret": created["rating_code"]}
    )
    assert "工单编号或查询密码不正确" in html(rating_code, 404)
    assert "工单编号或查询密码不正确" in html(await post_form(api, "/t", {}), 404)
    garbled = await api.http.post("/t", content=b"\xff" * 10_000, headers=FORM)
    assert "工单编号或查询密码不正确" in html(garbled, 404)


async def test_the_stylesheet_is_served_by_the_app(api: Api) -> None:
    css = await api.http.get("/t/static/requester.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text and "http" not in css.text  # no font or sheet from elsewhere


async def test_a_round_one_link_does_not_rate_the_redo(api: Api) -> None:
    """A24: after a redo the second rating is final and has its own link; the first round's link is over."""
    t = await ticket_in(api, "rating")
    first = await rating_link(api, t, 1)
    rated = await post_form(api, f"{first}/rating", {"acceptance": "satisfied", "handling": "dissatisfied"})
    assert rated.status_code == 303
    await api.act(t.no, "callbacks", {"channel": "phone", "reached": True, "wants_redo": True})
    await api.act(t.no, "redo", {"approve": True, "reason": "问题未彻底解决"})
    await api.act(t.no, "contacts", {"channel": "phone", "purpose": "result", "reached": True}, as_="urban")
    await api.act(
        t.no, "closure", closure_body(["修复解放路路灯", "说明维修时限"], await api.now()), as_="urban"
    )
    await api.act(t.no, "closure/review", {"approve": True})

    assert "您已评价" in await page(api, first, 410)
    async with api.session_maker.begin() as session:
        unspent_round_one = await issue_rating_link(session, t.no, 1, now=await api.now())
    assert "链接已失效" in await page(api, unspent_round_one, 410)
    refused = await post_form(api, f"{unspent_round_one}/rating", SATISFIED)
    assert "链接已失效" in html(refused, 410)

    second = await rating_link(api, t, 2)
    assert "满意度评价" in await page(api, second)
    assert (await post_form(api, f"{second}/rating", SATISFIED)).status_code == 303
    assert [e["data"]["round"] for e in await rated_events(api, t.no)] == [1, 2]


async def test_the_rating_address_opened_from_history_leads_to_the_page(api: Api) -> None:
    t = await ticket_in(api, "rating")
    link = await rating_link(api, t)
    opened = await api.http.get(f"{link}/rating")
    assert (opened.status_code, opened.headers["location"]) == (303, link)


async def test_temporal_down_is_a_page_that_says_so(
    session_maker: async_sessionmaker[AsyncSession], api: Api
) -> None:
    settings = api_settings("unused", temporal_address="127.0.0.1:1", temporal_rpc_timeout_seconds=1.0)
    app = create_app(settings, session_maker=session_maker)
    created = await api.register()
    async with (
        LifespanManager(app, startup_timeout=10),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hotline.test") as http,
    ):
        down = await http.get(created["progress_page"])
        assert "服务暂时不可用" in html(down, 503) and down.headers["retry-after"]
        rating = await http.post(f"{created['progress_page']}/rating", data=SATISFIED, headers=FORM)
        assert "服务暂时不可用" in html(rating, 503)


async def test_the_hotlines_own_answer_and_a_refusal_read_in_its_name(api: Api) -> None:
    """A12: a consultation answered at once is the hotline's answer; A13: a refusal says why and on what."""
    answered = await api.register(category="consultation", dispatch_to=None)
    await api.act(answered["ticket_no"], "answer", {"answer": "路灯报修请拨打 12319"})
    text = await page(api, answered["progress_page"])
    assert "热线已直接答复" in text and "路灯报修请拨打 12319" in text
    assert "答复单位：<strong>韶关市12345政务服务便民热线</strong>" in text
    assert "满意度评价" in text  # A12: the requester rates the hotline's answer too

    refused = await api.register(dispatch_to=None)
    await api.act(refused["ticket_no"], "not-accept", {"reason": "A10.3", "basis": "该事项已进入信访程序"})
    text = await page(api, refused["progress_page"])
    assert "不予受理" in text and "已进入信访渠道" in text and "该事项已进入信访程序" in text
