#!/usr/bin/env python3
"""Crawl speed, memory, incremental re-runs and kill -9 resumes on generated local sites.

A 1,000- and a 10,000-article site served by `pipeline.demoserver` in its own process on
127.0.0.1; `pipeline crawl` at delay 0, concurrency 8 (and `--workers`, default 1) in a subprocess:

1. pages a second fetched + processed + stored, and peak RSS, at 1,000 and at 10,000 articles;
2. a second run over the unchanged 10,000 site: requests by kind (server counts) and essays written;
3. 20 kill -9 / resume cycles on a fresh database, then a run to the end: pages lost, essays
   duplicated or missing, compared with the clean crawl of step 1.

Progress on stderr; the last line on stdout is one JSON object (tools/bench.py reads it).

    python tools/bench_crawl.py [--workers N] [--cycles 20]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PIPELINE = str(BIN / "pipeline")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def serve(pages: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.jobs.demo_site", "--generated", str(pages), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def server_stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(base + "/__stats", timeout=10) as resp:
        data: dict[str, int] = json.loads(resp.read())
    return data


def site_toml(path: Path, base: str) -> Path:
    path.write_text(f'name = "bench"\nstart_urls = ["{base}/"]\nmax_pages = 50000\n'
                    "[listing]\nallow = ['/$', '/list/\\d+\\.html$']\n[article]\nallow = ['/a/\\d+\\.html$']\n"
                    "[fetch]\nconcurrency = 8\ndelay = 0\ntimeout = 30\n", encoding="utf-8")
    return path


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS of the process, RSS of it and its children) in KB."""
    def rss(p: int) -> int:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(k) for k in (task / "children").read_text().split()]
    except OSError:
        pass
    own = rss(pid)
    return own, own + sum(rss(k) for k in kids)


def crawl(toml: Path, db: Path, workers: int, kill_after: float | None = None) -> dict[str, Any]:
    """Run one crawl; returns wall seconds, peak RSS (main process, whole tree), exit code, summary."""
    cmd = [PIPELINE, "crawl", str(toml), "--db", str(db), "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            own, tree = tree_rss_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], own), max(peak[1], tree)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killed = False
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            killed = True
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if "Traceback" in err:
        raise SystemExit(f"crawl crashed:\n{err[-3000:]}")
    return {"seconds": seconds, "rss_mb": max(peak[0], usage.ru_maxrss) / 1024, "tree_rss_mb": peak[1] / 1024,
            "code": proc.returncode, "killed": killed, "summary": err.strip().splitlines()[-1] if err.strip() else ""}


def contents(db: Path) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    con = sqlite3.connect(db)
    pages = {r[0]: r[1:] for r in con.execute("select url, content_sha1, essay_count, error from pages")}
    essays = con.execute("select id, page_url, position, text_sha1 from essays order by id").fetchall()
    con.close()
    return pages, essays


def essays_fingerprint(db: Path) -> str:
    con = sqlite3.connect(db)
    rows = con.execute("select rowid, id, text_sha1, title, text from essays order by rowid").fetchall()
    con.close()
    return hashlib.sha1(repr(rows).encode()).hexdigest()


def done_urls(db: Path) -> int:
    con = sqlite3.connect(db)
    n = int(con.execute("select count(*) from frontier where state = 'done'").fetchone()[0])
    con.close()
    return n


def last_run(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    row = dict(con.execute("select * from runs order by id desc limit 1").fetchone())
    con.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    args = parser.parse_args()
    out: dict[str, Any] = {"workers": args.workers, "concurrency": 8, "delay": 0, "cores": os.cpu_count()}
    rng = random.Random(20240601)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for label, pages in (("1k", args.small), ("10k", args.large)):
            server, base = serve(pages)
            try:
                toml = site_toml(tmp / f"{label}.toml", base)
                db = tmp / f"{label}.db"
                log(f"crawl {pages} articles ({base}) ...")
                r = crawl(toml, db, args.workers)
                urls = done_urls(db)
                log(f"  {r['summary']}  peak RSS {r['rss_mb']:.0f} MB (tree {r['tree_rss_mb']:.0f} MB)")
                out[f"urls_{label}"] = urls
                out[f"pages_per_s_{label}"] = round(urls / r["seconds"], 1)
                out[f"peak_rss_mb_{label}"] = round(r["rss_mb"], 1)
                out[f"peak_tree_rss_mb_{label}"] = round(r["tree_rss_mb"], 1)
                if label != "10k":
                    continue
                clean_pages, clean_essays = contents(db)
                out["essays_10k"] = len(clean_essays)
                before, fingerprint = server_stats(base), essays_fingerprint(db)
                log("second run over the unchanged site ...")
                r2 = crawl(toml, db, args.workers)
                after = server_stats(base)
                run = last_run(db)
                log(f"  {r2['summary']}")
                requests = after["requests"] - before["requests"]
                conditional = after["conditional"] - before["conditional"]
                out["rerun"] = {
                    "seconds": round(r2["seconds"], 1), "requests": requests, "conditional": conditional,
                    "unconditional": requests - conditional, "not_modified": after["not_modified"] - before["not_modified"],
                    "essays_added": run["essays_added"], "essays_updated": run["essays_updated"],
                    "essays_table_unchanged": essays_fingerprint(db) == fingerprint,
                }
                killed_db = tmp / "killed.db"
                kills = 0
                log(f"{args.cycles} kill -9 / resume cycles ...")
                for _ in range(args.cycles):
                    r3 = crawl(toml, killed_db, args.workers, kill_after=rng.uniform(0.6, 2.5))
                    kills += r3["killed"]
                final = crawl(toml, killed_db, args.workers)
                log(f"  final run: {final['summary']}")
                pages_k, essays_k = contents(killed_db)
                keys = {(e[1], e[2]) for e in essays_k}
                out["kill_resume"] = {
                    "cycles": args.cycles, "killed_mid_run": kills, "final_exit": final["code"],
                    "pages_lost": len(set(clean_pages) - set(pages_k)), "pages_extra": len(set(pages_k) - set(clean_pages)),
                    "pages_differing": sum(1 for u, v in clean_pages.items() if u in pages_k and pages_k[u] != v),
                    "essays_duplicated": len(essays_k) - len(keys), "essays_missing": len(set(clean_essays) - set(essays_k)),
                    "essays_extra": len(set(essays_k) - set(clean_essays)), "identical": (clean_pages, clean_essays) == (pages_k, essays_k),
                }
            finally:
                server.terminate()
                server.wait(timeout=10)
    rerun, kr = out["rerun"], out["kill_resume"]
    out["targets"] = {
        "pages_per_s_10k>=300": out["pages_per_s_10k"] >= 300,
        "peak_rss_10k<250MB": out["peak_tree_rss_mb_10k"] < 250,
        "rss_1k_about_10k": abs(out["peak_tree_rss_mb_10k"] - out["peak_tree_rss_mb_1k"]) <= 0.25 * out["peak_tree_rss_mb_1k"],
        "rerun_only_conditional": rerun["unconditional"] <= 1 and rerun["essays_added"] == rerun["essays_updated"] == 0
        and rerun["essays_table_unchanged"],
        "kill_resume_0_lost_0_dup": kr["pages_lost"] == 0 and kr["essays_duplicated"] == 0 and kr["identical"],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
