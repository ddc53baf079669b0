"""Importing or reprocessing unchanged inputs leaves every table as it was, `duplicate_of` included,
apart from the runs table and the run bookkeeping of pages and raw responses."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from pipeline.jobs.importer import import_sources
from pipeline.jobs.reprocess import reprocess

from .conftest import FIXTURES

FANWEN = FIXTURES / "corpus" / "fanwen"
EXTRA = FIXTURES / "fanwen-extra"
DEMO = FIXTURES / "demo-site"

# run bookkeeping: which run last saw a row and when; everything else must stay as it was
BOOKKEEPING = {"runs": None, "pages": {"run_id", "fetched_at"}, "raw": {"fetched_at"}}


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every ordinary table (the search index's shadow tables included), row by row, in rowid order."""
    conn = sqlite3.connect(db)
    out: dict[str, list[tuple[object, ...]]] = {}
    names = [n for (n,) in conn.execute("select name from sqlite_master where type = 'table' and sql not like 'CREATE VIRTUAL%' "
                                        "and name not like 'sqlite_%' order by name")]
    for name in names:
        skip = BOOKKEEPING.get(name, set())
        if skip is None:
            continue
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{name}])") if r[1] not in skip]
        order = "rowid" if conn.execute(f"select count(*) from pragma_table_info('{name}') where pk > 0").fetchone()[0] < 2 else "1"
        cols = ", ".join(f"[{c}]" for c in columns)
        try:
            out[name] = conn.execute(f"select rowid, {cols} from [{name}] order by {order}").fetchall()
        except sqlite3.OperationalError:  # a WITHOUT ROWID table (FTS5 shadow tables)
            out[name] = conn.execute(f"select {cols} from [{name}] order by 1, 2").fetchall()
    conn.close()
    return out


def test_a_later_exact_copy_never_hides_an_older_near_copy(tmp_path: Path) -> None:
    """d15 nearly copies an essay of d01; a third page copies d15 exactly. Importing the three again
    used to point d15 at its later exact copy's absence (duplicate_of became empty)."""
    copy = tmp_path / "copy" / "d15-copy.html"
    copy.parent.mkdir()
    shutil.copy(FANWEN / "d15-near-duplicate-of-d01.html", copy)
    sources = [str(FANWEN / "d01-repeated-title.html"), str(FANWEN / "d15-near-duplicate-of-d01.html"), str(copy)]
    db = tmp_path / "e.db"
    import_sources(sources, db)
    first = dump(db)
    conn = sqlite3.connect(db)
    marks = conn.execute("select p.title, e.position, d.position from essays e join pages p on p.url = e.page_url "
                         "left join essays d on d.id = e.duplicate_of order by e.rowid").fetchall()
    conn.close()
    d01, d15 = marks[0][0], marks[3][0]
    assert [(m[1], m[2]) for m in marks] == [(1, None), (2, None), (3, None), (1, 2), (1, 1)]
    assert d01 != d15
    stats = import_sources(sources, db)
    assert (stats.essays_added, stats.essays_updated, stats.pages_failed) == (0, 0, 0)
    assert dump(db) == first


def test_importing_and_reprocessing_unchanged_pages_changes_no_table(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    sources = [str(FANWEN), str(EXTRA), str(DEMO)]
    import_sources(sources, db)
    first = dump(db)
    assert len(first["essays"]) > 50 and any(row[8] for row in first["essays"])  # some duplicates to keep
    import_sources(sources, db)
    assert dump(db) == first
    reprocess(db)
    assert dump(db) == first
