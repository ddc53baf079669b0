"""`pipeline export` (JSON lines, CSV, Parquet read back with pyarrow and DuckDB) and `reprocess --outdated`."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.jobs.demo_warc import folder_captures, generated_captures, write_records

from .conftest import FIXTURES

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("export")
    warc = tmp / "demo.warc.gz"
    with open(warc, "wb") as out:
        write_records(out, folder_captures(FIXTURES / "demo-site", when=T0))
    db = tmp / "demo.db"
    run("import", str(warc), "--db", str(db), "--copy-raw")
    return db


def stored(db: Path) -> list[dict[str, Any]]:
    sql = ("select p.url, p.title as page_title, e.id, e.position, e.title, e.text, e.chars, e.changed_at from essays e "
           "join pages p on p.url = e.page_url order by p.url, e.position")
    return list(sqlite_utils.Database(db).query(sql))


def test_jsonl_per_essay_carries_the_page_fields(demo_db: Path) -> None:
    code, out, err = run("export", "--db", str(demo_db))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    want = stored(demo_db)
    assert len(records) == len(want) == 70
    assert [{k: r[k] for k in want[0]} for r in records] == want
    assert list(records[0]) == ["url", "site", "page_title", "published", "breadcrumb", "category", "author", "source",
                                "fetched_at", "encoding", "extractor_version", "id", "position", "title", "text", "chars",
                                "text_sha1", "duplicate_of", "script", "changed_at"]
    assert records[0]["fetched_at"] == "2024-05-01T00:00:00+00:00" and records[0]["extractor_version"] == 1
    assert err.startswith("exported 70 essays as jsonl in ")


def test_per_page_groups_the_essays_and_csv_has_a_header(demo_db: Path) -> None:
    _, out, _ = run("export", "--db", str(demo_db), "--per", "page")
    pages = [json.loads(line) for line in out.splitlines()]
    want = stored(demo_db)
    assert sum(len(p["essays"]) for p in pages) == 70
    assert [(p["url"], e["id"]) for p in pages for e in p["essays"]] == [(w["url"], w["id"]) for w in want]
    _, out, _ = run("export", "--db", str(demo_db), "--format", "csv", "--where", "chars > 300")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == [w["id"] for w in want if w["chars"] > 300]
    assert rows[0]["breadcrumb"].startswith('["')


def test_parquet_reads_back_with_pyarrow_and_duckdb(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "essays.parquet"
    code, _, err = run("export", "--db", str(demo_db), "--format", "parquet", "-o", str(target))
    assert code == 0, err
    table = pq.read_table(target)
    assert str(table.schema.field("changed_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("breadcrumb").type) == "list<element: string>"
    got = table.to_pylist()
    want = stored(demo_db)
    assert [(g["url"], g["id"], g["title"], g["text"], g["chars"]) for g in got] == [
        (w["url"], w["id"], w["title"], w["text"], w["chars"]) for w in want]
    assert [g["changed_at"].isoformat(timespec="seconds") for g in got] == [w["changed_at"] for w in want]
    by_site = duckdb.sql(f"select count(*), sum(chars) from '{target}'").fetchall()
    assert by_site == [(70, sum(w["chars"] for w in want))]
    pages = tmp_path / "pages.parquet"
    run("export", "--db", str(demo_db), "--format", "parquet", "--per", "page", "-o", str(pages))
    assert duckdb.sql(f"select sum(len(essays)) from '{pages}'").fetchall() == [(70,)]


def test_since_exports_only_what_changed_after_the_time(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    first, second = tmp_path / "1.warc.gz", tmp_path / "2.warc.gz"
    captures = list(generated_captures(6, when=T0))
    with open(first, "wb") as out:
        write_records(out, captures[:3])
    with open(second, "wb") as out:
        write_records(out, captures[3:])
    run("import", str(first), "--db", str(db))
    mark = max(w["changed_at"] for w in stored(db))
    for _ in range(30):  # changed_at has whole seconds: wait for the next one (bounded)
        if datetime.now(UTC).isoformat(timespec="seconds") > mark:
            break
        time.sleep(0.1)
    run("import", str(second), "--db", str(db))
    _, out, _ = run("export", "--db", str(db), "--since", mark)
    assert sorted(json.loads(line)["url"] for line in out.splitlines()) == sorted(c.url for c in captures[3:])
    code, _, err = run("export", "--db", str(db), "--since", "last tuesday")
    assert code == 2 and "--since: not a date or time: 'last tuesday'" in err


def test_reprocess_outdated_redoes_only_pages_of_older_extractors(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(demo_db.read_bytes())
    code, _, err = run("reprocess", "--db", str(db), "--outdated")
    assert "reprocessed 0 pages" in err
    with sqlite_utils.Database(db).conn as conn:  # as a page stored by an extractor before versions were recorded
        conn.execute("update pages set extractor_version = null where url like '%/fanwen/1.html'")
    code, _, err = run("reprocess", "--db", str(db), "--outdated")
    assert code == 0 and "reprocessed 1 pages, 0 essays added, 0 updated, 0 failed" in err
    assert sqlite_utils.Database(db).execute("select count(*) from pages where extractor_version is null").fetchone()[0] == 0


def test_bad_output_paths_and_conditions_are_refused_before_writing(demo_db: Path, tmp_path: Path) -> None:
    code, _, err = run("export", "--db", str(demo_db), "-o", str(tmp_path / "no" / "x.jsonl"))
    assert code == 2 and f"error: the folder of the output file does not exist: {tmp_path / 'no'}" in err
    target = tmp_path / "x.jsonl"
    target.write_text("old\n", encoding="utf-8")
    code, _, err = run("export", "--db", str(demo_db), "-o", str(target))
    assert code == 2 and f"error: the output file exists: {target} (pass --overwrite to replace it)" in err
    assert target.read_text(encoding="utf-8") == "old\n"
    code, _, err = run("export", "--db", str(demo_db), "-o", str(target), "--overwrite")
    assert code == 0 and len(target.read_text(encoding="utf-8").splitlines()) == 70
    code, _, err = run("export", "--db", str(demo_db), "--where", "no_such_column = 1", "-o", str(tmp_path / "y.jsonl"))
    assert code == 2 and "error: --where: no such column: no_such_column" in err
    assert not (tmp_path / "y.jsonl").exists()
    code, _, err = run("export", "--db", str(demo_db), "--format", "parquet")
    assert code == 2 and "--format parquet needs -o FILE" in err
    code, _, err = run("export", "--db", str(tmp_path / "none.db"))
    assert code == 2 and f"error: no database at {tmp_path / 'none.db'}" in err
