"""Runs on a real Dask LocalCluster: the database ends exactly as a single-process run leaves it."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline.jobs.chrome_site import ChromeSite
from pipeline.jobs.cluster import ClusterSpec, connect, parse_spec
from pipeline.jobs.demo_warc import Capture, write_records
from pipeline.jobs.importer import import_sources
from pipeline.jobs.reprocess import reprocess

WORDS = ("河流", "山川", "城市", "清晨", "灯火", "书本", "老师", "孩子", "花园", "远方", "记忆", "勇气", "风雨", "星空", "田野", "故乡")
BOOKKEEPING = {"run_id", "fetched_at", "changed_at"}
# the search index's segments follow the commit boundaries (store.batch: 200 pages or 1 s), not the content
SEGMENTS = {"essays_fts_data", "essays_fts_idx"}
# so does which of the two levels holds an essay's band keys (store.lsh): compared as one set of rows
LSH_LEVELS = ("essay_lsh", "essay_lsh_recent")


def _sentence(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))) + "。"


def write_collection(folder: Path, pages: int, seed: int) -> None:
    """Pages of 1-2 essays; every fifth page copies an earlier one with one sentence changed (a near copy),
    every seventh copies one exactly."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[list[str]] = []
    for i in range(pages):
        if i % 5 == 4 and texts:
            paras = list(rng.choice(texts))
            paras[-1] = _sentence(rng) * 3
        elif i % 7 == 6 and texts:
            paras = list(rng.choice(texts))
        else:
            paras = ["".join(_sentence(rng) for _ in range(5)) for _ in range(rng.randint(4, 7))]
        texts.append(paras)
        body = "".join(f"<p>{p}</p>" for p in paras)
        html = f"<html><head><title>文章{i}</title></head><body><h1>文章{i}</h1><article>{body}</article></body></html>"
        (folder / f"page{i:03d}.html").write_text(html, encoding="utf-8")


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table but `runs`, row by row in rowid order, without the run bookkeeping columns."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        for table in tables:
            if table == "runs" or table in SEGMENTS or table in LSH_LEVELS:
                continue
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[1] not in BOOKKEEPING]
            order = "rowid" if table not in ("essays_fts_config", "essays_fts_data", "essays_fts_idx", "essays_fts_docsize") else "1"
            out[table] = conn.execute(f"select {', '.join(f'[{c}]' for c in cols)} from [{table}] order by {order}").fetchall()
        out["essay_lsh"] = conn.execute(" union all ".join(f"select bkey, essay_id from [{t}]" for t in LSH_LEVELS)
                                        + " order by 1, 2").fetchall()
        return out
    finally:
        conn.close()


