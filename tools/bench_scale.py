#!/usr/bin/env python3
"""Bench section "scale": a generated WARC imported single-process and on a Dask LocalCluster of 1 and 2
workers, into SQLite and into Parquet shards: pages/s, peak RSS (this process, and per worker), time to
first record, and the speed-up from 1 to 2 workers (`speedup_1_to_2_workers`, SQLite output;
`parquet_speedup_1_to_2_workers` for the shards).

Wall-clock speed-ups depend on what else runs on the machine, so each cluster run also counts CPU
seconds per page: this process's main thread (the one SQLite writer), this whole process (the
writer plus the LocalCluster's scheduler, nannies and the client's network thread, which live
here), and the workers. On C cores the 1- and 2-worker runs cannot go faster than
max(E/n, D, (E + D)/C) per page (E: worker CPU per page, D: this process's), which gives
`cpu.predicted_speedup_1_to_2_workers`, independent of the machine's load (`cpu.machine_share` of
each run: the share of the cores its processes got). `cpu.bound` names what
holds the 2-worker run back: "driver" (this process alone needs more than a core), "cores" (workers
and driver together need more CPU than the cores give: every ms of driver CPU is taken from the
workers) or "workers"; `cpu.driver_budget_ms_per_page` is the driver cost the 1.6 target allows.

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

import psutil

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


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of the process this runs in (on a worker: that worker)."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def _cpu_before(client: Any) -> tuple[float, float, dict[str, float]]:
    return time.thread_time(), _cpu_seconds(), (client.run(_cpu_seconds) if client is not None else {})


def _cpu_per_page(client: Any, before: tuple[float, float, dict[str, float]], pages: int) -> dict[str, float]:
    """ms of CPU per page since `before`: the writer thread, this whole process, all workers together."""
    main, process, workers = before
    out = {"writer_thread_ms_per_page": 1000 * (time.thread_time() - main) / max(1, pages),
           "driver_process_ms_per_page": 1000 * (_cpu_seconds() - process) / max(1, pages)}
    if client is not None:
        now = client.run(_cpu_seconds)
        out["workers_ms_per_page"] = 1000 * sum(now[w] - workers.get(w, 0.0) for w in now) / max(1, pages)
    return {k: round(v, 3) for k, v in out.items()}


def _share(cpu: dict[str, float], pages: int, seconds: float) -> float:
    """The share of the machine's cores the run's processes used: well under 1 while pages were
    waiting means something else had the CPU (its pages/s then say little; its CPU per page still holds)."""
    used = (cpu["driver_process_ms_per_page"] + cpu.get("workers_ms_per_page", 0.0)) * pages / 1000
    return round(used / max(seconds * (os.cpu_count() or 1), 1e-9), 2)


def _predicted(cpu: dict[str, float], cores: int) -> dict[str, Any]:
    """The 1 -> 2 worker speed-up these CPU costs allow on `cores` cores (see the module docstring)."""
    work, driver = cpu["workers_ms_per_page"], cpu["driver_process_ms_per_page"]

    def per_page(workers: int) -> float:
        return max(work / workers, driver, (work + driver) / cores)

    bound = "driver" if driver >= max(work / 2, (work + driver) / cores) else (
        "cores" if (work + driver) / cores > work / 2 else "workers")
    return {"predicted_speedup_1_to_2_workers": round(per_page(1) / per_page(2), 2), "bound": bound,
            "driver_budget_ms_per_page": round(max(0.0, min(work / 1.6, work * (cores / 1.6 - 1))), 3)}


def _sqlite(warc: Path, db: Path, client: Any) -> dict[str, Any]:
    first: list[float] = []
    before = _cpu_before(client)
    started = time.perf_counter()

    def on_page(_: str, __: str) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    stats = importer._import([str(warc)], db, on_page, None, 20.0, 0.7, None, False, client)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"pages": stats.pages_fetched, "failed": stats.pages_failed, "seconds": round(seconds, 1),
                           "pages_per_s": round(stats.pages_fetched / seconds, 1),
                           "time_to_first_record_s": round(first[0], 2) if first else None,
                           "cpu": _cpu_per_page(client, before, stats.pages_fetched)}
    out["cpu"]["machine_share"] = _share(out["cpu"], stats.pages_fetched, seconds)
    if client is not None:
        out["worker_peak_rss_mb"] = _worker_rss(client)
    return out


def _parquet(warc: Path, folder: Path, client: Any) -> dict[str, Any]:
    before = _cpu_before(client)
    started = time.perf_counter()
    stats = shard_run.import_to_shards(client, [str(warc)], folder, True, 0.7, None)
    seconds = time.perf_counter() - started
    cpu: dict[str, float] = _cpu_per_page(client, before, stats.pages_fetched)
    cpu["machine_share"] = _share(cpu, stats.pages_fetched, seconds)
    return {"pages": stats.pages_fetched, "failed": stats.pages_failed, "seconds": round(seconds, 1),
            "pages_per_s": round(stats.pages_fetched / seconds, 1), "cpu": cpu, "worker_peak_rss_mb": _worker_rss(client)}


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
        cores = os.cpu_count() or 1
        result["cpu"] = {"sqlite": _predicted(result["sqlite_2_workers"]["cpu"], cores),
                         "parquet": _predicted(result["parquet_2_workers"]["cpu"], cores),
                         "load_average_1min_at_end": round(os.getloadavg()[0], 2)}
        result["driver_peak_rss_mb"] = _rss_mb()
    return result


if __name__ == "__main__":
    print(json.dumps(run()))
