"""store.batch: page writes grouped into larger transactions, each page atomic, whole pages kept on a kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline import store
from pipeline.jobs.process import process
from pipeline.models import Result
from pipeline.store.batch import Batch

LONG = "这是一段足够长的正文，用来让抽取器把它当作文章的主体内容来对待，而不是网站的导航或者页脚。" * 3


def result(i: int) -> Result:
    html = f"<html><head><title>第{i}篇</title></head><body><h1>第{i}篇</h1><p>{LONG}{i}</p></body></html>"
    return process(html, f"http://x.example/{i}.html", "utf-8")


def count(path: Path, sql: str) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_pages_are_committed_every_n_pages_and_on_leaving(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = store.open_db(path)
    run_id = store.start_run(db, "import", {})
    seen: list[int] = []
    with Batch(db, max_pages=3, max_seconds=3600) as batch:
        for i in range(1, 8):
            store.save_result(db, result(i), run_id)
            batch.page_done()
            seen.append(count(path, "select count(*) from pages"))  # what another connection sees
    assert seen == [0, 0, 3, 3, 3, 6, 6]
    assert batch.commits == 3  # 3, 6, and the last one on leaving
    assert count(path, "select count(*) from pages") == 7
    assert count(path, "select count(*) from essays") == 7


def test_a_page_that_fails_is_rolled_back_alone(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = store.open_db(path)
    run_id = store.start_run(db, "import", {})
    with Batch(db, max_pages=100) as batch:
        store.save_result(db, result(1), run_id)
        batch.page_done()
        with pytest.raises(sqlite3.IntegrityError):
            with db.conn:
                db.execute("insert into pages (url, essay_count) values ('http://x.example/half', 0)")
                db.execute("insert into pages (url, essay_count) values ('http://x.example/1.html', 0)")  # duplicate key
        store.save_result(db, result(2), run_id)
        batch.page_done()
    assert sorted(r[0] for r in db.execute("select url from pages")) == ["http://x.example/1.html", "http://x.example/2.html"]


def test_without_a_batch_each_page_is_its_own_transaction(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = store.open_db(path)
    run_id = store.start_run(db, "import", {})
    store.save_result(db, result(1), run_id)
    assert count(path, "select count(*) from pages") == 1


def test_kill_9_keeps_whole_committed_pages_only(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from pipeline import store
        from pipeline.store.batch import Batch
        from tests.test_batch import result
        db = store.open_db({str(path)!r})
        run_id = store.start_run(db, "import", {{}})
        with Batch(db, max_pages=5, max_seconds=3600) as batch:
            for i in range(1, 13):
                store.save_result(db, result(i), run_id)
                batch.page_done()
            print("saved", flush=True)
            sys.stdin.readline()  # killed here: pages 11 and 12 are not committed
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "saved"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert count(path, "select count(*) from pages") == 10
    assert count(path, "select count(*) from essays") == 10
    assert count(path, "select count(*) from essays e left join pages p on p.url = e.page_url where p.url is null") == 0


def test_an_import_run_again_skips_the_files_stored_unchanged(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(1, 4):
        (folder / f"{i}.html").write_text(f"<html><head><title>第{i}篇</title></head><body><h1>第{i}篇</h1><p>{LONG}{i}</p></body></html>",
                                          encoding="utf-8")
    db = tmp_path / "x.db"
    assert CliRunner().invoke(main, ["import", str(folder), "--db", str(db)]).exit_code == 0
    before = list(store.open_db(db).query("select rowid, * from essays order by rowid"))
    (folder / "2.html").write_text((folder / "2.html").read_text(encoding="utf-8").replace("第2篇", "第二篇"), encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(folder), "--db", str(db)])
    assert "imported 1 pages, 0 essays added, 0 updated, 0 failed, 2 unchanged" in result.stderr  # a new title, the same text
    after = list(store.open_db(db).query("select rowid, * from essays order by rowid"))
    assert [a for a in after if "第二篇" not in a["title"]] == [b for b in before if "第2篇" not in b["title"]]
