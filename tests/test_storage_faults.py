"""Real storage faults under `pipeline import`: a full tmpfs, `ulimit -f`, a read-only mount, another
writer holding the database past the busy timeout. Each gives one clear message and no traceback:
exit 2 when met before anything was written, exit 4 midway with the committed pages kept, nothing
half-written, and the run marked `failed` where the database still takes that write."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.jobs.demo_site import SiteServer, article_html, generated_site
from pipeline.jobs.importer import import_sources

EXE = str(Path(sys.executable).with_name("pipeline"))
FILES = 20


def pages_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(1, FILES + 1):
        (folder / f"a{i:02d}.html").write_text(article_html(i), encoding="utf-8")
    return folder


# every page its own transaction, so a fault midway meets pages already committed (store.batch)
ONE_PAGE_BATCHES = {"PIPELINE_BATCH_PAGES": "1"}


def pipeline(*args: str, env: dict[str, str] | None = None, preexec: Callable[[], None] | None = None,
             timeout: float = 120) -> tuple[int, str]:
    done = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout,
                          env={**(env or os.environ), **ONE_PAGE_BATCHES}, preexec_fn=preexec)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr.strip()


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def counts(n: int) -> str:
    return f"{n} pages stored, 0 unchanged, 0 failed, {n} essays added, 0 updated"


@contextmanager
def tmpfs(path: Path, size_kb: int) -> Iterator[Path]:
    """A small tmpfs mounted at `path` (skipped where this machine cannot mount one)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)], capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    done = subprocess.run(["mount", "-o", f"remount,{options}", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def assert_kept_and_resumable(db: Path, folder: Path, stored: int) -> None:
    """The committed pages are whole, the file is sound, and a run with room stores the rest once."""
    assert stored >= 1
    assert query(db, "select count(*), count(distinct url) from pages where error is null") == [(stored, stored)]
    assert query(db, "select count(*) from essays")[0][0] == stored
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_full_disk_midway_exits_4_keeps_committed_pages(tmp_path: Path) -> None:
    folder = pages_folder(tmp_path)
    with tmpfs(tmp_path / "mnt", 700) as mnt:
        db = mnt / "e.db"
        code, err = pipeline("import", str(folder), "--db", str(db))
        assert code == 4
        row = query(db, "select status, pages_fetched, pages_failed, essays_added from runs")
        stored = int(row[0][1])  # type: ignore[call-overload]
        assert row == [("failed", stored, 0, stored)]
        assert err == (f"error: the disk holding the database {db} is full: database or disk is full (SQLITE_FULL); free some "
                       f"space and run again; import run 1 stopped, what it committed is kept: {counts(stored)}")
        assert_kept_and_resumable(db, folder, stored)
        remount(mnt, "size=16m")
        assert pipeline("import", str(folder), "--db", str(db))[0] == 0
        assert query(db, "select id, status from runs") == [(1, "failed"), (2, "ok")]
        assert query(db, "select count(*), count(distinct url) from pages") == [(FILES, FILES)]
        assert query(db, "select count(*) from essays")[0][0] == FILES


def test_full_disk_before_anything_written_exits_2(tmp_path: Path) -> None:
    folder = pages_folder(tmp_path)
    with tmpfs(tmp_path / "mnt", 48) as mnt:
        db = mnt / "e.db"
        code, err = pipeline("import", str(folder), "--db", str(db))
        assert code == 2
        assert err == (f"error: the disk holding the database {db} is full: database or disk is full (SQLITE_FULL); free some "
                       f"space and run again")
        remount(mnt, "size=16m")  # nothing half-made is in the way
        assert pipeline("import", str(folder), "--db", str(db))[0] == 0
        assert query(db, "select id, status, pages_fetched from runs") == [(1, "ok", FILES)]


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize(("limit", "midway"), [(100 * 1024, False), (700 * 1024, True)])
def test_ulimit_f(tmp_path: Path, limit: int, midway: bool) -> None:
    folder = pages_folder(tmp_path)
    db = tmp_path / "e.db"
    code, err = pipeline("import", str(folder), "--db", str(db), preexec=file_size_limit(limit))
    why = (f"error: cannot write the database {db}: disk I/O error (SQLITE_IOERR_WRITE); this process may write files of at "
           f"most {limit} bytes (ulimit -f)")
    if not midway:
        assert (code, err) == (2, why)
        assert query(db, "select count(*) from runs") == [(0,)]
    else:
        assert code == 4
        row = query(db, "select status, pages_fetched, pages_failed, essays_added from runs")
        stored = int(row[0][1])  # type: ignore[call-overload]
        assert row == [("failed", stored, 0, stored)]
        assert err == f"{why}; import run 1 stopped, what it committed is kept: {counts(stored)}"
        assert_kept_and_resumable(db, folder, stored)
    assert pipeline("import", str(folder), "--db", str(db))[0] == 0
    assert query(db, "select count(*), count(distinct url) from pages") == [(FILES, FILES)]
    assert query(db, "select status from runs order by id")[-1] == ("ok",)


def test_read_only_file_system_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    folder = pages_folder(tmp_path)
    with tmpfs(tmp_path / "mnt", 4096) as mnt:
        db = mnt / "e.db"
        assert pipeline("import", str(folder / "a01.html"), "--db", str(db))[0] == 0
        before = db.read_bytes()
        remount(mnt, "ro")
        code, err = pipeline("import", str(folder), "--db", str(db))
        assert code == 2
        assert err == (f"error: the database {db} is read-only: [Errno 30] Read-only file system: '{db}' (EROFS); "
                       f"use a writable file (or file system)")
        assert db.read_bytes() == before
        remount(mnt, "rw")
        assert query(db, "select id, status from runs") == [(1, "ok")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes files whatever their mode bits say: the read-only mount covers it")
def test_read_only_file_exits_2(tmp_path: Path) -> None:
    folder = pages_folder(tmp_path)
    db = tmp_path / "e.db"
    assert pipeline("import", str(folder / "a01.html"), "--db", str(db))[0] == 0
    db.chmod(0o444)
    code, err = pipeline("import", str(folder), "--db", str(db))
    assert code == 2 and err.startswith(f"error: the database {db} is read-only")


@contextmanager
def writer_holding(db: Path) -> Iterator[sqlite3.Connection]:
    """Another connection holding the database's write lock (BEGIN IMMEDIATE) until the block ends."""
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def busy_env(seconds: str) -> dict[str, str]:
    return {**os.environ, "PIPELINE_BUSY_TIMEOUT": seconds}


def locked_message(db: Path) -> str:
    return (f"error: the database {db} stayed locked by another writer for more than 0.5s: database is locked (SQLITE_BUSY); "
            f"stop the other writer, or set PIPELINE_BUSY_TIMEOUT to wait longer")


def test_locked_by_another_writer_before_anything_written_exits_2(tmp_path: Path) -> None:
    folder = pages_folder(tmp_path)
    db = tmp_path / "e.db"
    import_sources([str(folder / "a01.html")], db)
    with writer_holding(db):
        code, err = pipeline("import", str(folder), "--db", str(db), env=busy_env("0.5"))
    assert (code, err) == (2, locked_message(db))
    assert query(db, "select id, status from runs") == [(1, "ok")]
    assert query(db, "select count(*) from pages") == [(1,)]


def test_locked_by_another_writer_midway_exits_4_and_next_run_closes_it(tmp_path: Path) -> None:
    resolve = generated_site(100)

    def slow(path: str) -> tuple[int, str, bytes] | None:
        time.sleep(0.05)
        return resolve(path)

    db = tmp_path / "e.db"
    with SiteServer(slow) as server:
        urls = [f"{server.base}/a/{i}.html" for i in range(1, 101)]
        proc = subprocess.Popen([EXE, "import", *urls, "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, env=busy_env("0.5"))
        for _ in range(2000):  # bounded: ~20 s
            if db.exists() and query(db, "select count(*) from sqlite_master where name = 'pages'")[0][0] and \
                    query(db, "select count(*) from pages")[0][0] >= 2:
                break
            time.sleep(0.01)
        with writer_holding(db):
            _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4
    stored = query(db, "select count(*) from pages")[0][0]
    assert 2 <= stored < 100  # type: ignore[operator]
    assert err.strip() == (f"{locked_message(db)}; import run 1 stopped, what it committed is kept: {counts(stored)}; the run "  # type: ignore[arg-type]
                           f"could not be marked failed ({locked_message(db)[7:]}): the next run marks it interrupted")
    assert query(db, "select id, status from runs") == [(1, "running")]
    assert query(db, "select count(*) from essays") == [(stored,)]
    page = tmp_path / "one.html"
    page.write_text(article_html(500), encoding="utf-8")
    assert pipeline("import", str(page), "--db", str(db))[0] == 0
    assert query(db, "select id, status from runs") == [(1, "interrupted"), (2, "ok")]


@pytest.mark.parametrize("workers", ["0", "1"])
def test_crawl_on_a_disk_that_fills_exits_4_and_resumes(tmp_path: Path, workers: str) -> None:
    from .conftest import write_site

    with SiteServer(generated_site(60)) as server, tmpfs(tmp_path / "mnt", 1000) as mnt:
        site = write_site(tmp_path / "site.toml", [server.base + "/"], [r"/a/\d+\.html$"], [r"/$", r"/list/\d+\.html$"])
        db = mnt / "e.db"
        code, err = pipeline("crawl", str(site), "--db", str(db), "--workers", workers)
        assert code == 4
        (status, fetched, added), = query(db, "select status, pages_fetched, essays_added from runs")
        assert status == "failed" and query(db, "select count(*) from essays") == [(added,)]
        assert err.splitlines()[-1] == (
            f"error: the disk holding the database {db} is full: database or disk is full (SQLITE_FULL); free some space and "
            f"run again; crawl run 1 stopped, what it committed is kept: {fetched} pages stored, 0 unchanged, 0 failed, "
            f"{added} essays added, 0 updated")
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        remount(mnt, "size=16m")
        assert pipeline("crawl", str(site), "--db", str(db), "--workers", workers)[0] == 0
        assert query(db, "select id, status from runs") == [(1, "failed"), (2, "ok")]
        assert query(db, "select count(*), count(distinct page_url) from essays") == [(60, 60)]


def test_run_rows_never_escape_as_sqlite_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """start_run, close_stale_runs and finish_run turn a locked database into the pipeline's errors."""
    from pipeline import store
    from pipeline.errors import StorageFault, StoreError
    from pipeline.models import RunStats
    from pipeline.store.runs import close_stale_runs

    db_path = tmp_path / "e.db"
    import_sources([str(pages_folder(tmp_path) / "a01.html")], db_path)
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "0.1")
    db = store.open_db(db_path)
    try:
        with writer_holding(db_path):
            with pytest.raises(StoreError) as started:
                store.start_run(db, "import", {})
            with pytest.raises(StoreError) as closed:
                close_stale_runs(db)
            with pytest.raises(StorageFault) as finished:
                store.finish_run(db, 1, RunStats(kind="import"), "ok")
    finally:
        db.conn.close()
    why = (f"the database {db_path} stayed locked by another writer for more than 0.1s: database is locked (SQLITE_BUSY); "
           f"stop the other writer, or set PIPELINE_BUSY_TIMEOUT to wait longer")
    assert [(type(e.value).__name__, e.value.exit_code, str(e.value)) for e in (started, closed, finished)] == [
        ("StoreError", 2, why), ("StoreError", 2, why), ("StorageFault", 4, why)]
