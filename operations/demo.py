"""`make run`'s demo hotline, in Shaoguan's own names: units in three tiers (A4–A6), knowledge points (A28)
and credentials. Its tickets are seeded once the worker runs (operations/demo_tickets.py).

The ids are the ones the API's OpenAPI examples name (tests/api/test_openapi_examples.py runs every example
against this demo), so "Try it out" in /docs works on a fresh `make run`.

Tokens are stored only as digests; the demo keeps its own plain copies in data/demo-credentials.json
(mode 0600, never committed) so a second `make run` can print them again.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.api_models import KnowledgePointRow, KnowledgePointVersionRow, UnitRow
from db.catalogue import put_entries
from db.filing_models import FiledPersonChangeRow, FiledPersonRow
from db.seed import seed_reference_data
from db.session import make_engine, make_session_maker
from domain.dispatch_catalogue import Entry
from operations.credentials import UnitKind, create_unit, issue_credential

# (id, name, tier, kind, parent). A4–A6: tier 1 the city, tier 2 the member units the hotline dispatches
# to (a district government, city departments, public utilities, a sub-centre), tier 3 the bureaux and
# towns a district forwards its tickets to.
DEMO_UNITS: list[tuple[str, str, int, UnitKind, str | None]] = [
    ("SG-CITY", "韶关市人民政府", 1, "other", None),
    ("WJ", "韶关市武江区人民政府", 2, "county", "SG-CITY"),
    ("SG-HRSS", "韶关市人力资源和社会保障局", 2, "department", "SG-CITY"),
    ("SG-POWER", "广东电网有限责任公司韶关供电局", 2, "utility", "SG-CITY"),
    ("SG-WATER", "韶关市自来水有限公司", 2, "utility", "SG-CITY"),
    ("SG-12328", "韶关市12328交通运输服务监督电话分中心", 2, "sub_centre", "SG-CITY"),
    ("WJ-URBAN", "武江区城市管理和综合执法局", 3, "department", "WJ"),
    ("WJ-HOUSING", "武江区住房和城乡建设局", 3, "department", "WJ"),
    ("WJ-XILIAN", "武江区西联镇人民政府", 3, "town", "WJ"),
    ("WJ-LONGGUI", "武江区龙归镇人民政府", 3, "town", "WJ"),
]
UNIT_NAMES = {unit_id: name for unit_id, name, *_ in DEMO_UNITS}

# A14 派单目录: the demo's entries over the seeded areas and matter types (domain/catalogue_data.py). The city's
# departments and utilities lead their matters city-wide; 武江区 leads its own urban matters, its bureaux and
# towns assisting; the counties without a unit in the demo have no entry (no suggestion there).
_E = Entry
DEMO_DISPATCH: list[Entry] = [
    _E(matter_code="01", area_id="440200", lead_unit="SG-HRSS", note="社会保障与就业：市人社局"),
    _E(matter_code="050401", area_id="440200", lead_unit="SG-WATER", note="供水：市自来水公司"),
    _E(matter_code="050402", area_id="440200", lead_unit="SG-POWER", note="供电：韶关供电局"),
    _E(matter_code="0601", area_id="440200", lead_unit="SG-12328", note="公共交通：12328分中心"),
    _E(matter_code="05", area_id="440203", lead_unit="WJ", note="武江区的城乡建设与管理"),
    _E(matter_code="0502", area_id="440203", lead_unit="WJ", co_units=["WJ-URBAN"], note="城管执法局协办"),
    _E(matter_code="0503", area_id="440203", lead_unit="WJ", co_units=["WJ-HOUSING"], note="住建局协办"),
    _E(matter_code="050101", area_id="440203", lead_unit="WJ", co_units=["WJ-URBAN", "SG-POWER"]),
    _E(
        matter_code="0501", area_id="440203-xilian", lead_unit="WJ", co_units=["WJ-XILIAN"], note="西联镇协办"
    ),
    _E(
        matter_code="0501",
        area_id="440203-longgui",
        lead_unit="WJ",
        co_units=["WJ-LONGGUI"],
        note="龙归镇协办",
    ),
]

# (id, unit, title, body). `kp-3f9a0c1b2d4e` is the id the API's examples name.
DEMO_KNOWLEDGE = [
    (
        "kp-3f9a0c1b2d4e",
        "SG-HRSS",
        "社保卡补办",
        "携带身份证到任一社保网点办理，当场制卡；也可通过“粤省事”小程序申请邮寄。",
    ),
    (
        "kp-5d21c7a09e3f",
        "SG-WATER",
        "计划停水公告",
        "计划停水提前 24 小时在“韶关自来水”公众号和小区公告栏公布；抢修停水以现场公告为准。",
    ),
    (
        "kp-8a4be61f02c9",
        "WJ",
        "武江区政务服务中心办公时间",
        "周一至周五 上午 8:30–12:00，下午 14:30–17:30（法定节假日除外）。",
    ),
    (
        "kp-b7e0934d1a58",
        "WJ-URBAN",
        "城市道路照明报修",
        "路灯不亮可拨打 12345 或向所在街道反映，城管部门一般在 48 小时内修复。",
    ),
]

OPERATOR = "operator (confidential clearance)"
# A4: 武江区's designated office, for the tickets of 武江区's units only.
COUNTY_OFFICE = "county office of WJ"
# A5/A15: the leader in charge each demo unit has filed; the /docs return example's sign-off names him.
DEMO_SIGNER = ("王强", "副局长")
DEMO_CLERK = ("李敏", "热线工作人员")
INTEGRATOR = "integrator (110/119/120/122 linkage)"


def unit_staff(unit_id: str) -> str:
    """The key of a unit clerk's token in the demo's credentials."""
    return f"unit staff of {unit_id}"


def credentials_file(data_dir: Path) -> Path:
    return data_dir / "demo-credentials.json"


def demo_tokens(data_dir: Path) -> dict[str, str]:
    """The demo's plain tokens by who holds them ({} if the units were there before the demo)."""
    store = credentials_file(data_dir)
    return dict(json.loads(store.read_text())) if store.exists() else {}


