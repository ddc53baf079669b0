#!/usr/bin/env python3
"""The site pass (site chrome learned from each site's own pages): its cost and what it removes.

1. Cost: the 10,000-article site of the crawl bench (`demo_site --generated`, no boilerplate inside
   the content) and a 10,000-article generated site whose every page carries boilerplate
   (`chrome_site`), each crawled by `pipeline crawl` (delay 0, concurrency 8) on a fresh database
   with `site_chrome = false` and with `site_chrome = true`, alternately, twice each; the fastest
   run of each counts. Figures: wall and CPU seconds (of the crawl and its worker process), the
   extra of the site pass as a share of the crawl without it, peak RSS (whole process tree), rows
   the pass keeps. On a machine shared with other work the wall figures wander by a quarter from
   run to run; the CPU figures hold, so the target is read on them.
2. Quality: generated sites of seeds no test uses (random sizes, half of them with boilerplate that
   changes halfway), crawled without and with the pass: boilerplate lines left in the essays
   (leaks), essay paragraphs kept (recall), pages stored with essays.

Progress on stderr; the last line on stdout is one JSON object (tools/bench.py reads it).

    python tools/bench_site_chrome.py [--pages 10000] [--sites 12]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from bench_crawl import PIPELINE, log, site_toml, tree_rss_kb  # noqa: E402

from pipeline.crawl.settings import load_site  # noqa: E402
from pipeline.jobs.chrome_site import ChromeSite, score, stored_essays  # noqa: E402
from pipeline.jobs.crawl_run import crawl as crawl_in_process  # noqa: E402
from pipeline.jobs.demo_site import serve as serve_in_thread  # noqa: E402


def crawl(toml: Path, db: Path) -> dict[str, Any]:
    """One `pipeline crawl` (1 worker process): wall seconds, CPU seconds of it and its workers, peak tree RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen([PIPELINE, "crawl", str(toml), "--db", str(db), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid)[1])
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)  # the usage counts the worker processes it waited for
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or "Traceback" in err:
        raise SystemExit(f"crawl failed:\n{err[-3000:]}")
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "tree_rss_mb": peak[0] / 1024,
            "summary": err.strip().splitlines()[-1]}


