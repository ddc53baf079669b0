"""store.lsh: band keys in two levels (settled and recent), merged at commits, with the same duplicate
decisions as one table, through rollbacks, other connections, kill -9 and migration 8."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import sqlite_utils

from pipeline import store
from pipeline.errors import StoreError
from pipeline.jobs.process import process
from pipeline.models import Essay, Result
from pipeline.normalize import signatures as dedupe
from pipeline.store import lsh, migrations, search_index
from pipeline.store.batch import Batch

WORDS = ("河流", "山川", "城市", "清晨", "灯火", "书本", "老师", "孩子", "花园", "远方", "记忆", "勇气", "风雨", "星空", "田野", "故乡")


def _sentence(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(6, 10))) + "。"


def texts(n: int, seed: int = 3) -> list[str]:
    """n essay texts; every fourth a near copy of an earlier one (one sentence of ten changed), every
    seventh an exact copy."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    for i in range(n):
        if i % 4 == 3 and out:
            sentences = list(rng.choice(out))
            sentences[rng.randrange(len(sentences))] = _sentence(rng)
        elif i % 7 == 6 and out:
            sentences = list(rng.choice(out))
        else:
            sentences = [_sentence(rng) for _ in range(10)]
        out.append(sentences)
    return ["".join(s) for s in out]


def page(i: int, text: str) -> Result:
    html = f"<html><head><title>第{i}篇</title></head><body><h1>第{i}篇</h1><article><p>{text}</p></article></body></html>"
    return process(html, f"http://x.example/{i}.html", "utf-8")


def save_all(path: Path, bodies: list[str], per_batch: int = 4, start: int = 0) -> None:
    db = store.open_db(path)
    run_id = store.start_run(db, "import", {})
    with Batch(db, max_pages=per_batch, max_seconds=3600) as batch:
        for i, text in enumerate(bodies, start):
            store.save_result(db, page(i, text), run_id)
            batch.page_done()
    db.conn.close()


def marks(path: Path) -> list[tuple[str, str | None]]:
    con = sqlite3.connect(path)
    try:
        return [(r[0], r[1]) for r in con.execute("select page_url, duplicate_of from essays order by num")]
    finally:
        con.close()


def levels(path: Path) -> tuple[int, int, list[tuple[int, str]]]:
    """Rows in essay_lsh, rows in essay_lsh_recent, and both levels' (bkey, essay_id) together, sorted."""
    con = sqlite3.connect(path)
    try:
        main = con.execute("select bkey, essay_id from essay_lsh").fetchall()
        recent = con.execute("select bkey, essay_id from essay_lsh_recent").fetchall()
        return len(main), len(recent), sorted(main + recent)
    finally:
        con.close()


def expected_keys(path: Path) -> list[tuple[int, str]]:
    """The band keys every stored signature gives: what the two levels must hold, each once."""
    con = sqlite3.connect(path)
    try:
        sigs = con.execute("select essay_id, sig from essay_sigs").fetchall()
    finally:
        con.close()
    return sorted({(k, essay_id) for essay_id, blob in sigs for k in dedupe.band_keys(dedupe.from_blob(blob))})


def test_merging_at_commits_keeps_every_duplicate_decision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = texts(40)
    monkeypatch.setattr(lsh, "RECENT_ROWS", 10 ** 9)
    save_all(tmp_path / "one.db", bodies)  # never merged: one level, as before migration 8
    monkeypatch.setattr(lsh, "RECENT_ROWS", 40)  # merged at nearly every commit
    save_all(tmp_path / "two.db", bodies)
    one, two = marks(tmp_path / "one.db"), marks(tmp_path / "two.db")
    assert one == two
    assert sum(1 for _, dup in two if dup) >= 10  # near and exact copies were found
    main1, recent1, keys1 = levels(tmp_path / "one.db")
    main2, recent2, keys2 = levels(tmp_path / "two.db")
    assert (main1, recent1) == (0, 40 * 16)
    assert main2 > 0 and recent2 <= 40 + 4 * 16  # merged when past 40 rows at a commit of 4 pages
    assert keys1 == keys2 == expected_keys(tmp_path / "two.db")


def test_keys_shared_by_many_rows_are_read_from_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = texts(40)
    changed = {3: bodies[20], 10: texts(41, seed=5)[40]}  # pages saved again with another text: their old keys go
    for name, limit in (("map.db", lsh.MAX_SEQS), ("scan.db", 0)):  # 0: every lookup and removal scans the recent rows
        monkeypatch.setattr(lsh, "MAX_SEQS", limit)
        save_all(tmp_path / name, bodies)
        save_all(tmp_path / name, [changed.get(i, text) for i, text in enumerate(bodies)])
    assert marks(tmp_path / "map.db") == marks(tmp_path / "scan.db")
    assert levels(tmp_path / "map.db") == levels(tmp_path / "scan.db")
    assert levels(tmp_path / "scan.db")[2] == expected_keys(tmp_path / "scan.db")
    found = dict(marks(tmp_path / "scan.db"))
    assert (found["http://x.example/3.html"], found["http://x.example/20.html"]) == (None, page(3, bodies[20]).essays[0].id)


def two_essays(url: str, first: str, second: str) -> Result:
    base = page(0, first)
    essays = tuple(Essay(page_url=url, position=n, title=f"{n}", text=t, text_sha1=dedupe.text_sha1(t))
                   for n, t in ((1, first), (2, second)))
    return Result(page=replace(base.page, url=url), essays=essays)