def _forget_essays(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        for table in (*LSH_LEVELS, "essay_sigs", "essays"):
            conn.execute(f"delete from {table}")
    conn.execute("VACUUM")
    conn.close()


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("collection")
    write_collection(root / "pages", 60, seed=7)
    db = root / "base.db"
    stats = import_sources([str(root / "pages")], db)
    assert (stats.pages_fetched, stats.pages_failed) == (60, 0)
    _forget_essays(db)
    return db


@pytest.mark.slow
def test_reprocess_on_a_two_worker_cluster_equals_the_single_process_run(imported: Path, tmp_path: Path) -> None:
    single, spread = tmp_path / "single.db", tmp_path / "spread.db"
    shutil.copy(imported, single)
    shutil.copy(imported, spread)
    one = reprocess(single)
    two = reprocess(spread, cluster=ClusterSpec(workers=2))
    assert (one.pages_fetched, one.essays_added, one.pages_failed) == (two.pages_fetched, two.essays_added, two.pages_failed)
    assert one.pages_fetched == 60
    a, b = dump(single), dump(spread)
    assert a == b
    dups = [r for r in a["essays"] if r[7]]  # duplicate_of is marked on the planted copies
    assert len(dups) >= 10


def test_cluster_specs() -> None:
    assert parse_spec("local:3") == ClusterSpec(workers=3)
    assert parse_spec("tcp://127.0.0.1:8786") == ClusterSpec(address="tcp://127.0.0.1:8786")
    for bad in ("local:0", "local:x", "nowhere"):
        with pytest.raises(Exception, match="--dask"):
            parse_spec(bad)


def test_an_unreachable_scheduler_is_a_usage_error_and_nothing_is_written(imported: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "untouched.db"
    shutil.copy(imported, db)
    before = db.read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main(["reprocess", "--db", str(db), "--dask", "tcp://127.0.0.1:9"], standalone_mode=False)
    assert exit_info.value.code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
    assert db.read_bytes() == before


def write_warcs(folder: Path, pages: Path, files: int, recapture: bool = True) -> list[Path]:
    """The collection's pages as WARC files (round robin), one capture each, plus (with `recapture`) a second,
    later capture of page 1 in the last file, and a PNG response (skipped)."""
    when = datetime(2024, 5, 1, tzinfo=UTC)
    htmls = sorted(pages.glob("*.html"))
    groups: list[list[Capture]] = [[] for _ in range(files)]
    for i, page in enumerate(htmls):
        groups[i % files].append(Capture(f"http://warc.example/{page.name}", when + timedelta(minutes=i), page.read_bytes()))
    if recapture:
        groups[-1].append(Capture(f"http://warc.example/{htmls[1].name}", when + timedelta(days=1), htmls[2].read_bytes()))
    groups[0].append(Capture("http://warc.example/logo.png", when, b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"))
    out = []
    for k, group in enumerate(groups):
        path = folder / f"part{k}.warc.gz"
        with open(path, "wb") as fh:
            write_records(fh, group)
        out.append(path)
    return out


@pytest.fixture(scope="module")
def warcs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("warcs")
    write_collection(root / "pages", 90, seed=11)
    return write_warcs(root, root / "pages", 3)


@pytest.mark.slow
def test_warc_import_on_a_two_worker_cluster_equals_the_single_process_import(warcs: list[Path], tmp_path: Path) -> None:
    single, spread = tmp_path / "single.db", tmp_path / "spread.db"
    one = import_sources([str(p) for p in warcs], single)
    two = import_sources([str(p) for p in warcs], spread, cluster=ClusterSpec(workers=2))
    assert (one.pages_fetched, one.pages_failed, one.essays_added) == (two.pages_fetched, two.pages_failed, two.essays_added)
    assert (one.pages_fetched, one.pages_failed) == (91, 0)  # the later capture of page 1 is stored over the first
    assert one.skipped == two.skipped == {"not a text page": 1, "request record": 92, "superseded": 1}
    a, b = dump(single), dump(spread)
    assert a == b
    assert len([r for r in a["essays"] if r[7]]) >= 10


@pytest.mark.slow
def test_reprocess_of_an_archive_import_reads_the_records_on_the_workers_and_records_a_moved_archive(
        warcs: list[Path], tmp_path: Path) -> None:
    """Pages kept as WARC pointers: the workers read the records; an archive gone since the import
    fails its pages with the reason the single-process run gives, and their essays stay."""
    copies = []
    for path in warcs:
        copies.append(tmp_path / path.name)
        shutil.copy(path, copies[-1])
    base = tmp_path / "base.db"
    import_sources([str(p) for p in copies], base)
    single, spread = tmp_path / "single.db", tmp_path / "spread.db"
    shutil.copy(base, single)
    shutil.copy(base, spread)
    copies[1].rename(tmp_path / "moved.warc.gz")
    one = reprocess(single)
    two = reprocess(spread, cluster=ClusterSpec(workers=2))
    assert (one.pages_fetched, one.pages_failed, one.essays_added, one.essays_updated) == (61, 29, 0, 0)  # page 1: a later capture
    assert (two.pages_fetched, two.pages_failed, two.essays_added, two.essays_updated) == (61, 29, 0, 0)
    assert sorted(one.failures) == sorted(two.failures)
    assert all(f"archive {copies[1]} cannot be read" in f for f in one.failures)
    assert dump(single) == dump(spread)


@pytest.mark.slow
def test_a_second_import_cleaning_with_learned_chrome_on_a_cluster_equals_the_single_process_runs(tmp_path: Path) -> None:
    """The second archive is cleaned of the lines the first taught its host, with the fingerprints
    the workers computed: both runs end exactly as single-process runs do."""
    site = ChromeSite(163, 40)
    when = datetime(2024, 5, 1, tzinfo=UTC)
    halves = []
    for k, articles in enumerate((site.articles[:20], site.articles[20:])):
        halves.append(tmp_path / f"half{k}.warc.gz")
        with halves[-1].open("wb") as out:
            write_records(out, [Capture(f"http://chrome.example/a/{a.number}.html", when + timedelta(minutes=a.number),
                                        site.article_html(a).encode(), "text/html; charset=utf-8") for a in articles])
    single, spread = tmp_path / "single.db", tmp_path / "spread.db"
    for half in halves:
        one = import_sources([str(half)], single)
        two = import_sources([str(half)], spread, cluster=ClusterSpec(workers=2))
        assert (one.pages_fetched, one.essays_added, one.essays_updated) == (two.pages_fetched, two.essays_added, two.essays_updated)
        assert dump(single) == dump(spread)
    conn = sqlite3.connect(single)
    cleaned_in_run = {u for (u,) in conn.execute("select distinct c.url from chrome_removed c join pages p on p.url = c.url "
                                                 "where p.run_id = 2")}
    conn.close()
    # every page of the second archive lost the learned lines as it was stored
    assert cleaned_in_run == {f"http://chrome.example/a/{a.number}.html" for a in site.articles[20:]}
    one = reprocess(single)  # every page cleaned again of what the site learned, the WARC records read again
    two = reprocess(spread, cluster=ClusterSpec(workers=2))
    assert (one.pages_fetched, one.pages_failed, one.essays_updated) == (two.pages_fetched, two.pages_failed, two.essays_updated)
    assert (one.pages_fetched, one.pages_failed) == (40, 0)
    assert dump(single) == dump(spread)


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_record(warcs: list[Path], tmp_path: Path) -> None:
    single, spread = tmp_path / "single.db", tmp_path / "spread.db"
    import_sources([str(p) for p in warcs], single)
    killed: list[int] = []

    def kill_one_worker(source: str, error: str) -> None:  # called by the writer after each stored page
        if len(killed) == 0 and source.endswith("page020.html"):
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    with connect(ClusterSpec(workers=2)) as client:
        from pipeline.jobs import importer

        stats = importer._import([str(p) for p in warcs], spread, kill_one_worker, None, 20.0, 0.7, None, False, client)
    assert len(killed) == 1
    assert (stats.pages_fetched, stats.pages_failed) == (91, 0)
    assert dump(single) == dump(spread)


@pytest.mark.slow
def test_an_archive_the_workers_cannot_read_is_recorded_and_the_run_goes_on(warcs: list[Path], tmp_path: Path) -> None:
    db = tmp_path / "partial.db"
    missing = tmp_path / "elsewhere" / "gone.warc.gz"
    stats = import_sources([str(missing), str(warcs[0])], db, cluster=ClusterSpec(workers=2))
    assert stats.pages_fetched == 30
    assert stats.pages_failed == 1
    assert stats.failures == [f"{missing}@0: cannot open: No such file or directory"]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from pages where error is null").fetchone()[0] == 30
        assert conn.execute("select source, error from source_failures").fetchall() == [(str(missing), "cannot open: No such file or directory")]
    finally:
        conn.close()


def _sqlite_marks(path: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select id, duplicate_of from essays order by rowid").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_parquet_shards_carry_the_same_records_and_duplicate_marks_as_the_sqlite_run(tmp_path: Path) -> None:
    write_collection(tmp_path / "pages", 80, seed=23)
    files = [str(p) for p in write_warcs(tmp_path, tmp_path / "pages", 2, recapture=False)]
    import_sources(files, tmp_path / "single.db")
    out = tmp_path / "shards"
    with pytest.raises(SystemExit) as exit_info:
        main(["import", *files, "--dask", "local:2", "--output", f"parquet:{out}"], standalone_mode=False)
    assert exit_info.value.code == 0
    table = pa.concat_tables([pq.read_table(p) for p in sorted(out.glob("essays-*.parquet"))])
    rows = table.sort_by([("seq", "ascending"), ("position", "ascending")]).select(["id", "duplicate_of"]).to_pylist()
    expected = _sqlite_marks(tmp_path / "single.db")
    assert [(r["id"], r["duplicate_of"]) for r in rows] == expected
    assert len([m for _, m in expected if m]) >= 10
    pages = pa.concat_tables([pq.read_table(p) for p in sorted(out.glob("pages-*.parquet"))])
    assert pages.num_rows == 80 and pages.column("error").null_count == 80
    assert json.loads((out / "_essay_pipeline.json").read_text())["duplicates_marked"] is True


@pytest.mark.slow
def test_a_shard_folder_of_an_earlier_run_needs_overwrite_and_another_tools_folder_is_refused(tmp_path: Path,
                                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_collection(tmp_path / "pages", 6, seed=5)
    files = [str(p) for p in write_warcs(tmp_path, tmp_path / "pages", 1, recapture=False)]
    out = tmp_path / "shards"
    args = ["import", *files, "--dask", "local:1", "--output", f"parquet:{out}"]
    with pytest.raises(SystemExit) as first:
        main(args, standalone_mode=False)
    with pytest.raises(SystemExit) as again:
        main(args, standalone_mode=False)
    assert (first.value.code, again.value.code) == (0, 2)
    assert "pass --overwrite to replace them" in capsys.readouterr().err
    with pytest.raises(SystemExit) as replaced:
        main([*args, "--overwrite"], standalone_mode=False)
    assert replaced.value.code == 0
    other = tmp_path / "theirs"
    other.mkdir()
    (other / "part-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(SystemExit) as refused:
        main(["import", *files, "--dask", "local:1", "--output", f"parquet:{other}", "--overwrite"], standalone_mode=False)
    assert refused.value.code == 2
    assert "not this project's shards" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["part-0.parquet"]
