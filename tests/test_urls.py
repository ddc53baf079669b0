"""Canonical URLs: one page per resource in the frontier and the store; migration 3 merges the
variants an older database holds; one URL's unexpected failure is recorded and the run goes on."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from pipeline import store
from pipeline.crawl import frontier
from pipeline.crawl.scheduler import PageDone, PageJob
from pipeline.crawl.settings import load_sites
from pipeline.jobs.crawl_run import Workers
from pipeline.jobs.importer import import_sources
from pipeline.jobs.process import process
from pipeline.models import Essay, RunStats
from pipeline.rules import load
from pipeline.store import migrations, search_index, url_migration
from pipeline.store.url_migration import essay_id
from pipeline.text.urls import canonical_url, safe_canonical

from .conftest import Server, write_site
from .test_crawl import ARTICLE, HTML, crawl, listing, rows, short


@pytest.mark.parametrize("url, canonical", load("urls")["examples"])
def test_canonical_url_examples(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


def test_malformed_urls() -> None:
    with pytest.raises(ValueError):
        canonical_url("http://[oops/")
    assert safe_canonical("http://[oops/") is None and safe_canonical("http://h:99999/") is None
    assert canonical_url("file:///tmp/a b.html") == "file:///tmp/a b.html"


def article(title: str) -> bytes:
    return ARTICLE.replace(b"Community garden opens on Elm Street", title.encode())


def test_variants_of_one_url_are_one_page_in_a_crawl(server: Server, tmp_path: Path) -> None:
    hrefs = ["文章.html", "%E6%96%87%E7%AB%A0.html", "%e6%96%87%e7%ab%a0.html#top", "a b.html", "a%20b.html",
             "p.html?utm_source=feed&utm_medium=rss", "p.html", "p.html?utm_campaign=x#c", "/t//q.html", "/t/q.html",
             f"http://127.0.0.1:{server.httpd.server_address[1]}/t/q.html"]
    server.routes.set("/t/", body=listing(*hrefs), headers=HTML)
    for path, title in (("/t/%E6%96%87%E7%AB%A0.html", "Wen zhang"), ("/t/a%20b.html", "A b"), ("/t/p.html", "P page"),
                        ("/t/q.html", "Q page")):
        server.routes.set(path, body=article(title), headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/[^/]+\.html"], [r"/t/$"])
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert [(short(server, u), t, n) for u, t, n in rows(db, "select url, title, essay_count from pages order by url")] == [
        ("/t/%E6%96%87%E7%AB%A0.html", "Wen zhang", 1), ("/t/a%20b.html", "A b", 1), ("/t/p.html", "P page", 1),
        ("/t/q.html", "Q page", 1)]
    assert sorted(h for h in server.routes.hits if h != "/robots.txt") == [
        "/t/", "/t/%E6%96%87%E7%AB%A0.html", "/t/a%20b.html", "/t/p.html", "/t/q.html"]
    ids = rows(db, "select id, page_url from essays order by page_url")
    assert ids == [(essay_id(u, 1), u) for _, u in ids]


def test_redirect_records_the_canonical_url_and_the_one_fetched(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/", body=listing("old.html?utm_source=x"), headers=HTML)
    server.routes.set("/t/old.html", 301, headers={"Location": "/t//new%20page.html?utm_medium=y#frag"})
    server.routes.set("/t/new%20page.html", body=article("Moved"), headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/\w+\.html"], [r"/t/$"])
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert [(short(server, u), short(server, f)) for u, f in rows(db, "select url, final_url from pages")] == [
        ("/t/old.html", "/t/new%20page.html")]


def test_import_keys_pages_on_the_canonical_url(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/a%20b.html", body=article("A b"), headers=HTML)
    db = tmp_path / "e.db"
    for url in (server.url("/t/a b.html"), server.url("/t//a%20b.html?utm_source=x"), server.url("/t/a%20b.html#x")):
        stats = import_sources([url], db)
        assert stats.pages_fetched == 1
    assert [(short(server, u), n) for u, n in rows(db, "select url, essay_count from pages")] == [("/t/a%20b.html", 1)]
    assert rows(db, "select count(*) from essays") == [(1,)]


# --- migration 4 on a database written as the code of migration 1 writes it ---


def _write_v1(path: Path, pages: list[tuple[str, str, str]]) -> None:
    """Store (url, title, text) pages exactly as the store wrote them before canonical URLs (the URL
    as given), then mark the file as schema version 1."""
    db = store.open_db(path)
    run_id = store.start_run(db, "import", {})
    for i, (url, title, text) in enumerate(pages):
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
        result = process(html, url, "utf-8")
        store.save_result(db, result, run_id, {"status": 200, "fetched_at": f"2026-01-0{i + 1}T00:00:00"},
                          (html.encode(), "text/html"))
    store.finish_run(db, run_id, RunStats(kind="import"), "ok")
    with db.conn:
        db.conn.execute("PRAGMA user_version = 1")
    db.conn.close()


TEXT_A = "The council opened the new community garden on Elm Street this morning, with forty raised beds for neighbours. " * 3
TEXT_B = "Volunteers planted tomatoes and beans while the children painted signs for every bed in the garden. " * 3


def test_migration_merges_url_variants_and_keeps_ids_index_and_duplicates_consistent(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    h = "http://example.org"
    _write_v1(path, [
        (f"{h}/t/a b.html", "Garden old", TEXT_A),            # fetched first
        (f"{h}/t/a%20b.html", "Garden new", TEXT_A),          # the same page, fetched later: it is kept
        (f"{h}/t/p.html?utm_source=feed", "Beans", TEXT_B),   # alone: renamed
        (f"{h}:80//t/copy.html", "Copy", TEXT_A),             # a copy of the garden text on another page
    ])
    old = sqlite_utils.Database(path)
    frontier.ensure(old)  # the crawl's queue, as a crawl left it
    with old.conn:
        for url, state, depth in ((f"{h}/t/a b.html", "done", 2), (f"{h}/t/a%20b.html", "pending", 1),
                                  (f"{h}/t/p.html?utm_source=feed", "failed", 1), (f"{h}/t/", "done", 0)):
            old.conn.execute("insert into frontier (url, site, depth, kind, state) values (?, 's', ?, 'article', ?)", [url, depth, state])
    old.conn.close()
    conn = sqlite3.connect(path)
    before = dict(conn.execute("select page_url, duplicate_of from essays").fetchall())
    conn.close()
    assert before[f"{h}/t/a%20b.html"] == essay_id(f"{h}/t/a b.html", 1)  # today's code: the variant is a "duplicate"
    assert before[f"{h}:80//t/copy.html"] == essay_id(f"{h}/t/a b.html", 1)

    db = store.open_db(path)  # migrates
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    pages = rows(path, "select url, title from pages order by url")
    assert pages == [(f"{h}/t/a%20b.html", "Garden new"), (f"{h}/t/copy.html", "Copy"), (f"{h}/t/p.html", "Beans")]
    essays = rows(path, "select id, page_url, position, duplicate_of from essays order by page_url")
    garden = essay_id(f"{h}/t/a%20b.html", 1)
    assert essays == [(garden, f"{h}/t/a%20b.html", 1, None), (essay_id(f"{h}/t/copy.html", 1), f"{h}/t/copy.html", 1, garden),
                      (essay_id(f"{h}/t/p.html", 1), f"{h}/t/p.html", 1, None)]
    assert all(Essay(page_url=u, position=p, title="", text="", text_sha1="").id == i for i, u, p, _ in essays)
    assert rows(path, "select url from raw order by url") == [(u,) for u, _ in pages]
    assert sorted(r[0] for r in rows(path, "select essay_id from essay_sigs")) == sorted(e[0] for e in essays)
    assert {r[0] for r in rows(path, "select essay_id from essay_lsh union select essay_id from essay_lsh_recent")} == {
        e[0] for e in essays}
    assert sorted(hit.id for hit in search_index.search(db, "raised beds")) == sorted([garden, essay_id(f"{h}/t/copy.html", 1)])
    assert [hit.id for hit in search_index.search(db, "tomatoes")] == [essay_id(f"{h}/t/p.html", 1)]
    assert rows(path, "select url, state, depth from frontier order by url") == [
        (f"{h}/t/", "done", 0), (f"{h}/t/a%20b.html", "done", 2), (f"{h}/t/p.html", "failed", 1)]
    assert db.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.conn.close()
    again = sqlite_utils.Database(path)
    url_migration.canonical_urls(again)  # idempotent: a second run changes nothing
    assert rows(path, "select id, page_url, position, duplicate_of from essays order by page_url") == essays
    again.conn.close()


# --- any failure of one URL is recorded on it; a fault of the database itself stops the run ---


class Faulty(Workers):
    """The crawl's real page processor, with a fault injected for the URLs named."""

    def __init__(self, db: sqlite_utils.Database, path: Path, faults: dict[str, BaseException]) -> None:
        super().__init__(db, path)
        self.faults = faults

    async def run(self, job: PageJob) -> PageDone:
        for suffix, exc in self.faults.items():
            if job.url.endswith(suffix):
                raise exc
        return await super().run(job)


