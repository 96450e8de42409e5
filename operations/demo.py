"""`make run`'s demo hotline: units in three tiers (A4–A6), a few knowledge points (A28) and credentials.

Tokens are stored only as digests; the demo keeps its own plain copies in data/demo-credentials.json
(mode 0600, never committed) so a second `make run` can print them again.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from db.api_models import KnowledgePointRow, UnitRow
from db.seed import seed_reference_data
from db.session import make_engine, make_session_maker
from operations.credentials import UnitKind, create_unit, issue_credential

# (id, name, tier, kind, parent)
DEMO_UNITS: list[tuple[str, str, int, UnitKind, str | None]] = [
    ("SG-CITY", "韶关市人民政府 (city level)", 1, "other", None),
    ("ZJ-GOV", "浈江区人民政府", 2, "county", "SG-CITY"),
    ("SG-HOUSING", "韶关市住房和城乡建设管理局", 2, "department", "SG-CITY"),
    ("SG-WATER", "韶关市供水有限公司", 2, "utility", "SG-CITY"),
    ("SC-12328", "交通运输服务监督分中心", 2, "sub_centre", "SG-CITY"),
    ("ZJ-FENGCAI", "浈江区风采街道办事处", 3, "town", "ZJ-GOV"),
    ("ZJ-DONGHE", "浈江区东河街道办事处", 3, "town", "ZJ-GOV"),
]

DEMO_KNOWLEDGE = [
    (
        "KP-WATER-OUTAGE",
        "SG-WATER",
        "Planned water outages",
        "Outages are announced 24 hours ahead on the app.",
    ),
    (
        "KP-HOUSING-FUND",
        "SG-HOUSING",
        "Housing fund withdrawal",
        "Withdrawals are handled at any service hall.",
    ),
    ("KP-ZJ-HOURS", "ZJ-GOV", "District service hall hours", "Mon–Fri 08:30–12:00, 14:30–17:30."),
]


async def seed_demo(database_url: str, data_dir: Path) -> list[str]:
    """Idempotent: seeds once, then only reads back the saved demo credentials."""
    engine = make_engine(database_url)
    maker = make_session_maker(engine)
    store = data_dir / "demo-credentials.json"
    try:
        await seed_reference_data(maker)
        async with maker() as session:
            has_units = (await session.scalar(select(func.count()).select_from(UnitRow))) or 0
        if not has_units:
            now = datetime.now(UTC)
            for unit_id, name, tier, kind, parent in DEMO_UNITS:
                await create_unit(maker, unit_id=unit_id, name=name, tier=tier, kind=kind, parent_id=parent)
            async with maker.begin() as session:
                for kp_id, unit_id, title, body in DEMO_KNOWLEDGE:
                    session.add(
                        KnowledgePointRow(id=kp_id, unit_id=unit_id, title=title, body=body, uploaded_at=now)
                    )
            issued = {
                "operator (confidential clearance)": await issue_credential(
                    maker, role="operator", name="Hotline operator", confidential_clearance=True
                ),
                "integrator (110/119/120/122 linkage)": await issue_credential(
                    maker, role="integrator", name="Emergency linkage gateway"
                ),
            }
            for unit_id, *_ in DEMO_UNITS[1:]:
                issued[f"unit staff of {unit_id}"] = await issue_credential(
                    maker, role="unit_staff", name=f"clerk of {unit_id}", unit_id=unit_id
                )
            store.write_text(
                json.dumps({k: v.token for k, v in issued.items()}, ensure_ascii=False, indent=1)
            )
            os.chmod(store, 0o600)
    finally:
        await engine.dispose()
    if not store.exists():
        return ["(units existed before; issue credentials with `python -m operations issue-credential ...`)"]
    return [f"{who:40s} {token}" for who, token in json.loads(store.read_text()).items()]