def serve(module: str, args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def table_rows(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    out = {t: int(con.execute(f"select count(*) from {t}").fetchone()[0])
           for t in ("chrome_pages", "site_chrome", "chrome_removed")}
    out["chrome_learned"] = int(con.execute("select count(*) from site_chrome where chrome = 1").fetchone()[0])
    con.close()
    return out


def cost(label: str, module: str, args: list[str], tmp: Path, tries: int) -> dict[str, Any]:
    server, base = serve(module, args)
    try:
        plain = site_toml(tmp / f"{label}.toml", base)
        text = plain.read_text(encoding="utf-8")
        on = tmp / f"{label}-on.toml"
        off = tmp / f"{label}-off.toml"
        on.write_text(text.replace("max_pages = 50000\n", "max_pages = 50000\nsite_chrome = true\n"), encoding="utf-8")
        off.write_text(text.replace("max_pages = 50000\n", "max_pages = 50000\nsite_chrome = false\n"), encoding="utf-8")
        best: dict[str, dict[str, Any]] = {}
        for attempt in range(tries):
            for kind, toml in (("off", off), ("on", on)):
                db = tmp / f"{label}-{kind}-{attempt}.db"
                log(f"{label}: crawl with site_chrome {kind} ({attempt + 1}/{tries}) ...")
                r = crawl(toml, db)
                log(f"  {r['summary']}  {r['seconds']:.1f}s wall, {r['cpu_seconds']:.1f}s CPU, tree RSS {r['tree_rss_mb']:.0f} MB")
                if kind not in best:
                    best[kind] = {**r, "rows": table_rows(db) if kind == "on" else {}}
                else:
                    for key in ("seconds", "cpu_seconds"):
                        best[kind][key] = min(best[kind][key], r[key])
                    best[kind]["tree_rss_mb"] = max(best[kind]["tree_rss_mb"], r["tree_rss_mb"])
                db.unlink()
    finally:
        server.terminate()
        server.wait(timeout=10)
    off_s, on_s = best["off"]["seconds"], best["on"]["seconds"]
    off_c, on_c = best["off"]["cpu_seconds"], best["on"]["cpu_seconds"]
    return {
        "seconds_without": round(off_s, 1), "seconds_with": round(on_s, 1),
        "extra_share": round((on_s - off_s) / off_s, 3),
        "cpu_seconds_without": round(off_c, 1), "cpu_seconds_with": round(on_c, 1),
        "extra_cpu_share": round((on_c - off_c) / off_c, 3),
        "peak_tree_rss_mb_without": round(best["off"]["tree_rss_mb"], 1), "peak_tree_rss_mb_with": round(best["on"]["tree_rss_mb"], 1),
        "summary_with": best["on"]["summary"], "rows": best["on"]["rows"],
    }


def quality(sites: int, tmp: Path) -> dict[str, Any]:
    rng = random.Random(90210)
    totals = {"before": [0, 0, 0, 0], "after": [0, 0, 0, 0]}  # pages, leaks, paragraphs, kept
    per_site = []
    for k in range(sites):
        seed = 5000 + k
        pages = rng.choice((20, 40, 60, 120, 250))
        change = pages // 2 + 1 if k % 2 else None
        site = ChromeSite(seed, pages, change_at=change)
        with serve_in_thread(site.resolve) as srv:
            got = {}
            for kind, on in (("before", False), ("after", True)):
                db = tmp / f"q{k}-{kind}.db"
                crawl_in_process([load_site(site.site_toml(tmp / f"q{k}.toml", srv.base, f"q{k}", site_chrome=on))], db)
                s = score(stored_essays(db), site, srv.base)
                got[kind] = s
                for i, v in enumerate((s.pages, s.leaks, s.paragraphs, s.kept)):
                    totals[kind][i] += v
        per_site.append({"seed": seed, "pages": pages, "change_at": change, "leaks_before": got["before"].leaks,
                         "leaks_after": got["after"].leaks, "recall_before": round(got["before"].recall, 4),
                         "recall_after": round(got["after"].recall, 4), "pages_stored": got["after"].pages})
        log(f"  site seed {seed}: {pages} pages, change_at {change}: leaks {got['before'].leaks} -> {got['after'].leaks}, "
            f"recall {got['before'].recall:.4f} -> {got['after'].recall:.4f}")
    out: dict[str, Any] = {"sites": sites, "pages": sum(s["pages"] for s in per_site)}
    for kind, (stored, leaks, paragraphs, kept) in totals.items():
        out[kind] = {"pages_stored": stored, "leaks": leaks, "paragraphs": paragraphs, "kept": kept,
                     "recall": round(kept / paragraphs, 4)}
    out["per_site"] = per_site
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--sites", type=int, default=12)
    parser.add_argument("--tries", type=int, default=2)
    parser.add_argument("--quality-only", action="store_true", help="only part 2 (quality), printed as JSON")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log("quality on generated sites no test uses ...")
        out["quality"] = quality(args.sites, tmp)
        if args.quality_only:
            print(json.dumps(out))
            return
        out["crawl_10k"] = cost("plain", "pipeline.jobs.demo_site", ["--generated", str(args.pages), "--port", "0"], tmp, args.tries)
        out["crawl_10k_boilerplate"] = cost("boilerplate", "pipeline.jobs.chrome_site",
                                            ["--seed", "77", "--pages", str(args.pages), "--port", "0"], tmp, args.tries)
    q = out["quality"]
    out["targets"] = {
        "extra_cpu_10k<10%": out["crawl_10k"]["extra_cpu_share"] < 0.10,
        "leaks_after==0": q["after"]["leaks"] == 0,
        "recall_after>=0.99": q["after"]["recall"] >= 0.99,
        "every_page_stored": q["after"]["pages_stored"] == q["pages"],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