def _crawl_with(server: Server, tmp_path: Path, faults: dict[str, BaseException]) -> tuple[Any, Path]:
    from pipeline.crawl.scheduler import Crawler

    server.routes.set("/t/", body=listing("a1.html", "a2.html", "a3.html", "a4.html"), headers=HTML)
    for i in range(1, 5):
        server.routes.set(f"/t/a{i}.html", body=article(f"Page {i}"), headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"])
    path = tmp_path / "e.db"
    db = store.open_db(path)
    frontier.ensure(db)
    run_id = store.start_run(db, "crawl", {})
    crawler = Crawler(db, load_sites([str(site)]), run_id, workers=Faulty(db, path, faults))
    return asyncio.run(crawler.run()), path


def test_unexpected_errors_are_one_urls_failure(server: Server, tmp_path: Path) -> None:
    report, path = _crawl_with(server, tmp_path, {"a1.html": MemoryError(), "a3.html": KeyError("spam")})
    assert (report.stats.pages_fetched, report.stats.pages_failed) == (3, 2)  # the listing and two articles
    assert [(short(server, u), e, n) for u, e, n in rows(path, "select url, error, essay_count from pages order by url")] == [
        ("/t/a1.html", "internal error: MemoryError: ", 0), ("/t/a2.html", None, 1),
        ("/t/a3.html", "internal error: KeyError: 'spam'", 0), ("/t/a4.html", None, 1)]
    assert rows(path, "select count(*) from frontier where state = 'pending'") == [(0,)]


def test_a_database_fault_stops_the_run(server: Server, tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _crawl_with(server, tmp_path, {"a2.html": sqlite3.OperationalError("disk I/O error")})


def test_archive_captures_of_url_variants_are_one_page(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from click.testing import CliRunner

    from pipeline.cli import main
    from pipeline.jobs.demo_warc import Capture, write_records

    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    body = ARTICLE.decode()
    variants = ["http://x.example/a b.html", "http://x.example:80//a%20b.html?utm_source=feed", "http://x.example/a%20b.html#c"]
    captures = [Capture(u, t0 + timedelta(days=i), body.replace("Elm Street", f"Elm Street {i}").encode())
                for i, u in enumerate(variants)]
    warc = tmp_path / "x.warc.gz"
    with open(warc, "wb") as out:
        write_records(out, captures)
    db = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["import", str(warc), "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    assert rows(db, "select url, title from pages") == [("http://x.example/a%20b.html", "Community garden opens on Elm Street 2")]
    assert rows(db, "select id from essays") == [(essay_id("http://x.example/a%20b.html", 1),)]
