"""Issue 3, must-show 3 (A32, A6): who sees a ticket, who sees the requester, and the audit of it.

Units (support.UNITS): WJ (tier 1) > WJ-URBAN, WJ-POWER (tier 2); WJ-URBAN > WJ-URBAN-XH (tier 3);
ZJ-HOUSING is unrelated. The tests marked `on_each_database` (lists, queues, masking, audit) run on SQLite and
on PostgreSQL (tests/support.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.api_models import IdentityReadRow
from tests.api.support import RETURN, Api, registration_body
from tests.support import on_each_database

UNMASKED = {
    "name": "李华",
    "phone": "13800000000",
    "organisation": "",
    "confidential": False,
    "masked": False,
}
MASKED = {"name": "李*", "phone": "138****00", "organisation": "", "confidential": False, "masked": True}


async def identity_reads(api: Api, ticket_no: str) -> list[tuple[int, str]]:
    async with api.session_maker() as session:
        rows = await session.scalars(
            select(IdentityReadRow).where(IdentityReadRow.ticket_no == ticket_no).order_by(IdentityReadRow.id)
        )
        return [(r.credential_id, r.purpose) for r in rows]


def listed(page: dict[str, Any], ticket_no: str) -> dict[str, Any] | None:
    return next((t for t in page["items"] if t["ticket_no"] == ticket_no), None)


@on_each_database
async def test_the_handling_unit_sees_the_requester_a_co_unit_sees_it_masked(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))["ticket_no"]
    before = await identity_reads(api, no)  # the operator's polling reads while it opened

    lead = await api.ticket(no, as_="urban")
    assert (lead["relation"], lead["requester"]) == ("handler", UNMASKED)
    co = await api.ticket(no, as_="power")
    assert (co["relation"], co["requester"]) == ("co_unit", MASKED)

    # A32 audit: the lead's read is logged, the co-unit's masked read is not.
    assert (await identity_reads(api, no))[len(before) :] == [(api.credential_ids["urban"], "read")]
    # An action's answer shows the ticket too: logged with its purpose.
    await api.act(no, "sign-for", as_="urban")
    assert (await identity_reads(api, no))[-1] == (api.credential_ids["urban"], "action:sign_for")


@on_each_database
async def test_lists_always_mask_the_requester(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"]))["ticket_no"]
    revision = (await api.ticket(no))["revision"]

    for caller, params in (("operator", {}), ("urban", {"role": "lead"}), ("power", {"role": "co"})):
        line = await api.listed(no, revision, as_=caller, **params)
        assert line["requester"] == {k: MASKED[k] for k in MASKED}, caller
    # A co-unit's ticket is not among its `lead` tickets, nor the lead's among its `co` ones.
    assert listed((await api.get("/tickets", as_="power", params={"role": "lead"})).json(), no) is None
    assert listed((await api.get("/tickets", as_="urban", params={"role": "co"})).json(), no) is None


@on_each_database
async def test_a_unit_sees_its_own_its_sub_units_and_nothing_else(api: Api) -> None:
    no = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    revision = (await api.ticket(no))["revision"]

    # A6: the county above the lead sees it, masked; an unrelated unit and a sub-unit not yet involved do not.
    county = await api.ticket(no, as_="county")
    assert (county["relation"], county["requester"]["masked"]) == ("ancestor", True)
    assert (await api.listed(no, revision, as_="county"))["ticket_no"] == no
    for outsider in ("zhenjiang", "xinhua"):
        response = await api.get(f"/tickets/{no}", as_=outsider)
        assert (response.status_code, response.json()["code"]) == (404, "TICKET_NOT_FOUND"), outsider
        assert listed((await api.get("/tickets", as_=outsider)).json(), no) is None
        # Acting is as impossible as reading, and just as silent.
        assert (await api.post(f"/tickets/{no}/sign-for", as_=outsider)).status_code == 404

    # A6: the lead forwards to its own sub-unit, which then sees and handles the ticket.
    sideways = await api.post(f"/tickets/{no}/forward", {"sub_unit": "WJ-POWER"}, as_="urban")
    assert (sideways.status_code, sideways.json()["code"], sideways.json()["rule"]) == (
        422,
        "NOT_A_SUBUNIT",
        "A6",
    )
    forwarded = await api.act(no, "forward", {"sub_unit": "WJ-URBAN-XH"}, as_="urban")
    assert forwarded["forwarded_to"] == "WJ-URBAN-XH"
    town = await api.ticket(no, as_="xinhua")
    assert (town["relation"], town["requester"]) == ("handler", UNMASKED)
    assert (await api.listed(no, forwarded["revision"], as_="xinhua", role="lead"))[
        "forwarded_to"
    ] == "WJ-URBAN-XH"
    assert (await api.act(no, "sign-for", as_="xinhua"))["stage"] == "handling"


async def test_a_confidential_request_goes_only_to_a_unit_with_cleared_staff(api: Api) -> None:
    """A32: a confidential request is handled by designated staff. WJ-POWER has none: a registration, a
    dispatch or a forward sending it there is 409 NO_CLEARED_STAFF (the unit could not even see it, and its
    limits would run to red); WJ-URBAN has one, so it may lead it."""
    secret = {"name": "张三", "phone": "13911112222", "confidential": True}
    refused = await api.post(
        "/tickets", registration_body(dispatch_to="WJ-POWER", co_units=[], requester=secret)
    )
    assert (refused.status_code, refused.json()["code"], refused.json()["rule"]) == (
        409,
        "NO_CLEARED_STAFF",
        "A32",
    )
    no = (await api.register(dispatch_to=None, co_units=[], requester=secret))["ticket_no"]
    await api.listed(no, (await api.ticket(no))["revision"])
    dispatch = await api.post(f"/tickets/{no}/dispatch", {"lead_unit": "WJ-POWER"})
    assert (dispatch.status_code, dispatch.json()["code"]) == (409, "NO_CLEARED_STAFF")
    t = await api.act(no, "dispatch", {"lead_unit": "WJ-URBAN"})
    assert t["lead_unit"] == "WJ-URBAN"
    await api.listed(no, t["revision"])
    forward = await api.post(f"/tickets/{no}/forward", {"sub_unit": "WJ-URBAN-XH"}, as_="urban_cleared")
    assert (forward.status_code, forward.json()["code"]) == (409, "NO_CLEARED_STAFF")
    # Approving a return without naming the unit sends it to the unit suggested: WJ-POWER, uncleared.
    returned = await api.act(no, "returns", RETURN, as_="urban_cleared")
    await api.listed(no, returned["revision"])
    approve = await api.post(f"/tickets/{no}/returns/R1/review", {"approve": True})
    assert (approve.status_code, approve.json()["code"]) == (409, "NO_CLEARED_STAFF")
    assert (await api.ticket(no))["lead_unit"] == "WJ-URBAN"
    # Nor may a coordination designate WJ-POWER (the return is superseded by the dispute, A14.5).
    dispute = {"kind": "several_units", "units": ["WJ-URBAN", "WJ-POWER"], "reason": "边界不清"}
    assert (await api.act(no, "disputes", dispute))["stage"] == "coordinating"
    designate = await api.post(f"/coordinations/{no}/1/designate", {"lead_unit": "WJ-POWER"})
    assert (designate.status_code, designate.json()["code"], designate.json()["rule"]) == (
        409,
        "NO_CLEARED_STAFF",
        "A32",
    )


@on_each_database
async def test_a_confidential_requester_is_seen_only_by_cleared_staff(api: Api) -> None:
    created = await api.register(
        dispatch_to="WJ-URBAN", requester={"name": "张三", "phone": "13911112222", "confidential": True}
    )
    no = created["ticket_no"]
    revision = (await api.ticket(no))["revision"]

    for uncleared in ("operator_uncleared", "urban", "county"):
        assert (await api.get(f"/tickets/{no}", as_=uncleared)).status_code == 404, uncleared
        assert listed((await api.get("/tickets", as_=uncleared, params={"limit": 200})).json(), no) is None
    assert (await api.post(f"/tickets/{no}/sign-for", as_="urban")).status_code == 404

    # Registering one is allowed; seeing it afterwards, even in the registration's answer, is not.
    blind = await api.post(
        "/tickets",
        registration_body(requester={"name": "赵六", "confidential": True}),
        as_="operator_uncleared",
    )
    assert blind.status_code == 201 and blind.json()["ticket"] is None

    cleared = await api.ticket(no, as_="urban_cleared")
    assert cleared["requester"] == {
        "name": "张三",
        "phone": "13911112222",
        "organisation": "",
        "confidential": True,
        "masked": False,
    }
    assert (await identity_reads(api, no))[-1] == (api.credential_ids["urban_cleared"], "read")
    line = await api.listed(no, revision, as_="operator")  # cleared, but a list still masks
    assert (line["requester"]["name"], line["requester"]["phone"]) == ("张*", "139****22")


@on_each_database
async def test_the_requester_sees_progress_but_no_identity_or_unit_internals(api: Api) -> None:
    created = await api.register(dispatch_to="WJ-URBAN", co_units=["WJ-POWER"])
    no = created["ticket_no"]

    response = await api.get(
        f"/public/tickets/{no}", as_=None, headers={"X-Access-Secret": created["access_secret"]}
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "dispatched" and response.json()["answer_due_at"]
    for internal in ("13800000000", "李华", "WJ-URBAN", "WJ-POWER", "cred-"):
        assert internal not in response.text, internal
    # A19: the milestones of its handling, the units unnamed.
    await api.act(no, "sign-for", as_="urban")
    progress = (
        await api.get(
            f"/public/tickets/{no}", as_=None, headers={"X-Access-Secret": created["access_secret"]}
        )
    ).json()["progress"]
    assert [p["kind"] for p in progress] == ["registered", "dispatched", "signed_for"]
    # A wrong secret, the rating code, or another ticket's secret: all alike "no such ticket" (A19).
    other = await api.register(dispatch_to="WJ-URBAN")
    for secret, ticket in (
        (created["access_secret"] + "x", no),
        (created["rating_code"], no),
        (other["access_secret"], no),
        (created["access_secret"], "GD12345-20260101-00000000"),
    ):
        wrong = await api.get(f"/public/tickets/{ticket}", as_=None, headers={"X-Access-Secret": secret})
        assert (wrong.status_code, wrong.json()["code"]) == (404, "TICKET_NOT_FOUND")


async def test_an_integrator_lists_the_tickets_it_registered(api: Api) -> None:
    """A 110/120 linkage system or a platform follows its own registrations: `GET /tickets` lists what it
    registered, masked, and nothing else; a unit narrows its queue to one unit of its tree, not another's."""
    mine = (await api.register(as_="integrator", dispatch_to=None, co_units=[]))["ticket_no"]
    theirs = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]
    revision = (await api.ticket(mine))["revision"]
    await api.listed(mine, revision)
    await api.listed(theirs, (await api.ticket(theirs))["revision"])
    listed = await api.get("/tickets", as_="integrator", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    numbers = {t["ticket_no"] for t in listed.json()["items"]}
    assert mine in numbers and theirs not in numbers
    assert all(t["requester"]["masked"] for t in listed.json()["items"])
    # Its own registration is answered from the read model's registrar, without asking the workflow.
    assert (await api.ticket(mine, as_="integrator"))["relation"] == "registrar"

    own = await api.get("/tickets", as_="urban", params={"unit": "WJ-URBAN-XH"})
    assert own.status_code == 200
    other = await api.get("/tickets", as_="urban", params={"unit": "WJ-POWER"})
    assert (other.status_code, other.json()["code"]) == (403, "NOT_YOUR_UNIT")


@on_each_database
async def test_an_integrator_sees_only_what_it_registered_masked(api: Api) -> None:
    mine = (await api.register(as_="integrator", dispatch_to=None, co_units=[]))["ticket_no"]
    theirs = (await api.register(dispatch_to="WJ-URBAN"))["ticket_no"]

    registered = await api.post(
        "/tickets",
        {"channel": "app", "category": "help", "content": "求助", "requester": {"name": "王芳"}},
        as_="integrator",
    )
    assert registered.json()["ticket"]["requester"] == {
        "name": "王*",
        "phone": "",
        "organisation": "",
        "confidential": False,
        "masked": True,
    }
    view = await api.ticket(mine, as_="integrator")
    assert (view["relation"], view["requester"]["masked"]) == ("registrar", True)
    assert (await api.get(f"/tickets/{theirs}", as_="integrator")).status_code == 404
    # A12: integrators register; the hotline office dispatches.
    dispatching = await api.post(
        "/tickets",
        {"channel": "provincial_platform", "category": "help", "content": "求助", "dispatch_to": "WJ-URBAN"},
        as_="integrator",
    )
    assert (dispatching.status_code, dispatching.json()["rule"]) == (403, "A12")
