"""`pipeline crawl` against a real server on 127.0.0.1: discovery, incremental re-runs, runs, lock, limits."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.store.lock import DbLock

from .conftest import FIXTURES, Server, write_site

ARTICLE = (FIXTURES / "pages" / "own-article.html").read_bytes()
TITLE = "Community garden opens on Elm Street"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def listing(*hrefs: str, title: str = "List") -> bytes:
    links = "".join(f'<li><a href="{h}">item {i}</a></li>' for i, h in enumerate(hrefs))
    return f"<html><head><title>{title}</title></head><body><ul>{links}</ul></body></html>".encode()


def crawl(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["crawl", *args])
    return result.exit_code, result.stderr


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in sqlite_utils.Database(db).query(sql)]


def short(server: Server, url: str) -> str:
    return url.replace(server.base, "")


def etagged(body: bytes, tag: str) -> Any:
    """A route with an ETag that answers 304 to a matching If-None-Match."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == tag:
            handler.send_response(304)
            handler.send_header("ETag", tag)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("ETag", tag)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return route


def basic_site(server: Server, tmp_path: Path, **fetch: Any) -> Path:
    server.routes.set("/t/", body=listing("a1.html", "a2.html", "/t/a3.html#top", "other.html", "http://example.com/t/a9.html",
                                          "mailto:x@example.com"), headers=HTML)
    for name in ("a1", "a2", "a3"):
        server.routes.set(f"/t/{name}.html", body=ARTICLE, headers=HTML)
    return write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d+\.html$"], [r"/t/$"], **fetch)


