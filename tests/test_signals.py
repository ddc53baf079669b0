"""SIGTERM and SIGINT, sent for real to `pipeline crawl|import|reprocess` subprocesses: the page in hand
is finished, the run is marked `interrupted` with exactly the counts it committed, the lock is released,
the exit status is 143 (SIGTERM) or 130 (SIGINT). A run row left `running` by a kill -9 is closed as
`interrupted` by the next run of any kind."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.jobs.demo_site import SiteServer, article_html, generated_site
from pipeline.jobs.importer import import_sources
from pipeline.store.lock import DbLock

from .conftest import write_site

EXE = str(Path(sys.executable).with_name("pipeline"))
PAGES = 100


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    """A read on its own connection, closed at once (WAL: readers never block the run)."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:  # the file exists, its tables do not yet
        return []
    finally:
        conn.close()


def start_and_signal(args: list[str], db: Path, ready_sql: str, sig: int) -> tuple[int, str]:
    """Start `pipeline ARGS`, wait (bounded) until `ready_sql` gives a true value, send `sig`; (status, stderr)."""
    proc = subprocess.Popen([EXE, *args, "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(2000):  # at most ~20 s
            if proc.poll() is not None:
                break
            rows = query(db, ready_sql) if db.exists() else []
            if rows and rows[0][0]:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be signalled: " + (proc.stderr.read() if proc.stderr else "")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def run_row(db: Path, run_id: int) -> tuple[object, ...]:
    rows = query(db, f"select kind, status, pages_fetched, pages_unchanged, pages_failed, essays_added, essays_updated, "
                     f"finished is not null from runs where id = {run_id}")
    return rows[0]


def summary(kind: str, run_id: int, sig: str, row: tuple[object, ...]) -> str:
    _, _, fetched, unchanged, failed, added, updated, _ = row
    return (f"interrupted: {kind} run {run_id} interrupted by {sig}: {fetched} pages stored, {unchanged} unchanged, "
            f"{failed} failed, {added} essays added, {updated} updated")


def assert_lock_free(db: Path) -> None:
    with DbLock(db):
        pass


def slow_site(pages: int, seconds: float) -> object:
    """The generated site, each answer held back `seconds`: a run that is still going when signalled."""
    resolve = generated_site(pages)

    def slow(path: str) -> tuple[int, str, bytes] | None:
        time.sleep(seconds)
        return resolve(path)

    return slow


@pytest.fixture
def site_server() -> Iterator[SiteServer]:
    with SiteServer(slow_site(PAGES, 0.01)) as server:  # type: ignore[arg-type]
        yield server


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_crawl_signal_marks_run_interrupted_and_next_run_completes(site_server: SiteServer, tmp_path: Path, sig: int,
                                                                    code: int) -> None:
    site = write_site(tmp_path / "site.toml", [site_server.base + "/"], [r"/a/\d+\.html$"], [r"/$", r"/list/\d+\.html$"],
                      concurrency=2)
    db = tmp_path / "e.db"
    status, err = start_and_signal(["crawl", str(site)], db, "select count(*) >= 5 from essays", sig)
    assert status == code, err
    row = run_row(db, 1)
    assert row[:2] == ("crawl", "interrupted") and row[7] == 1
    stored = query(db, "select count(*) from essays")[0][0]
    assert row[5] == stored and row[6] == 0 and row[4] == 0  # every committed page counted, no other
    assert 5 <= stored < PAGES
    assert err.strip().splitlines()[-1] == summary("crawl", 1, signal.Signals(sig).name, row)
    assert "Traceback" not in err
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert_lock_free(db)
    done = subprocess.run([EXE, "crawl", str(site), "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert query(db, "select id, status from runs order by id") == [(1, "interrupted"), (2, "ok")]
    assert query(db, "select count(*), count(distinct page_url) from essays") == [(PAGES, PAGES)]
    assert run_row(db, 2)[5] == PAGES - stored


def test_import_sigterm_stops_after_the_page_in_hand(site_server: SiteServer, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    urls = [f"{site_server.base}/a/{i}.html" for i in range(1, 101)]
    status, err = start_and_signal(["import", *urls], db, "select count(*) >= 3 from pages", signal.SIGTERM)
    assert status == 143, err
    row = run_row(db, 1)
    stored = query(db, "select count(*) from pages where error is null")[0][0]
    assert row == ("import", "interrupted", stored, 0, 0, stored, 0, 1)
    assert 3 <= stored < 100
    assert query(db, "select count(*) from essays")[0][0] == stored
    assert err.strip().splitlines()[-1] == summary("import", 1, "SIGTERM", row)
    assert_lock_free(db)


def reprocess_db(tmp_path: Path, copies: int) -> Path:
    """A database with one imported page whose raw body is stored under `copies` more URLs."""
    page = tmp_path / "a.html"
    page.write_text(article_html(7), encoding="utf-8")
    db = tmp_path / "e.db"
    assert import_sources([str(page)], db).pages_fetched == 1
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany("insert into raw (url, fetched_at, content_type, encoding, body) "
                         "select url || '?copy=' || ?, fetched_at, content_type, encoding, body from raw where url like 'file:%a.html'",
                         [(i,) for i in range(copies)])
    conn.close()
    return db


def test_reprocess_sigterm_marks_run_interrupted(tmp_path: Path) -> None:
    db = reprocess_db(tmp_path, 1500)
    status, err = start_and_signal(["reprocess"], db, "select count(*) >= 3 from pages where run_id = 2", signal.SIGTERM)
    assert status == 143, err
    row = run_row(db, 2)
    done = query(db, "select count(*) from pages where run_id = 2")[0][0]
    assert row[:2] == ("reprocess", "interrupted") and row[7] == 1
    assert row[2] + row[4] == done and 3 <= done < 1501  # each page written was counted, and only those
    assert err.strip().splitlines()[-1] == summary("reprocess", 2, "SIGTERM", row)
    assert_lock_free(db)


def test_run_left_running_by_kill_9_is_closed_by_the_next_run_of_any_kind(site_server: SiteServer, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    urls = [f"{site_server.base}/a/{i}.html" for i in range(1, 101)]
    status, _ = start_and_signal(["import", *urls], db, "select count(*) >= 2 from pages", signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert query(db, "select id, kind, status from runs") == [(1, "import", "running")]
    page = tmp_path / "one.html"
    page.write_text(article_html(3), encoding="utf-8")
    done = subprocess.run([EXE, "import", str(page), "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rows = query(db, "select id, kind, status, finished is not null from runs order by id")
    assert rows == [(1, "import", "interrupted", 1), (2, "import", "ok", 1)]
    # and a reprocess (or crawl) closes a dead import the same way: the rule is "any kind"
    status, _ = start_and_signal(["import", *urls], db, "select count(*) from runs where status = 'running'", signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert query(db, "select id, status from runs where id = 3") == [(3, "running")]
    done = subprocess.run([EXE, "reprocess", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert query(db, "select id, kind, status from runs where id >= 3 order by id") == [
        (3, "import", "interrupted"), (4, "reprocess", "ok")]


def test_second_signal_does_not_wait_for_the_page_in_hand(tmp_path: Path) -> None:
    """The first SIGTERM waits for the fetch in flight; a second one stops at once, storing nothing of it."""
    import threading

    release = threading.Event()
    asked: list[str] = []

    def resolve(path: str) -> tuple[int, str, bytes] | None:
        asked.append(path)
        if path == "/":
            return 200, "text/html", b'<html><body><a href="/a/1.html">1</a> <a href="/a/2.html">2</a></body></html>'
        if path == "/a/2.html":
            release.wait(30)  # a slow answer (bounded): the page in hand when the signals come
        if path in ("/a/1.html", "/a/2.html"):
            return 200, "text/html", article_html(int(path[3])).encode()
        return None

    with SiteServer(resolve) as server:  # type: ignore[arg-type]
        site = write_site(tmp_path / "site.toml", [server.base + "/"], [r"/a/\d+\.html$"], [r"/$"], timeout=60, robots=False)
        db = tmp_path / "e.db"
        proc = subprocess.Popen([EXE, "crawl", str(site), "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        try:
            for _ in range(2000):  # bounded: ~20 s
                if "/a/2.html" in asked and db.exists() and query(db, "select count(*) from essays") == [(1,)]:
                    break
                time.sleep(0.01)
            proc.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert proc.poll() is None  # still waiting for /a/2.html: the page in hand is finished, not dropped
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 143, err
    row = run_row(db, 1)
    assert row == ("crawl", "interrupted", 2, 0, 0, 1, 0, 1)  # the listing and /a/1.html
    assert query(db, "select count(*) from pages where url like '%/a/2.html'") == [(0,)]
    assert query(db, "select state from frontier where url like '%/a/2.html'") == [("pending",)]
    assert err.strip().splitlines()[-1] == summary("crawl", 1, "SIGTERM", row)


@pytest.mark.slow
def test_archive_import_sigterm_stops_at_once_and_marks_run_interrupted(tmp_path: Path) -> None:
    """Inside a WARC file there is no page boundary of the import's own: the signal stops it at once,
    the record in hand rolled back, and the run is `interrupted` with the counts it reached."""
    from pipeline.jobs.demo_warc import generated_captures, write_records

    archive = tmp_path / "site.warc.gz"
    with archive.open("wb") as out:
        assert write_records(out, generated_captures(1500)) == 1500
    db = tmp_path / "e.db"
    status, err = start_and_signal(["import", str(archive)], db, "select count(*) >= 3 from pages", signal.SIGTERM)
    assert status == 143, err
    row = run_row(db, 1)
    stored = query(db, "select count(*) from essays")[0][0]
    assert row[:2] == ("import", "interrupted") and row[7] == 1
    assert 3 <= stored < 1500
    # a signal between a record's commit and its count leaves that one record uncounted, never more
    assert row[5] in (stored, stored - 1)  # type: ignore[operator]
    assert err.strip().splitlines()[-1] == summary("import", 1, "SIGTERM", row)
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert_lock_free(db)
    assert subprocess.run([EXE, "import", str(archive), "--db", str(db)], capture_output=True, timeout=300).returncode == 0
    assert query(db, "select count(*), count(distinct page_url) from essays") == [(1500, 1500)]
