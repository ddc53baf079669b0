#!/usr/bin/env python3
"""Bulk input and output: WARC import, batch extraction, export, and bytes written per byte stored.

1. a generated 20,000-page WARC (written with warcio from the generated demo site's pages) imported
   by `pipeline import` in one process: pages/s, peak RSS, time to the first stored page;
2. `pipeline extract FOLDER --workers 1` and `--workers 2` over 2,000 generated article files: pages/s;
3. `pipeline export` of 20,000 and of 100,000 essays (the import's essays, copied in SQL) to JSON lines
   and Parquet: seconds and peak RSS (flat: the same at both sizes);
4. bytes written (the process's storage writes, as /proc/PID/io write_bytes counts them, from
   getrusage's block counts) per byte of database, importing 2,000 WARC pages and crawling a
   2,000-article site (one process), with page-by-page transactions (batch of 1: how every page was
   written before) and with the batches of `store.batch` (200 pages or 1 s); and the crawl with
   `--workers 1` (extraction in a worker process, the crawl's process the one writer).

Progress on stderr; the last line on stdout is one JSON object (tools/bench.py reads it).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from pipeline.jobs.demo_site import article_html  # noqa: E402
from pipeline.jobs.demo_warc import generated_captures, write_records  # noqa: E402

PY = sys.executable
# `pipeline` with the batch size set first (1: a transaction per page, as before store.batch)
WITH_BATCH = "import sys, pipeline.store.batch as b; b.DEFAULT_PAGES = int(sys.argv.pop(1)); from pipeline.cli import main; main()"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(args: list[str], batch: int = 200, first_row_db: Path | None = None) -> dict[str, Any]:
    """Run `pipeline ARGS` (batch size `batch`); seconds, peak RSS, bytes written, time to the first page row."""
    started = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", WITH_BATCH, str(batch), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first: list[float] = []

    def watch() -> None:
        while proc.poll() is None and first_row_db is not None:
            try:
                con = sqlite3.connect(f"file:{first_row_db}?mode=ro", uri=True, timeout=0.1)
                if con.execute("select 1 from pages limit 1").fetchone():
                    first.append(time.perf_counter() - started)
                    con.close()
                    return
                con.close()
            except sqlite3.Error:
                pass
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    watcher.join(timeout=1)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    if "Traceback" in err:
        raise SystemExit(f"pipeline {args[0]} crashed:\n{err[-3000:]}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "written": usage.ru_oublock * 512,
            "first": first[0] if first else None, "summary": err.strip().splitlines()[-1] if err.strip() else ""}


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def grow_essays(src: Path, dst: Path, copies: int) -> int:
    """A database with `copies` times the essays of `src` (pages and essays copied under new URLs and ids)."""
    source = sqlite3.connect(src)
    con = sqlite3.connect(dst)
    source.backup(con)  # the main file and whatever its WAL still holds
    source.close()
    cols = [r[1] for r in con.execute("pragma table_info(pages)")]
    ecols = [r[1] for r in con.execute("pragma table_info(essays)") if r[1] != "num"]  # the copies get new keys
    for k in range(1, copies):
        pick = ", ".join(f"url || '#copy{k}'" if c == "url" else c for c in cols)
        con.execute(f"insert into pages ({', '.join(cols)}) select {pick} from pages where url not like '%#copy%'")
        epick = ", ".join({"id": f"id || '-{k}'", "page_url": f"page_url || '#copy{k}'"}.get(c, c) for c in ecols)
        con.execute(f"insert into essays ({', '.join(ecols)}) select {epick} from essays where id not like '%-%'")
    con.commit()
    n = int(con.execute("select count(*) from essays").fetchone()[0])
    con.close()
    return n


def main() -> None:
    out: dict[str, Any] = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(dir=ROOT / "output") as tmp_name:
        tmp = Path(tmp_name)
        big, small = tmp / "20k.warc.gz", tmp / "2k.warc.gz"
        log("writing a 20,000-page WARC ...")
        with open(big, "wb") as fh:
            write_records(fh, generated_captures(20_000))
        with open(small, "wb") as fh:
            write_records(fh, generated_captures(2_000))
        out["warc_mb"] = round(big.stat().st_size / 1e6, 1)

        db = tmp / "warc.db"
        log("import 20,000 WARC pages ...")
        r = run(["import", str(big), "--db", str(db)], first_row_db=db)
        log(f"  {r['summary']}")
        out["import_pages"] = 20_000
        out["import_pages_per_s"] = round(20_000 / r["seconds"], 1)
        out["import_peak_rss_mb"] = round(r["rss_mb"], 1)
        out["import_first_record_s"] = round(r["first"], 2) if r["first"] is not None else None
        out["import_bytes_written_per_byte_stored"] = round(r["written"] / db_bytes(db), 2)

        log("batch extraction ...")
        folder = tmp / "pages"
        folder.mkdir()
        for i in range(1, 2001):
            (folder / f"{i}.html").write_text(article_html(i), encoding="utf-8")
        for workers in (1, 2):
            target = tmp / f"extract{workers}.jsonl"
            r = run(["extract", str(folder), "--workers", str(workers), "-o", str(target)])
            out[f"extract_workers_{workers}_pages_per_s"] = round(2000 / r["seconds"], 1)
            log(f"  --workers {workers}: {r['summary']}")

        log("export ...")
        for label, copies in (("20k", 1), ("100k", 5)):
            exp_db = tmp / f"exp{label}.db"
            n = grow_essays(db, exp_db, copies)
            out[f"export_essays_{label}"] = n
            for fmt, suffix in (("jsonl", "jsonl"), ("parquet", "parquet")):
                r = run(["export", "--db", str(exp_db), "--format", fmt, "-o", str(tmp / f"{label}.{suffix}")])
                out[f"export_{fmt}_{label}_seconds"] = round(r["seconds"], 2)
                out[f"export_{fmt}_{label}_peak_rss_mb"] = round(r["rss_mb"], 1)
                log(f"  {n} essays -> {fmt}: {r['seconds']:.1f}s, peak RSS {r['rss_mb']:.0f} MB")
            exp_db.unlink()

        log("bytes written per byte stored, page by page and in batches ...")
        server, base = _serve(2000)
        try:
            toml = tmp / "site.toml"
            toml.write_text(f'name = "bench"\nstart_urls = ["{base}/"]\nmax_pages = 50000\n'
                            "[listing]\nallow = ['/$', '/list/\\d+\\.html$']\n[article]\nallow = ['/a/\\d+\\.html$']\n"
                            "[fetch]\nconcurrency = 8\ndelay = 0\ntimeout = 30\n", encoding="utf-8")
            for label, batch in (("before", 1), ("after", 200)):
                wdb = tmp / f"w-{label}.db"
                r = run(["import", str(small), "--db", str(wdb)], batch=batch)
                out[f"import_2k_{label}"] = {"bytes_written_per_byte_stored": round(r["written"] / db_bytes(wdb), 2),
                                             "pages_per_s": round(2000 / r["seconds"], 1)}
                cdb = tmp / f"c-{label}.db"
                r = run(["crawl", str(toml), "--db", str(cdb), "--workers", "0"], batch=batch)
                out[f"crawl_2k_{label}"] = {"bytes_written_per_byte_stored": round(r["written"] / db_bytes(cdb), 2),
                                            "pages_per_s": round(2041 / r["seconds"], 1)}
                log(f"  {label}: import {out[f'import_2k_{label}']}, crawl {out[f'crawl_2k_{label}']}")
            cdb = tmp / "c-workers.db"
            r = run(["crawl", str(toml), "--db", str(cdb), "--workers", "1"])
            out["crawl_2k_after_workers_1"] = {"bytes_written_per_byte_stored": round(r["written"] / db_bytes(cdb), 2),
                                               "pages_per_s": round(2041 / r["seconds"], 1)}
            log(f"  after, crawl --workers 1: {out['crawl_2k_after_workers_1']}")
        finally:
            server.kill()
            server.wait()
        out["bytes_written_per_byte_stored"] = {
            "import_before": out["import_2k_before"]["bytes_written_per_byte_stored"],
            "import_after": out["import_2k_after"]["bytes_written_per_byte_stored"],
            "crawl_before": out["crawl_2k_before"]["bytes_written_per_byte_stored"],
            "crawl_after": out["crawl_2k_after"]["bytes_written_per_byte_stored"],
            "import_20k": out["import_bytes_written_per_byte_stored"],  # the target: at most 5
        }
    print(json.dumps(out))


def _serve(pages: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([PY, "-m", "pipeline.jobs.demo_site", "--generated", str(pages), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


if __name__ == "__main__":
    main()
