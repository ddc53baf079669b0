#!/usr/bin/env python3
"""Bench section "scale": a generated WARC imported single-process and on a Dask LocalCluster of 1 and 2
workers, into SQLite and into Parquet shards: pages/s, peak RSS (this process, and per worker), time to
first record, and the speed-up from 1 to 2 workers (`speedup_1_to_2_workers`, SQLite output;
`parquet_speedup_1_to_2_workers` for the shards).

    python tools/bench_scale.py            # 20,000 pages; BENCH_SCALE_PAGES=N for another size
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.jobs import importer, shard_run  # noqa: E402
from pipeline.jobs.cluster import ClusterSpec, connect  # noqa: E402
from pipeline.jobs.demo_warc import generated_captures, write_records  # noqa: E402

PAGES = int(os.environ.get("BENCH_SCALE_PAGES", "20000"))


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _peak_rss_here() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_rss(client: Any) -> list[float]:
    found = client.run(_peak_rss_here)
    return sorted(round(v, 1) for v in found.values())


def _sqlite(warc: Path, db: Path, client: Any) -> dict[str, Any]:
    first: list[float] = []
    started = time.perf_counter()

    def on_page(_: str, __: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    stats = importer._import([str(warc)], db, on_page, None, 20.0, 0.7, None, False, client)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"pages": stats.pages_fetched, "failed": stats.pages_failed, "seconds": round(seconds, 1),
                           "pages_per_s": round(stats.pages_fetched / seconds, 1),
                           "time_to_first_record_s": round(first[0], 2) if first else None}
    if client is not None:
        out["worker_peak_rss_mb"] = _worker_rss(client)
    return out


def _parquet(warc: Path, folder: Path, client: Any) -> dict[str, Any]:
    started = time.perf_counter()
    stats = shard_run.import_to_shards(client, [str(warc)], folder, True, 0.7, None)
    seconds = time.perf_counter() - started
    return {"pages": stats.pages_fetched, "failed": stats.pages_failed, "seconds": round(seconds, 1),
            "pages_per_s": round(stats.pages_fetched / seconds, 1), "worker_peak_rss_mb": _worker_rss(client)}


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "bench.warc.gz"
        with open(warc, "wb") as out:
            write_records(out, generated_captures(PAGES))
        result: dict[str, Any] = {"pages": PAGES, "warc_mb": round(warc.stat().st_size / 1e6, 1), "cores": os.cpu_count()}
        result["single_process"] = _sqlite(warc, Path(tmp) / "single.db", None)
        result["single_process"]["peak_rss_mb"] = _rss_mb()
        for workers in (1, 2):
            with connect(ClusterSpec(workers=workers)) as client:
                result[f"sqlite_{workers}_workers"] = _sqlite(warc, Path(tmp) / f"cluster{workers}.db", client)
                result[f"parquet_{workers}_workers"] = _parquet(warc, Path(tmp) / f"shards{workers}", client)
        result["speedup_1_to_2_workers"] = round(result["sqlite_2_workers"]["pages_per_s"] / result["sqlite_1_workers"]["pages_per_s"], 2)
        result["parquet_speedup_1_to_2_workers"] = round(
            result["parquet_2_workers"]["pages_per_s"] / result["parquet_1_workers"]["pages_per_s"], 2)
        result["driver_peak_rss_mb"] = _rss_mb()
    return result


if __name__ == "__main__":
    print(json.dumps(run()))
