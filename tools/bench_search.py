#!/usr/bin/env python3
"""Search speed on 100,000 synthetic essays built from the sentences of the corpus's gold texts.

Builds output/bench-search.db (pages + essays through the store's schema, the index through
`search.sync`, as an import would), then times `search.search` (limit 20, best first) for Chinese
queries of 2 to 7 characters, English words and phrases, common and rare, and the datasette
table page's JSON (with its facets) for a few of them.

Prints one JSON line: {"essays": 100000, "median_ms": ..., "p95_ms": ..., "db_mb": ..., ...}.
    python tools/bench_search.py [N_ESSAYS] [--keep]   (--keep leaves output/bench-search.db in place)
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import store  # noqa: E402
from pipeline.serve import launcher as serve  # noqa: E402
from pipeline.store import search_index as search  # noqa: E402

QUERIES = [
    "党员", "先锋模范", "乡村振兴", "工作总结", "心得体会", "教学反思", "红楼梦", "青春", "述职", "人居环境",
    "批评和自我批评", "立足本职", "防控", "学生", "我们", "工作", "发展", "老师", "疫情防控", "产业兴旺",
    "garden", "reading", "the", "community garden", "council", "新学期新起点", "不存在的词语",
]
SITES = ["www.16system.cn", "www.haowen56.com", "www.yanjianggao.org", "www.dushuwang.net", "news.example.org"]
CATEGORIES = ["演讲稿", "心得体会", "工作总结", "教学反思", "调研报告", "读后感", "English"]


def sentences() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "fixtures").rglob("*.gold.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for essay in data.get("essays", []):
            out.extend(s.strip() for s in re.split(r"(?<=[。！？!?.])\s*", essay["text"]) if len(s.strip()) >= 6)
    return out


def build(path: Path, n: int) -> float:
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    pool = sentences()
    rng = random.Random(42)
    started = time.perf_counter()
    db = store.open_db(path)
    conn = db.conn
    per_page = 4
    with conn:
        for p in range(0, n, per_page):
            url = f"https://bench.example/{p // per_page}.html"
            site = SITES[p % len(SITES)]
            category = CATEGORIES[(p // 7) % len(CATEGORIES)]
            published = f"{2015 + p % 10}-{1 + p % 12:02d}-{1 + p % 28:02d}"
            conn.execute("insert into pages (url, site, title, category, published, essay_count, run_id) values (?, ?, ?, ?, ?, ?, 0)",
                         [url, site, f"范文 {p}", category, published, per_page])
            rows = []
            for i in range(min(per_page, n - p)):
                text = "".join(rng.sample(pool, rng.randint(6, 16)))
                title = rng.choice(pool)[:20]
                rows.append([f"{p + i:016x}", url, i + 1, title, text, len(text), f"{p + i:040x}", site, category, published])
            conn.executemany("insert into essays (id, page_url, position, title, text, chars, text_sha1, site, category, published) "
                             "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        search.sync(db)  # what store.save_result does after each page
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    return time.perf_counter() - started


def time_search(path: Path, rounds: int = 5) -> dict[str, Any]:
    db = store.open_db(path)
    per_query: dict[str, float] = {}
    hits: dict[str, int] = {}
    samples: list[float] = []
    for query in QUERIES:
        search.search(db, query, limit=20)  # warm the page cache once
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            found = search.search(db, query, limit=20)
            times.append((time.perf_counter() - started) * 1000)
        samples.extend(times)
        per_query[query] = round(statistics.median(times), 2)
        hits[query] = db.execute("select count(*) from essays_fts where essays_fts match ?", [search.to_match(query)]).fetchone()[0]
        assert len(found) == min(20, hits[query]), query
    db.conn.close()
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
        "slowest_queries_ms": dict(sorted(per_query.items(), key=lambda kv: -kv[1])[:5]),
        "matches": {q: hits[q] for q in ("党员", "先锋模范", "工作", "the", "不存在的词语")},
    }


def time_datasette(path: Path, queries: list[str], rounds: int = 3) -> float:
    ds = serve.make_datasette(path)

    async def run() -> list[float]:
        times = []
        for query in queries:
            url = f"/{path.stem}/essays.json?_search={urllib.parse.quote(query)}&_size=20"
            assert (await ds.client.get(url)).status_code == 200
            for _ in range(rounds):
                started = time.perf_counter()
                response = await ds.client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        return times

    return round(statistics.median(asyncio.run(run())), 1)


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    n = int(numbers[0]) if numbers else 100_000
    path = ROOT / "output" / "bench-search.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    build_s = build(path, n)
    result: dict[str, Any] = {"essays": n, "build_s": round(build_s, 1)}
    result.update(time_search(path))
    result["datasette_table_json_median_ms"] = time_datasette(path, ["党员", "先锋模范", "乡村振兴", "garden"])
    result["db_mb"] = round(path.stat().st_size / 1e6, 1)
    conn = store.open_db(path).conn
    page_size = conn.execute("pragma page_size").fetchone()[0]
    try:
        fts_pages = conn.execute("select count(*) from dbstat where name like 'essays_fts%'").fetchone()[0]
        result["index_mb"] = round(fts_pages * page_size / 1e6, 1)
    except Exception:  # noqa: BLE001 - dbstat is an optional SQLite feature
        pass
    result["target_median_ms"] = 50
    conn.close()
    if "--keep" not in sys.argv:  # 400 MB: kept only on request, for a look in `pipeline serve`
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
