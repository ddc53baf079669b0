"""kill -9 at random moments, then resume: the database ends with exactly the pages and essays of a clean crawl."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from pipeline.jobs.demo_site import SiteServer, generated_site

from .conftest import write_site

PAGES = 300
EXE = str(Path(sys.executable).with_name("pipeline"))


def content(db: Path) -> tuple[list[Any], list[Any]]:
    d = sqlite_utils.Database(db)
    pages = [tuple(r.values()) for r in d.query(
        "select url, final_url, status, etag, content_sha1, title, essay_count, error from pages order by url")]
    essays = [tuple(r.values()) for r in d.query("select id, page_url, position, title, text, text_sha1 from essays order by id")]
    return pages, essays


def runs_in(db: Path) -> int:
    """Run rows in the database so far (0 before it exists)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute("select count(*) from runs").fetchone()[0])
    except sqlite3.OperationalError:  # no tables yet
        return 0
    finally:
        conn.close()


def run(site: Path, db: Path, workers: int = 0, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, "crawl", str(site), "--db", str(db), "--workers", str(workers)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 1])
def test_kill_9_and_resume_equals_clean_crawl(tmp_path: Path, workers: int) -> None:
    rng = random.Random(6 + workers)
    with SiteServer(generated_site(PAGES)) as server:
        site = write_site(tmp_path / "site.toml", [server.base + "/"], [r"/a/\d+\.html$"], [r"/$", r"/list/\d+\.html$"],
                          concurrency=2, delay=0.004)
        clean = tmp_path / "clean.db"
        done = run(site, clean)
        assert done.returncode == 0, done.stderr
        db = tmp_path / "killed.db"
        kills = 0
        for _ in range(30):  # bounded: stop after 6 kills that landed mid-crawl
            proc = subprocess.Popen([EXE, "crawl", str(site), "--db", str(db), "--workers", str(workers)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started = runs_in(db)
            for _ in range(3000):  # bounded (~30 s): the run has begun (its row), however slow the start under load
                if proc.poll() is not None or runs_in(db) > started:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.9))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
            assert proc.stderr is not None
            assert b"Traceback" not in proc.stderr.read()
            proc.stderr.close()
            if kills >= 6:
                break
        assert kills >= 6
        final = run(site, db, workers)  # a killed run's worker processes have gone: the lock is free
        assert final.returncode == 0, final.stderr
    clean_pages, clean_essays = content(clean)
    assert len(clean_pages) == PAGES and len(clean_essays) == PAGES
    pages, essays = content(db)
    assert pages == clean_pages
    assert essays == clean_essays
    d = sqlite_utils.Database(db)
    assert d.execute("select count(*) from frontier where state != 'done'").fetchone()[0] == 0
    statuses = [r["status"] for r in d.query("select status from runs order by id")]
    # a run killed before it started has no row, one killed while exiting may have finished; none is left running
    assert statuses[-1] == "ok" and "running" not in statuses and statuses.count("interrupted") >= 4
