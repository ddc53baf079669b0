"""Database safety: serve and search only read (no table created, no index rebuilt), `pipeline index`
rebuilds the index they name when it is missing, stale or behind, `pipeline backup` writes a
consistent copy while another connection writes, and an empty file is initialised."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

from click.testing import CliRunner

from pipeline import store
from pipeline.cli import main
from pipeline.models import Essay, Page, Result
from pipeline.serve.launcher import prepare
from pipeline.store import migrations

from .conftest import FIXTURES

SEED = FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select type, name from sqlite_master order by type, name").fetchall()
    finally:
        conn.close()


def imported(tmp_path: Path) -> Path:
    db = tmp_path / "e.db"
    assert run("import", str(SEED), "--db", str(db))[0] == 0
    return db


def test_search_and_serve_never_write(tmp_path: Path) -> None:
    db = imported(tmp_path)
    before, tables = digest(db), schema(db)
    code, out, err = run("search", "党员", "--db", str(db))
    assert code == 0 and out.count("\n") >= 2, err
    notes: list[str] = []
    assert prepare(db, notes.append) == db and notes == []
    assert (digest(db), schema(db)) == (before, tables)


def test_another_programs_database_is_never_touched_by_search_or_serve(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("create table pages (id integer primary key, html text)")
    conn.execute("insert into pages (html) values ('<p>x</p>')")
    conn.commit()
    conn.close()
    before = digest(db)
    code, _, err = run("search", "党员", "--db", str(db))
    assert code == 2 and err.startswith(f"error: the database {db} is not one of this project's")
    code, _, err = run("serve", "--db", str(db), "--port", "0")
    assert code == 2 and err.startswith(f"error: the database {db} is not one of this project's")
    assert digest(db) == before


def test_a_missing_index_is_named_and_pipeline_index_rebuilds_it(tmp_path: Path) -> None:
    db = imported(tmp_path)
    conn = sqlite3.connect(db)
    for (name,) in conn.execute("select name from sqlite_master where type = 'trigger'").fetchall():
        conn.execute(f"drop trigger [{name}]")
    conn.execute("drop table essays_fts")
    conn.execute("drop table essays_fts_pending")
    conn.commit()
    conn.close()
    before = digest(db)
    code, _, err = run("search", "党员", "--db", str(db))
    assert (code, err) == (2, f"error: the database {db} has no search index: run `pipeline index --db {db}` first\n")
    notes: list[str] = []
    prepare(db, notes.append)
    assert notes == [f"warning: the search index is missing: run `pipeline index --db {db}`"]
    assert digest(db) == before
    code, _, err = run("index", "--db", str(db))
    assert (code, err) == (0, f"indexed 3 essays -> {db}\n")
    code, out, err = run("search", "党员", "--db", str(db))
    assert (code, err) == (0, "3 essays found for '党员'\n")


def test_an_index_behind_the_essays_is_named_until_pipeline_index(tmp_path: Path) -> None:
    db = imported(tmp_path)
    conn = sqlite3.connect(db)  # another program adds an essay: the triggers queue it, nothing indexes it
    conn.execute("insert into essays (id, page_url, position, title, text, chars, text_sha1) "
                 "select 'x1', page_url, 9, '航天精神', '我们学习航天精神', 8, 'h' from essays limit 1")
    conn.commit()
    conn.close()
    code, out, err = run("search", "航天精神", "--db", str(db))
    assert code == 0
    assert err.splitlines() == [f"warning: the search index is behind by 1 essays written by another program: "
                                f"run `pipeline index --db {db}`", "0 essays found for '航天精神'"]
    assert run("index", "--db", str(db))[0] == 0
    code, out, err = run("search", "航天精神", "--db", str(db))
    assert (code, err) == (0, "1 essays found for '航天精神'\n")


def page(n: int) -> Result:
    url = f"http://127.0.0.1/p{n}.html"
    texts = [f"第{n}页第{i}篇：我们学习雷锋精神，做好每一件小事。" * 20 for i in range(3)]
    essays = tuple(Essay(page_url=url, position=i + 1, title=f"标题{n}-{i}", text=t, text_sha1=hashlib.sha1(t.encode()).hexdigest())
                   for i, t in enumerate(texts))
    return Result(page=Page(url=url, title=f"页{n}", site="127.0.0.1"), essays=essays)


def test_backup_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    writer_db = store.open_db(db)
    run_id = store.start_run(writer_db, "crawl", {})
    store.save_result(writer_db, page(0), run_id)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        n = 1
        while not stop.is_set() and n < 5000:
            store.save_result(writer_db, page(n), run_id)  # one transaction per page, as a crawl writes
            written[0] = n
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    seen = 0
    for i in range(5):
        for _ in range(3000):  # bounded wait for the writer to move on since the last copy
            if written[0] > seen:
                break
            threading.Event().wait(0.01)
        dest = tmp_path / f"copy{i}.db"
        code, _, err = run("backup", str(dest), "--db", str(db))
        assert code == 0, err
        copies.append(dest)
        with sqlite3.connect(dest) as conn:
            seen = conn.execute("select count(*) from pages").fetchone()[0] - 1  # the last page the copy holds
    stop.set()
    thread.join(60)
    writer_db.conn.close()
    sizes = []
    for copy in copies:
        assert not Path(str(copy) + "-wal").exists()
        conn = sqlite3.connect(copy)
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
        pages, essays, counted = conn.execute(
            "select (select count(*) from pages), (select count(*) from essays), (select sum(essay_count) from pages)").fetchone()
        assert essays == 3 * pages == counted  # whole pages only: no page without its essays, no essay without its page
        sizes.append(pages)
        indexed = conn.execute("select count(*) from essays_fts where essays_fts match '\"雷锋\"'").fetchone()[0]
        assert indexed == essays
        assert conn.execute("pragma application_id").fetchone() == (migrations.APPLICATION_ID,)
        conn.close()
    assert sizes == sorted(sizes) and len(set(sizes)) == 5  # each copy taken while the writer wrote


def test_backup_refuses_to_overwrite_and_needs_a_database(tmp_path: Path) -> None:
    db = imported(tmp_path)
    dest = tmp_path / "taken.db"
    dest.write_bytes(b"keep me")
    code, _, err = run("backup", str(dest), "--db", str(db))
    assert (code, err) == (2, f"error: {dest} exists: give a new file name (a backup never overwrites)\n")
    assert dest.read_bytes() == b"keep me"
    folder = tmp_path / "backups"
    folder.mkdir()
    code, _, err = run("backup", str(folder), "--db", str(db))
    assert code == 0 and err.startswith(f"backed up {db} -> {folder / 'e.db'} (")
    code, _, err = run("backup", str(tmp_path / "b.db"), "--db", str(tmp_path / "none.db"))
    assert code == 2 and err.startswith(f"error: no database at {tmp_path / 'none.db'}")


def test_an_empty_file_is_initialised(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    code, _, err = run("import", str(SEED), "--db", str(db))
    assert code == 0, err
    conn = sqlite3.connect(db)
    assert conn.execute("pragma application_id").fetchone() == (migrations.APPLICATION_ID,)
    assert conn.execute("pragma user_version").fetchone() == (migrations.SCHEMA_VERSION,)
    assert conn.execute("select count(*) from essays").fetchone() == (3,)


def test_a_stale_index_is_named_by_search_and_serve(tmp_path: Path) -> None:
    db = imported(tmp_path)
    conn = sqlite3.connect(db)  # the index as an older version left it: its triggers carry an older version number
    for (name, sql) in conn.execute("select name, sql from sqlite_master where type = 'trigger'").fetchall():
        conn.execute(f"drop trigger [{name}]")
        conn.execute(sql.replace(name, "essays_fts_v1" + name[name.rindex("_"):]))
    conn.commit()
    conn.close()
    before = digest(db)
    code, _, err = run("search", "党员", "--db", str(db))
    warning = f"warning: the search index was built by an older version (stale): run `pipeline index --db {db}`"
    assert code == 0 and err.splitlines() == [warning, "3 essays found for '党员'"]
    notes: list[str] = []
    prepare(db, notes.append)
    assert notes == [warning]
    assert digest(db) == before
    assert run("index", "--db", str(db))[0] == 0
    assert run("search", "党员", "--db", str(db))[2] == "3 essays found for '党员'\n"
