"""KB search: p95 of a knowledge-base search over 20,000 points on PostgreSQL (goal < 50 ms), beside a bare
indexed SELECT of the same postings in the same run. Not part of the test suite.

The points are composed from the quality set's 36 points (tests/db/data/kb_questions.json): each takes a
base point's title and text, a place of 韶关 and sentences of two other points, so the postings per term
grow with the base (a base word is in thousands of points: denser than a real base). The questions are the
set's 113, asked `--rounds` times each, in a shuffled order. A search is what `GET /knowledge-points?q=`
runs: the synonym groups read, the question segmented, the postings of its terms read (rarest first,
within its budget), BM25F ranked in Python (api/kb/index.py `search`). The baseline reads the postings the
search read with one indexed SELECT and ranks nothing: what reading the rows costs alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

import db.api_models  # noqa: F401 - the API's tables are on the same Base
from api.chinese import dictionary
from api.kb import index as kb_index
from api.kb.analyzer import ANALYZER_VERSION, index_text
from api.kb.index import search
from api.kb.question import concepts_of
from bench.common import percentile, progress, report
from db.api_models import KnowledgeTermRow
from db.models import Base
from db.seed import seed_reference_data
from db.session import make_engine, make_session_maker
from operations.credentials import create_unit

SET = Path(__file__).resolve().parents[1] / "tests" / "db" / "data" / "kb_questions.json"
PLACES = [
    "浈江区",
    "武江区",
    "曲江区",
    "乐昌市",
    "南雄市",
    "仁化县",
    "始兴县",
    "翁源县",
    "新丰县",
    "乳源瑶族自治县",
    "西联镇",
    "龙归镇",
    "江湾镇",
    "重阳镇",
    "西河镇",
    "新华街道",
    "东河街道",
    "风采街道",
    "马坝镇",
    "坪石镇",
]
GOAL_P95_MS = 50.0
TODAY = date(2026, 12, 2)


def compose(points: list[dict[str, str]], n: int, rng: random.Random) -> list[dict[str, str]]:
    sentences = [s for p in points for s in p["body"].split("。") if s]
    out = []
    for i in range(n):
        base = points[i % len(points)]
        place = PLACES[(i // len(points)) % len(PLACES)]
        extra = "。".join(rng.sample(sentences, 2))
        out.append(
            {
                "id": f"kp-b{i:05d}",
                "unit_id": base["unit_id"],
                "title": f"{place}{base['title']}",
                "body": f"{place}：{base['body']}{extra}。",
            }
        )
    return out


async def load(engine: AsyncEngine, data: dict, n: int, rng: random.Random) -> int:
    maker = make_session_maker(engine)
    await seed_reference_data(maker)
    for unit in data["units"]:
        await create_unit(maker, unit_id=unit["id"], name=unit["name"], tier=2, kind="department")
    points = compose(data["points"], n, rng)
    now = datetime.now(UTC)
    point_rows, term_rows = [], []
    for p in points:
        indexed = index_text(p["title"], p["body"])
        point_rows.append(
            (
                p["id"],
                p["unit_id"],
                p["title"],
                p["body"],
                now,
                "duty",
                1,
                ANALYZER_VERSION,
                indexed.title_terms,
                indexed.body_terms,
                indexed.gram_terms,
            )
        )
        lengths = {"t": indexed.title_terms, "b": indexed.body_terms, "g": indexed.gram_terms}
        term_rows.extend(
            (term, p["id"], field, tf, lengths[field]) for (term, field), tf in indexed.frequencies.items()
        )
    async with engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        columns = (
            "id",
            "unit_id",
            "title",
            "body",
            "uploaded_at",
            "kind",
            "version",
            "indexed_by",
            "title_terms",
            "body_terms",
            "gram_terms",
        )
        await raw.copy_records_to_table("knowledge_points", records=point_rows, columns=columns)
        await raw.copy_records_to_table(
            "knowledge_terms", records=term_rows, columns=("term", "point_id", "field", "tf", "length")
        )
    # As autovacuum would leave them: the visibility map set, so counting postings is an index-only scan.
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    return len(term_rows)


async def run(args: argparse.Namespace) -> None:
    data = json.loads(SET.read_text(encoding="utf-8"))
    rng = random.Random(args.seed)
    if args.budget:
        kb_index.POSTINGS_BUDGET = args.budget
    schema = args.reuse or f"kb_bench_{int(time.time())}"
    admin = make_engine(args.url)
    if not args.reuse:
        async with admin.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(args.url, connect_args={"server_settings": {"search_path": schema}})
    try:
        progress("loading the dictionary")
        dictionary()
        started = time.perf_counter()
        if args.reuse:
            async with engine.connect() as conn:
                postings = int(
                    (await conn.execute(text("SELECT count(*) FROM knowledge_terms"))).scalar_one()
                )
                args.points = int(
                    (await conn.execute(text("SELECT count(*) FROM knowledge_points"))).scalar_one()
                )
        else:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
            progress(f"composing and indexing {args.points:,} points")
            postings = await load(engine, data, args.points, rng)
        loaded_in = time.perf_counter() - started
        maker = make_session_maker(engine)
        base_of = {p["id"]: i for i, p in enumerate(data["points"])}
        intended = {q["question"]: base_of[q["point"]] for q in data["questions"]}
        questions = [q["question"] for q in data["questions"]] * args.rounds
        rng.shuffle(questions)
        searched, cpu, bare, rows, hits = [], [], [], [], 0
        progress(f"{len(questions)} searches")
        async with maker() as session:
            for question in questions[: len(data["questions"])]:  # warm the caches and the pool
                await search(session, question, TODAY)
            for question in questions:
                t0, c0 = time.perf_counter(), time.process_time()
                found = await search(session, question, TODAY)
                searched.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                # A composed point i copies base point i % 36: a copy of the intended one in the top 3.
                top3 = [int(point_id[4:]) % len(data["points"]) for point_id, _ in found.ranked[:3]]
                hits += intended[question] in top3
                terms = found.terms_read
                t0 = time.perf_counter()
                read = (
                    await session.execute(
                        select(
                            KnowledgeTermRow.term,
                            KnowledgeTermRow.point_id,
                            KnowledgeTermRow.field,
                            KnowledgeTermRow.tf,
                            KnowledgeTermRow.length,
                        ).where(KnowledgeTermRow.term.in_(terms))
                    )
                ).all()
                bare.append((time.perf_counter() - t0) * 1000)
                rows.append(len(read))
            # Segmenting alone, for the split of the time.
            matcher_started = time.perf_counter()
            from api.kb.index import synonyms

            matcher = await synonyms(session)
            for question in questions:
                concepts_of(question, matcher)
            segmenting = (time.perf_counter() - matcher_started) * 1000 / len(questions)
    finally:
        await engine.dispose()
        if not args.keep and not args.reuse:
            async with admin.begin() as conn:
                await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()

    p95, bare_p95 = percentile(searched, 95), percentile(bare, 95)
    report(
        "KB search over PostgreSQL",
        [
            ("postings budget", f"{kb_index.POSTINGS_BUDGET:,}"),
            (
                "points / postings",
                f"{args.points:,} / {postings:,} (loaded and indexed in {loaded_in:.0f} s)",
            ),
            ("searches", f"{len(searched)} ({len(data['questions'])} questions x {args.rounds})"),
            ("a copy of the intended point in the top 3", f"{hits / len(searched):.1%}"),
            (
                "postings read per search",
                f"p50 {percentile(rows, 50):,.0f}, p95 {percentile(rows, 95):,.0f}, max {max(rows):,}",
            ),
            (
                "search p50 / p95 / p99",
                f"{percentile(searched, 50):.1f} / {p95:.1f} / {percentile(searched, 99):.1f} ms",
            ),
            (
                "bare SELECT p50 / p95 / p99",
                f"{percentile(bare, 50):.1f} / {bare_p95:.1f} / {percentile(bare, 99):.1f} ms",
            ),
            (
                "search CPU in this process p50 / p95",
                f"{percentile(cpu, 50):.1f} / {percentile(cpu, 95):.1f} ms",
            ),
            ("segmenting + synonyms (mean)", f"{segmenting:.2f} ms"),
            ("load average at the end", " ".join(f"{x:.1f}" for x in os.getloadavg())),
            ("ratio p95", f"{p95 / bare_p95:.2f}x the bare SELECT"),
            ("mean", f"{statistics.mean(searched):.1f} ms"),
            ("goal", f"p95 < {GOAL_P95_MS:g} ms: {'met' if p95 < GOAL_P95_MS else 'NOT met'}"),
        ],
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.kb_search", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--budget", type=int, help="postings a search reads at most (api/kb/index.py)")
    parser.add_argument("--keep", action="store_true", help="keep the schema (its name is printed)")
    parser.add_argument(
        "--reuse", metavar="SCHEMA", help="search a schema a --keep run left, loading nothing"
    )
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