def test_crawl_discovers_and_stores_articles(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    code, err = crawl(str(basic_site(server, tmp_path)), "--db", str(db))
    assert code == 0, err
    assert err.splitlines()[-1].startswith(
        "crawled 4 pages (0 unchanged, 0 skipped, 0 failed), 3 essays added, 0 updated in ")
    assert err.splitlines()[-1].endswith(f"s -> {db}")
    assert [(short(server, u), t, n, e) for u, t, n, e in rows(db, "select url, title, essay_count, error from pages order by url")] == [
        ("/t/a1.html", TITLE, 1, None), ("/t/a2.html", TITLE, 1, None), ("/t/a3.html", TITLE, 1, None)]
    assert rows(db, "select count(*), count(distinct id) from essays") == [(3, 3)]
    assert rows(db, "select count(*) from raw") == [(3,)]
    assert [(short(server, u), k, s, d) for u, k, s, d in rows(db, "select url, kind, state, depth from frontier order by url")] == [
        ("/t/", "listing", "done", 0), ("/t/a1.html", "article", "done", 1), ("/t/a2.html", "article", "done", 1),
        ("/t/a3.html", "article", "done", 1)]
    run = rows(db, "select kind, pages_fetched, pages_unchanged, pages_failed, essays_added, essays_updated, status from runs")
    assert run == [("crawl", 4, 0, 0, 3, 0, "ok")]
    assert "/t/other.html" not in server.routes.hits
    assert server.routes.hits.count("/robots.txt") == 1


def test_recrawl_is_conditional_and_writes_nothing(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    server.routes.routes["/t/"] = etagged(listing("a1.html", "a2.html"), '"L1"')
    server.routes.routes["/t/a1.html"] = etagged(ARTICLE, '"A1"')
    server.routes.set("/t/a2.html", body=ARTICLE, headers=HTML)  # no validators: same bytes count as unchanged
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d+\.html$"], [r"/t/$"])
    assert crawl(str(site), "--db", str(db))[0] == 0
    before = rows(db, "select rowid, * from essays order by id")
    pages_before = rows(db, "select url, fetched_at, run_id from pages order by url")
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert "crawled 0 pages (3 unchanged, 0 skipped, 0 failed), 0 essays added, 0 updated" in err
    assert rows(db, "select rowid, * from essays order by id") == before
    assert rows(db, "select url, fetched_at, run_id from pages order by url") == pages_before
    assert rows(db, "select id, pages_fetched, pages_unchanged, essays_added, status from runs order by id") == [
        (1, 3, 0, 2, "ok"), (2, 0, 3, 0, "ok")]
    # a changed page is re-extracted and its essays replaced, never duplicated
    changed = ARTICLE.replace(b"</p>", b" More words were added.</p>", 1)
    server.routes.routes["/t/a1.html"] = etagged(changed, '"A1-v2"')
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0
    assert "crawled 1 pages (2 unchanged, 0 skipped, 0 failed), 0 essays added, 1 updated" in err
    assert rows(db, "select count(*) from essays") == [(2,)]
    assert rows(db, "select etag from pages where url like '%a1.html'") == [('"A1-v2"',)]


def test_pagination_and_max_depth(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/", body=listing("a1.html", "list2.html"), headers=HTML)
    server.routes.set("/t/list2.html", body=listing("a2.html", "list3.html"), headers=HTML)
    server.routes.set("/t/list3.html", body=listing("a3.html"), headers=HTML)
    for name in ("a1", "a2", "a3"):
        server.routes.set(f"/t/{name}.html", body=ARTICLE, headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d+\.html$"], [r"/t/$", r"/t/list\d+\.html$"],
                      top={"max_depth": 2})
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert [short(server, u) for (u,) in rows(db, "select url from pages order by url")] == ["/t/a1.html", "/t/a2.html"]
    assert [(short(server, u), d, s) for u, d, s in rows(db, "select url, depth, state from frontier order by url")] == [
        ("/t/", 0, "done"), ("/t/a1.html", 1, "done"), ("/t/a2.html", 2, "done"), ("/t/list2.html", 1, "done"),
        ("/t/list3.html", 2, "done")]
    assert "/t/a3.html" not in server.routes.hits


def test_max_pages_stops_and_next_run_resumes(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    site = str(basic_site(server, tmp_path))
    code, err = crawl(site, "--db", str(db), "--max-pages", "2")
    assert code == 0
    assert "crawled 2 pages (0 unchanged, 0 skipped, 0 failed), 1 essays added, 0 updated" in err
    assert ", 2 left in the frontier ->" in err
    code, err = crawl(site, "--db", str(db))
    assert code == 0
    assert "crawled 2 pages (0 unchanged, 0 skipped, 0 failed), 2 essays added, 0 updated" in err
    assert rows(db, "select count(*) from essays") == [(3,)]
    assert server.routes.hits.count("/t/a1.html") == 1 and server.routes.hits.count("/t/") == 1
    # the cycle is complete: the next run starts a new one from the start URLs
    code, err = crawl(site, "--db", str(db))
    assert "crawled 1 pages (3 unchanged, 0 skipped, 0 failed), 0 essays added, 0 updated" in err  # same bytes, no write
    assert server.routes.hits.count("/t/a1.html") == 2


def test_multipage_article_joined_and_raw_kept(server: Server, tmp_path: Path) -> None:
    base = "/corpus/fanwen-multipage/"
    server.routes.set("/t/", body=listing(base + "report.html"), headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/report\.html$"], [r"/t/$"])
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    gold = json.loads((FIXTURES / "corpus" / "fanwen-multipage" / "report.gold.json").read_text(encoding="utf-8"))
    assert [(t, x) for t, x in rows(db, "select title, text from essays order by position")] == [
        (e["title"], e["text"]) for e in gold["essays"]]
    parts = json.loads(rows(db, "select parts from pages")[0][0])
    assert [short(server, u) for u in parts] == [base + "report.html", base + "report_2.html", base + "report_3.html"]
    assert sorted(short(server, u) for (u,) in rows(db, "select url from raw")) == [base + "report.html", base + "report_2.html",
                                                                                  base + "report_3.html"]
    assert [(short(server, u), k) for u, k in rows(db, "select url, kind from frontier where kind = 'part' order by url")] == [
        (base + "report_2.html", "part"), (base + "report_3.html", "part")]


def test_second_run_on_locked_db_exits_3(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    site = str(basic_site(server, tmp_path))
    with DbLock(db):
        code, err = crawl(site, "--db", str(db))
    assert code == 3
    import os

    assert err.strip() == f"error: another run (pid {os.getpid()}) holds the lock on {db}"
    assert db.stat().st_size == 0  # the lock's holder created the file; the refused run wrote nothing
    assert crawl(site, "--db", str(db))[0] == 0  # released: the next run goes


def test_bad_config_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n[article]\nallow = ["(unclosed"]\n')
    db = tmp_path / "e.db"
    code, err = crawl(str(bad), "--db", str(db))
    assert code == 2
    assert err.strip() == f"error: {bad}: article.allow: bad regex '(unclosed': missing ), unterminated subpattern at position 0"
    assert not db.exists()


def test_not_a_terminal_prints_only_the_summary(server: Server, tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("pipeline"))
    db = tmp_path / "e.db"
    proc = subprocess.run([exe, "crawl", str(basic_site(server, tmp_path)), "--db", str(db)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("crawled 4 pages (0 unchanged, 0 skipped, 0 failed), 3 essays added")
