"""`pipeline reprocess`: stored raw pages re-extracted without network, idempotently."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.crawl.settings import load_site
from pipeline.jobs.demo_site import SiteServer, folder_site

from .conftest import FIXTURES


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def snapshot(db: Path) -> list[tuple[object, ...]]:
    d = sqlite_utils.Database(db)
    return [tuple(r.values()) for r in d.query("select id, page_url, position, title, text, text_sha1 from essays order by id")]


def crawl_demo(db: Path) -> None:
    from pipeline.jobs.crawl_run import crawl

    site = load_site(FIXTURES / "sites" / "demo.toml")
    with SiteServer(folder_site(FIXTURES / "demo-site")) as server:
        report = crawl([site.with_base(server.base)], db)
    assert report.stats.pages_failed == 0


def test_reprocess_is_idempotent_and_offline(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    crawl_demo(db)  # the server is gone after this: reprocess cannot use the network
    before = snapshot(db)
    assert len(before) == 62
    pages_before = [tuple(r.values()) for r in sqlite_utils.Database(db).query(
        "select url, status, etag, last_modified, content_sha1, parts, essay_count from pages order by url")]
    code, err = run("reprocess", "--db", str(db))
    assert code == 0, err
    assert err.strip().startswith("reprocessed 38 pages, 0 essays added, 0 updated, 0 failed in ")
    assert snapshot(db) == before
    d = sqlite_utils.Database(db)
    assert [tuple(r.values()) for r in d.query(
        "select url, status, etag, last_modified, content_sha1, parts, essay_count from pages order by url")] == pages_before
    assert [r["kind"] for r in d.query("select kind from runs order by id")] == ["crawl", "reprocess"]


def test_reprocess_repairs_changed_rows(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    crawl_demo(db)
    before = snapshot(db)
    d = sqlite_utils.Database(db)
    with d.conn:
        d.execute("update essays set text = 'garbled', text_sha1 = 'x' where page_url like '%/report/1.html'")
        d.execute("delete from essays where page_url like '%/gbk/2.html' and position = 2")
    code, err = run("reprocess", "--db", str(db))
    assert code == 0
    assert "1 essays added, 1 updated, 0 failed" in err
    assert snapshot(db) == before  # the three-part report is joined again from its stored parts


def test_reprocess_missing_db(tmp_path: Path) -> None:
    code, err = run("reprocess", "--db", str(tmp_path / "none.db"))
    assert code == 2
    assert err.strip() == f"error: no such database: {tmp_path / 'none.db'}"
    assert not (tmp_path / "none.db").exists()
