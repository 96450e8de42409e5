"""B7: A10.6 repeat candidates while the caller is on the line — what one lookup costs over a read model of N
tickets (no Temporal: the candidates come from SQL, api/repeats.py).

    .venv/bin/python -m bench.b7_repeats [--n 20000 --queries 300 --database-url postgresql+asyncpg://…]

N tickets over 400 places (40 roads × 10 house numbers) and 30 matters, written three ways each, a fifth
of them open and the rest concluded within the window, 2,000 requesters; then `--queries` lookups of a
random matter at a random place by a random requester. Prints p50/p95/max of the lookup and how many rows
the SQL handed to the scoring. Default database: a SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert

from api.auth import Caller, Role
from api.repeat_words import repeat_words
from api.repeats import Asked, _pool, repeat_candidates
from config import Settings
from db.models import TicketRow
from db.seed import seed_reference_data
from db.session import create_schema, make_engine, make_session_maker

ROADS = (
    [
        f"{name}路"
        for name in [
            "新华",
            "解放",
            "风度",
            "工业",
            "沿江",
            "惠民",
            "东堤",
            "和平",
            "府前",
            "南华",
            "芙蓉",
            "五里亭",
            "十里亭",
            "西河",
            "沙洲",
        ]
    ]
    + [
        f"{name}村"
        for name in [
            "冲下",
            "长江",
            "甘棠",
            "大村",
            "龙归",
            "江湾",
            "樟市",
            "白土",
            "重阳",
            "桂头",
            "大塘",
            "马坝",
            "乌石",
            "花坪",
            "罗坑",
        ]
    ]
    + [
        f"{name}小区"
        for name in [
            "碧水花城",
            "锦绣华庭",
            "金碧花园",
            "丽景花园",
            "东河新村",
            "锦江花园",
            "芙蓉新城",
            "美居",
            "百旺",
            "翠湖",
        ]
    ]
)
MATTERS = [
    ("路灯坏了好几天了，晚上黑乎乎的", "路灯一直不亮", "照明设施坏了没人修"),
    ("停水一天多了，做饭都没水", "不来水了", "自来水停了很久"),
    ("晚上施工噪音很大睡不着", "工地半夜打桩太吵", "夜间施工扰民"),
    ("井盖丢了一个大洞", "下水道盖没了很危险", "窨井盖不见了"),
    ("垃圾堆了好几天没人清", "垃圾没人拉走发臭", "垃圾桶满了臭气熏天"),
    ("电梯坏了老人上不去", "直梯停了好几天", "电梯一直没修好"),
    ("路面坑坑洼洼摩托车摔了", "烂路到处是大坑", "路面破损严重"),
    ("烧烤油烟熏得不敢开窗", "楼下饭店油烟很大", "油烟味直往楼上窜"),
    ("燃气味很重怕漏气", "闻到煤气味道", "管道好像漏气了"),
    ("老板拖欠工资三个月", "工资一直不发", "欠薪找不到老板"),
] + [(f"第{i}类事项说法一", f"第{i}类事项说法二", f"第{i}类事项说法三") for i in range(20)]


def _row(i: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    road, number = rng.choice(ROADS), rng.randint(1, 10)
    concluded = rng.random() > 0.2
    registered = now - timedelta(days=rng.uniform(0, 85), hours=rng.uniform(0, 23))
    return {
        "ticket_no": f"GD12345-BENCH-{i:08d}",
        "category": "complaint",
        "channel": "phone",
        "emergency": False,
        "stage": "concluded" if concluded else "handling",
        "outcome": "closed" if concluded else None,
        "lead_unit": "WJ",
        "co_units": [],
        "forwarded_to": None,
        "card": "green",
        "provisional": False,
        "rule_set_key": "city@1",
        "requester_name": "张三",
        "requester_phone": f"139{rng.randint(0, 1999):08d}",
        "requester_confidential": False,
        "content": f"{road}{number}号{rng.choice(rng.choice(MATTERS))}",
        "location": f"武江区{road}{number}号",
        "domain": "",
        "registered_at": registered,
        "concluded_at": registered + timedelta(days=3) if concluded else None,
        "revision": 1,
        "state": {},
        "updated_at": now,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    rng, now = random.Random(12345), datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        await create_schema(engine)
        sessions = make_session_maker(engine)
        table = cast(Table, TicketRow.__table__)
        async with sessions.begin() as session:
            await session.execute(table.delete().where(table.c.ticket_no.like("GD12345-BENCH-%")))
            for start in range(0, args.n, 2000):
                rows = [_row(i, now, rng) for i in range(start, min(args.n, start + 2000))]
                await session.execute(insert(table), rows)
        settings = Settings(environment="test")
        caller = Caller(
            credential_id=0, role=Role.OPERATOR, name="bench", unit_id=None, confidential_clearance=False
        )
        await seed_reference_data(sessions)  # the seeded synonym groups the check reads (A12)
        async with sessions() as session:
            await repeat_words(session)  # loaded once per process, as in the API
        took, pooled, likely = [], [], 0
        for _ in range(args.queries):
            road, number = rng.choice(ROADS), rng.randint(1, 10)
            asked = Asked(
                content=f"{rng.choice(rng.choice(MATTERS))}，在{road}{number}号",
                location=f"韶关市武江区{road}{number}号",
                phone=f"139{rng.randint(0, 1999):08d}",
            )
            async with sessions() as session:
                started = time.perf_counter()
                found = await repeat_candidates(session, caller, asked, settings, now)
                took.append((time.perf_counter() - started) * 1000)
                pooled.append(len((await _pool(session, caller, asked, settings, now))[0]))
            likely += sum(c.likely_repeat for c in found)
        await engine.dispose()
    took.sort()
    print(f"B7 repeat candidates on {engine.dialect.name}, {args.n} tickets, {args.queries} lookups:")
    print(
        f"  lookup p50 {statistics.median(took):.1f} ms, p95 {took[int(len(took) * 0.95) - 1]:.1f} ms, "
        f"max {took[-1]:.1f} ms; rows scored per lookup: median {statistics.median(pooled):.0f}, "
        f"max {max(pooled)}; likely repeats offered per lookup {likely / args.queries:.1f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