async def seed_demo(database_url: str, data_dir: Path) -> list[str]:
    """Idempotent: seeds once, then only reads back the saved demo credentials."""
    engine = make_engine(database_url)
    maker = make_session_maker(engine)
    store = credentials_file(data_dir)
    try:
        await seed_reference_data(maker)
        async with maker() as session:
            has_units = (await session.scalar(select(func.count()).select_from(UnitRow))) or 0
        if not has_units:
            now = datetime.now(UTC)
            for unit_id, name, tier, kind, parent in DEMO_UNITS:
                await create_unit(maker, unit_id=unit_id, name=name, tier=tier, kind=kind, parent_id=parent)
            await put_entries(maker, DEMO_DISPATCH, now)
            async with maker.begin() as session:
                for kp_id, unit_id, title, body in DEMO_KNOWLEDGE:
                    session.add(
                        KnowledgePointRow(id=kp_id, unit_id=unit_id, title=title, body=body, uploaded_at=now)
                    )
                    # A29: its first version; the search indexes it on the first search (api/kb/index.py).
                    session.add(
                        KnowledgePointVersionRow(
                            point_id=kp_id, version=1, title=title, body=body, written_at=now
                        )
                    )
            issued = {
                OPERATOR: await issue_credential(
                    maker, role="operator", name="12345热线话务员", confidential_clearance=True
                ),
                # A23: the 110 line's system, bound to its line (it acknowledges 110's hand-overs only).
                INTEGRATOR: await issue_credential(
                    maker, role="integrator", name="110联动平台接口", line="110"
                ),
            }
            issued[COUNTY_OFFICE] = await issue_credential(
                maker, role="county_office", name="武江区12345热线办", unit_id="WJ"
            )
            for unit_id, name, tier, *_ in DEMO_UNITS:
                if tier == 1:
                    continue
                issued[unit_staff(unit_id)] = await issue_credential(
                    maker, role="unit_staff", name=f"{name}工单员", unit_id=unit_id
                )
            await _file_signers(maker, issued[OPERATOR].id, now)
            store.write_text(
                json.dumps({k: v.token for k, v in issued.items()}, ensure_ascii=False, indent=1)
            )
            os.chmod(store, 0o600)
    finally:
        await engine.dispose()
    if not store.exists():
        return ["(units existed before; issue credentials with `python -m operations issue-credential ...`)"]
    return [credential_line(who, token) for who, token in demo_tokens(data_dir).items()]


async def _file_signers(maker: async_sessionmaker[AsyncSession], by: int, now: datetime) -> None:
    """A5: each demo unit has its leader in charge on file, with the filing in the register's history; and
    WJ-URBAN its hotline clerk first (person 1, whom the /docs withdrawal example names)."""
    people = [("WJ-URBAN", "staff", *DEMO_CLERK)] + [
        (unit_id, "leader_in_charge", *DEMO_SIGNER) for unit_id, *_ in DEMO_UNITS
    ]
    async with maker.begin() as session:
        for unit_id, role, name, title in people:
            row = FiledPersonRow(
                unit_id=unit_id, role=role, name=name, title=title, filed_at=now, filed_by=by
            )
            session.add(row)
            await session.flush()
            person = {"id": row.id, "unit_id": unit_id, "role": row.role, "name": name, "title": title}
            session.add(
                FiledPersonChangeRow(
                    person_id=row.id, unit_id=unit_id, change="filed", at=now, by=by, reason="", person=person
                )
            )


def credential_line(who: str, token: str) -> str:
    """`<who> <unit name> <token>`: the token last, so a script takes the line's last word."""
    unit_id = who.removeprefix(unit_staff(""))
    label = f"{who} {UNIT_NAMES[unit_id]}" if unit_id in UNIT_NAMES else who
    return f"{label:44s} {token}"
