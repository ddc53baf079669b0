"""The one-writer lock follows the database file (symlinks, hard links, no lock file to delete) and
covers import and reprocess; a damaged database stops every run (exit 4, naming `pipeline check`);
`pipeline check` runs the full checks; import refuses special files; reprocess survives a damaged blob."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import DatabaseDamaged
from pipeline.jobs.demo_site import article_html
from pipeline.jobs.importer import import_sources
from pipeline.store import health
from pipeline.store.lock import DbLock

EXE = str(Path(sys.executable).with_name("pipeline"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def pages(tmp_path: Path, n: int = 3) -> list[Path]:
    out = []
    for i in range(1, n + 1):
        path = tmp_path / f"a{i}.html"
        path.write_text(article_html(i), encoding="utf-8")
        out.append(path)
    return out


def imported(tmp_path: Path, n: int = 3) -> Path:
    db = tmp_path / "e.db"
    assert import_sources([str(p) for p in pages(tmp_path, n)], db).pages_fetched == n
    return db


# --- the lock ---


@pytest.mark.parametrize("alias", ["symlink", "hardlink", "dotted path"])
def test_lock_holds_through_another_name_of_the_database(tmp_path: Path, alias: str) -> None:
    db = imported(tmp_path)
    other = tmp_path / "other.db"
    if alias == "symlink":
        other.symlink_to(db)
    elif alias == "hardlink":
        os.link(db, other)
    else:
        other = tmp_path / "." / "x" / ".." / "e.db"
        (tmp_path / "x").mkdir()
    page = str(pages(tmp_path, 1)[0])
    with DbLock(db):
        for command in (["import", page], ["reprocess"]):
            code, _, err = run(*command, "--db", str(other))
            assert (code, err.strip()) == (3, f"error: another run (pid {os.getpid()}) holds the lock on {other}")
    assert query(db, "select id, status from runs") == [(1, "ok")]


def test_lock_held_by_another_process_and_no_lock_file(tmp_path: Path) -> None:
    db = imported(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pipeline.store.lock import DbLock\n"
                               "with DbLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("e.db")) == ["e.db"]  # nothing to delete
        code, _, err = run("reprocess", "--db", str(db))
        assert (code, err.strip()) == (3, f"error: another run (pid {holder.pid}) holds the lock on {db}")
    finally:
        holder.kill()
        holder.wait()
    assert run("reprocess", "--db", str(db))[0] == 0  # the kernel dropped the dead holder's lock


def posix_locks(db: Path) -> list[str]:
    """The POSIX (fcntl) locks this process holds on the database file, as /proc/locks lists them."""
    ino = os.stat(db).st_ino
    return sorted(" ".join(line.split()[1:]) for line in Path("/proc/locks").read_text().splitlines()
                  if line.split()[1] == "POSIX" and line.split()[4] == str(os.getpid()) and line.split()[5].endswith(f":{ino}"))


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks to see the locks")
def test_runs_never_drop_the_sqlite_locks_of_the_process(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops the process's POSIX locks on it: a run, a refused run and
    `check` in a process where another connection is reading keep that connection's lock."""
    db = imported(tmp_path)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("select count(*) from pages").fetchone() == (3,)
    held = posix_locks(db)
    assert held  # SQLite's shared lock of the read transaction
    extra = tmp_path / "extra.html"
    extra.write_text(article_html(9), encoding="utf-8")
    assert import_sources([str(extra)], db).pages_fetched == 1
    assert posix_locks(db) == held
    with DbLock(db):
        assert run("import", str(extra), "--db", str(db))[0] == 3
    assert posix_locks(db) == held
    assert run("check", "--db", str(db))[0] == 0
    assert posix_locks(db) == held
    assert reader.execute("select count(*) from pages").fetchone() == (3,)  # still its snapshot
    reader.execute("COMMIT")
    assert reader.execute("select count(*) from pages").fetchone() == (4,)
    reader.close()


# --- damage ---