def test_the_map_of_recent_keys_follows_a_rolled_back_page(tmp_path: Path) -> None:
    bodies = texts(8)
    near = bodies[4][:-12] + "星空田野故乡河流。"
    db = store.open_db(tmp_path / "x.db")
    run_id = store.start_run(db, "import", {})
    with Batch(db, max_pages=100, max_seconds=3600) as batch:
        for i in range(3):
            store.save_result(db, page(i, bodies[i]), run_id)
            batch.page_done()
        # the second essay cannot be stored: the first one's keys were written and read back, then rolled back
        db.execute("CREATE TRIGGER no_second BEFORE INSERT ON essays WHEN NEW.position = 2 "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        with pytest.raises(StoreError, match="disk says no"):
            store.save_result(db, two_essays("http://x.example/two.html", bodies[5], bodies[6]), run_id)
        db.execute("DROP TRIGGER no_second")
        store.save_result(db, page(10, bodies[4]), run_id)  # its keys take the rows the rolled-back page had
        store.save_result(db, page(11, near), run_id)  # a near copy of page 10, found through those rows
        batch.page_done()
    db.conn.close()
    assert marks(tmp_path / "x.db") == [("http://x.example/0.html", None), ("http://x.example/1.html", None),
                                        ("http://x.example/2.html", None), ("http://x.example/10.html", None),
                                        ("http://x.example/11.html", page(10, bodies[4]).essays[0].id)]
    assert levels(tmp_path / "x.db")[2] == expected_keys(tmp_path / "x.db")


def test_the_map_of_recent_keys_follows_another_connections_writes_and_merge(tmp_path: Path) -> None:
    bodies = texts(8)
    path = tmp_path / "x.db"
    a, b = store.open_db(path), store.open_db(path)
    run_id = store.start_run(a, "import", {})
    store.save_result(a, page(0, bodies[0]), run_id)
    store.save_result(a, page(1, bodies[1]), run_id)  # a's map now holds page 0's keys
    with b.conn:
        assert lsh.merge(b.conn) == 32  # both pages' keys settled: the recent table is empty again
    store.save_result(b, page(3, bodies[4]), run_id)  # rows numbered from 1 again: where a's map had page 0
    store.save_result(b, page(2, bodies[2]), run_id)
    near = bodies[4][:-12] + "星空田野故乡河流。"
    store.save_result(a, page(4, near), run_id)  # the rows a read went away: it reads the table again
    a.conn.close()
    b.conn.close()
    assert marks(path)[-1] == ("http://x.example/4.html", page(3, bodies[4]).essays[0].id)
    assert levels(path)[:2] == (32, 48)
    assert levels(path)[2] == expected_keys(path)


def test_a_kill_9_during_merging_runs_leaves_the_levels_whole(tmp_path: Path) -> None:
    bodies = texts(30)
    path = tmp_path / "x.db"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from pipeline import store
        from pipeline.store.batch import Batch
        from tests.test_lsh import page, texts
        db = store.open_db({str(path)!r})
        run_id = store.start_run(db, "import", {{}})
        with Batch(db, max_pages=3, max_seconds=3600) as batch:
            for i, text in enumerate(texts(30)[:20]):
                store.save_result(db, page(i, text), run_id)
                batch.page_done()
            print("saved", flush=True)
            sys.stdin.readline()  # killed here: pages 18 and 19 are not committed
    """)
    env = {**os.environ, "PIPELINE_LSH_RECENT_ROWS": "40"}
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "saved"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    main, recent, keys = levels(path)
    assert main > 0 and len(marks(path)) == 18
    assert keys == expected_keys(path)  # every committed essay's keys, each once, in one level or the other
    save_all(path, bodies[18:], start=18)  # the run started again goes on
    save_all(tmp_path / "whole.db", bodies)
    assert marks(path) == marks(tmp_path / "whole.db")
    assert levels(path)[2] == levels(tmp_path / "whole.db")[2]


def test_migration_8_moves_the_band_keys_of_a_version_7_database(tmp_path: Path) -> None:
    bodies = texts(8)
    path = tmp_path / "old.db"
    save_all(path, bodies[:4])  # then turned back into what migration 7 left: one rowid table, two indexes
    con = sqlite3.connect(path)
    rows = con.execute("select bkey, essay_id from essay_lsh_recent order by seq").fetchall()
    with con:
        con.execute("drop table essay_lsh")
        con.execute("drop table essay_lsh_recent")
        con.execute("drop index idx_pages_host_site")
        con.execute("create table essay_lsh (bkey integer, essay_id text)")
        con.execute("create index idx_essay_lsh_bkey on essay_lsh (bkey)")
        con.execute("create index idx_essay_lsh_essay_id on essay_lsh (essay_id)")
        con.executemany("insert into essay_lsh values (?, ?)", rows)
        con.execute("insert into essays_fts(essays_fts, rank) values ('automerge', 4)")
        con.execute("pragma user_version = 7")
    con.close()
    assert len(rows) == 64
    db = store.open_db(path)  # migrates
    assert db.conn.execute("pragma user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert lsh.is_two_level(db.conn)
    assert {r[0] for r in db.conn.execute("select name from sqlite_master where tbl_name = 'essay_lsh'")} == {"essay_lsh"}
    assert db.conn.execute("select v from essays_fts_config where k = 'automerge'").fetchone()[0] == search_index.AUTOMERGE
    assert "idx_pages_host_site" in {r[1] for r in db.conn.execute("pragma index_list(pages)")}
    db.conn.close()
    assert levels(path) == (64, 0, sorted(rows))
    lsh.create(sqlite3.connect(path))  # a second run finds nothing to do
    assert levels(path) == (64, 0, sorted(rows))
    save_all(path, bodies[4:], start=4)
    save_all(tmp_path / "new.db", bodies)
    assert marks(path) == marks(tmp_path / "new.db")
    assert levels(path)[2] == levels(tmp_path / "new.db")[2]
    assert sqlite_utils.Database(path).execute("pragma integrity_check").fetchone()[0] == "ok"
