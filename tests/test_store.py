"""The store: one transaction per page, unchanged rows not rewritten, database errors as StoreError."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from pipeline import store
from pipeline.errors import StoreError
from pipeline.jobs.process import process
from pipeline.models import RunStats
from pipeline.text.encoding import decode

from .conftest import FIXTURES

SEED = FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt"


def seed_result(url: str = "http://127.0.0.1/seed.txt"):  # type: ignore[no-untyped-def]
    return process(decode(SEED.read_bytes())[0], url, "utf-8")


def test_a_failing_essay_rolls_the_whole_page_back(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "e.db")
    # a real database-level fault: the third essay cannot be inserted
    db.execute("CREATE TRIGGER no_third BEFORE INSERT ON essays WHEN NEW.position = 3 BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    run = store.start_run(db, "import", {})
    with pytest.raises(StoreError, match=r"^cannot store http://127.0.0.1/seed.txt: disk says no$"):
        store.save_result(db, seed_result(), run)
    assert (db["pages"].count, db["essays"].count, db["essay_sigs"].count, db["essay_lsh"].count, db["essay_lsh_recent"].count,
            db["raw"].count) == (0, 0, 0, 0, 0, 0)
    db.execute("DROP TRIGGER no_third")
    assert store.save_result(db, seed_result(), run, raw=(SEED.read_bytes(), "text/plain")) == (3, 0)
    assert (db["pages"].count, db["essays"].count, db["raw"].count) == (1, 3, 1)


def test_unchanged_essays_are_not_rewritten(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "e.db")
    run = store.start_run(db, "import", {})
    store.save_result(db, seed_result(), run)
    db.execute("CREATE TABLE writes (id TEXT)")
    db.execute("CREATE TRIGGER count_writes AFTER UPDATE ON essays BEGIN INSERT INTO writes VALUES (NEW.id); END")
    db.conn.commit()
    assert store.save_result(db, seed_result(), run) == (0, 0)
    assert db["writes"].count == 0
    store.finish_run(db, run, RunStats(kind="import", pages_fetched=2, essays_added=3), "ok")
    assert next(db.query("select status, pages_fetched, essays_added from runs")) == {"status": "ok", "pages_fetched": 2, "essays_added": 3}


def test_open_db_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        store.open_db(bad)
    assert isinstance(sqlite_utils.Database(tmp_path / "fresh.db"), sqlite_utils.Database)


def test_the_common_site_of_a_host_is_the_one_most_of_its_pages_have(tmp_path: Path) -> None:
    db = store.open_db(tmp_path / "e.db")
    rows = [("http://h.example/1", "h.example", "blog"), ("http://h.example/2", "h.example", "news"),
            ("http://h.example/3", "h.example", "news"), ("http://one.example/1", "one.example", "one"),
            ("http://one.example/2", "one.example", "one"), ("http://none.example/1", "none.example", None)]
    with db.conn:
        db.conn.executemany("insert into pages (url, host, site, essay_count) values (?, ?, ?, 0)", rows)
    assert [store.common_site(db, h) for h in ("h.example", "one.example", "none.example", "other.example")] == [
        "news", "one", None, None]
    plan = " ".join(r[3] for r in db.execute("explain query plan select site from pages where host = ? and site is not null "
                                             "order by site limit 1", ["one.example"]))
    assert "idx_pages_host_site" in plan