def damage_page(db: Path, table: str, which: str) -> int:
    """Overwrite one b-tree page of `table` (its root, or a leaf in the middle of the file) with garbage."""
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    if which == "root":
        page = conn.execute("select rootpage from sqlite_master where name = ?", [table]).fetchone()[0]
    else:
        leaves = [r[0] for r in conn.execute("select pageno from dbstat where name = ? and pagetype = 'leaf' order by pageno",
                                             [table])]
        page = leaves[len(leaves) // 2]
    conn.close()
    assert not Path(str(db) + "-wal").exists() or Path(str(db) + "-wal").stat().st_size == 0
    with db.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(b"\xa5\x5a" * (page_size // 2))
    return int(page)


def test_damaged_database_stops_a_run_at_its_start_with_exit_4(tmp_path: Path) -> None:
    db = imported(tmp_path, 40)
    damage_page(db, "raw", "leaf")
    before = hashlib.sha1(db.read_bytes()).hexdigest()
    code, _, err = run("import", str(pages(tmp_path, 1)[0]), "--db", str(db))
    assert code == 4
    assert err.strip() == (f"error: the database {db} is damaged: database disk image is malformed (SQLITE_CORRUPT); run "
                           f"`pipeline check --db {db}` for the full report, and restore it from a backup (or start a new file)")
    assert hashlib.sha1(db.read_bytes()).hexdigest() == before  # nothing written
    assert run("reprocess", "--db", str(db))[0] == 4
    code, out, err = run("check", "--db", str(db))
    assert code == 1
    assert out.splitlines() and all(line.startswith("integrity_check: ") for line in out.splitlines())
    assert err.strip() == f"checked {db} (header, schema version, integrity_check): {len(out.splitlines())} problems found"


def test_damage_met_midway_stops_the_run_with_exit_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = imported(tmp_path, 3)
    damage_page(db, "essays", "root")
    monkeypatch.setattr(health, "QUICK_CHECK_MAX_BYTES", 0)  # as for a file too big for the start's quick_check
    more = tmp_path / "more.html"
    more.write_text(article_html(77), encoding="utf-8")
    with pytest.raises(DatabaseDamaged) as info:
        import_sources([str(more)], db)
    assert info.value.exit_code == 4
    assert str(info.value) == (f"the database {db} is damaged: database disk image is malformed (SQLITE_CORRUPT); run "
                               f"`pipeline check --db {db}` for the full report, and restore it from a backup (or start a new "
                               f"file); import run 2 stopped, what it committed is kept: 0 pages stored, 0 unchanged, 0 failed, "
                               f"0 essays added, 0 updated")
    assert query(db, "select id, status from runs") == [(1, "ok"), (2, "failed")]


def test_check_a_sound_database_and_a_damaged_search_index(tmp_path: Path) -> None:
    db = imported(tmp_path, 3)
    code, out, err = run("check", "--db", str(db))
    assert (code, out, err.strip()) == (0, "", f"checked {db} (header, schema version, integrity_check, essays_fts "
                                                f"integrity-check): ok")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update essays_fts_data set block = x'0000000000' where id > 10")
    conn.close()
    code, out, _ = run("check", "--db", str(db))
    assert code == 1
    assert out == "essays_fts: database disk image is malformed\n"
    assert run("check", "--db", str(tmp_path / "none.db"))[0] == 2


def test_header_damage_is_refused_or_reported(tmp_path: Path) -> None:
    db = imported(tmp_path, 1)
    data = bytearray(db.read_bytes())
    data[16:18] = (3000).to_bytes(2, "big")  # an impossible page size
    db.write_bytes(bytes(data))
    code, _, err = run("import", str(pages(tmp_path, 1)[0]), "--db", str(db))
    assert (code, err.strip().split(";")[0]) == (4, f"error: the database {db} is damaged: its header gives an invalid page size (3000)")
    code, out, _ = run("check", "--db", str(db))
    assert (code, out) == (1, "header: its header gives an invalid page size (3000)\n")
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, but long enough to have a header of a hundred bytes " * 3)
    code, _, err = run("import", str(pages(tmp_path, 1)[0]), "--db", str(text))
    assert (code, err.strip()) == (2, f"error: {text} is not an SQLite database (its header is not an SQLite header); pass --db "
                                      f"with a new file or one the project wrote")


# --- import of special files, reprocess of a damaged blob ---


def test_import_refuses_fifo_and_devices_and_goes_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    good = pages(tmp_path, 1)[0]
    db = tmp_path / "e.db"
    result: dict[str, tuple[int, str, str]] = {}
    worker = threading.Thread(target=lambda: result.setdefault("r", run("import", str(fifo), "/dev/zero", "/dev/urandom",
                                                                        str(good), "--db", str(db))), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "import of a FIFO hung"
    code, _, err = result["r"]
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("failed")] == [
        f"failed: {fifo}: not a regular file (a FIFO): not read",
        "failed: /dev/zero: not a regular file (a character device): not read",
        "failed: /dev/urandom: not a regular file (a character device): not read",
    ]
    assert query(db, "select count(*) from essays") == [(1,)]
    assert query(db, "select status, pages_fetched, pages_failed from runs") == [("partial", 1, 3)]
    assert sorted(r[0] for r in query(db, "select error from pages where error is not null")) == [
        "not a regular file (a FIFO): not read", "not a regular file (a character device): not read",
        "not a regular file (a character device): not read"]


def test_import_never_reads_the_database_it_writes(tmp_path: Path) -> None:
    db = imported(tmp_path, 1)
    alias = tmp_path / "saved.html"
    os.link(db, alias)  # the same file under a page's name
    code, _, err = run("import", str(db), str(alias), str(pages(tmp_path, 2)[1]), "--db", str(db))
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("failed")] == [
        f"failed: {db}: the database this run writes (or one of its SQLite files): not read",
        f"failed: {alias}: the database this run writes (or one of its SQLite files): not read"]
    assert query(db, "select id, status, pages_fetched, pages_failed from runs") == [(1, "ok", 1, 0), (2, "partial", 1, 2)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_import_reads_at_most_max_bytes(tmp_path: Path) -> None:
    from pipeline.errors import ExtractError
    from pipeline.jobs.importer import read_capped

    big = tmp_path / "big.html"
    big.write_bytes(b"<p>" + b"x" * 5000 + b"</p>")
    with pytest.raises(ExtractError, match="^file over 1000 bytes: not read$"):
        read_capped(big, 1000)
    assert len(read_capped(big, 5007)) == 5007


def test_reprocess_records_a_damaged_raw_blob_and_goes_on(tmp_path: Path) -> None:
    db = imported(tmp_path, 3)
    bad = query(db, "select url from raw order by url")[1][0]
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update raw set body = cast(substr(body, 1, 12) || x'00ff00ff' as blob) where url = ?", [bad])
    conn.close()
    started = time.monotonic()
    code, _, err = run("reprocess", "--db", str(db))
    assert time.monotonic() - started < 60
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("failed")]
    assert failed == [f"failed: {bad}: stored raw body unreadable: Error -5 while decompressing data: incomplete or truncated stream"]
    assert query(db, "select id, kind, status, pages_fetched, pages_failed from runs order by id") == [
        (1, "import", "ok", 3, 0), (2, "reprocess", "partial", 2, 1)]
    assert query(db, "select count(*) from essays") == [(3,)]  # the damaged page keeps its essays
    assert query(db, f"select error like 'stored raw body unreadable: %' from pages where url = '{bad}'") == [(1,)]


def test_check_while_another_writer_holds_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = imported(tmp_path, 2)
    monkeypatch.setenv("PIPELINE_BUSY_TIMEOUT", "0.2")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = run("check", "--db", str(db))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (code, out, err.strip()) == (0, "", f"checked {db} (header, schema version, integrity_check, essays_fts integrity-check "
                                                f"(not run: a writer held the database)): ok")


def test_a_page_whose_rows_the_database_refuses_fails_alone(tmp_path: Path) -> None:
    """A constraint (here a trigger) that refuses one page's rows is that page's failure, not a fault."""
    db = imported(tmp_path, 1)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("create trigger refuse before insert on essays when new.title like '%作文3%' "
                     "begin select raise(abort, 'refused by a trigger'); end")
    conn.close()
    files = pages(tmp_path, 4)[1:]
    code, _, err = run("import", *map(str, files), "--db", str(db))
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("failed")] == [
        f"failed: {files[1]}: cannot store {files[1].resolve().as_uri()}: refused by a trigger"]
    assert query(db, "select id, status, pages_fetched, pages_failed, essays_added from runs where id = 2") == [
        (2, "partial", 2, 1, 2)]
    assert query(db, "select count(*) from essays") == [(3,)]
