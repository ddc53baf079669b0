"""Runs that tell the truth: an unreachable site fails the run, a changed template degrades it, a page
removed since the last crawl is marked gone; allowed_hosts without a port match any port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import FIXTURES, Server, sequence, write_site

ARTICLE = (FIXTURES / "pages" / "own-article.html").read_bytes()
HTML = {"Content-Type": "text/html; charset=utf-8"}
EMPTY = b"<html><head><title>Garden</title></head><body><div id=app></div><script>load()</script></body></html>"


def listing(*hrefs: str) -> bytes:
    links = "".join(f'<li><a href="{h}">item {i}</a></li>' for i, h in enumerate(hrefs))
    return f"<html><head><title>List</title></head><body><ul>{links}</ul></body></html>".encode()


def crawl(config: Path, db: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["crawl", str(config), "--db", str(db)])
    return result.exit_code, result.stderr


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in sqlite_utils.Database(db).query(sql)]


def site_of_three(server: Server, tmp_path: Path, **top: Any) -> Path:
    server.routes.set("/t/", body=listing("a1.html", "a2.html", "a3.html"), headers=HTML)
    for name in ("a1", "a2", "a3"):
        server.routes.set(f"/t/{name}.html", body=ARTICLE, headers=HTML)
    return write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d+\.html$"], [r"/t/$"], top=top or None)


def test_a_site_whose_start_url_fails_fails_the_run(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = write_site(tmp_path / "site.toml", [server.url("/down/")], [r"/down/a\d+\.html$"], [r"/down/$"])
    code, err = crawl(config, db)
    reason = f"site test: none of its start URLs could be fetched ({server.url('/down/')}: HTTP 404)"
    assert code == 1, err
    assert err.splitlines()[-1].endswith(f"-> {db}; run failed: {reason}")
    assert rows(db, "select status, reason from runs") == [("failed", reason)]
    assert rows(db, "select run_id, url, site, kind, state, error from failures") == [
        (1, server.url("/down/"), "test", "listing", "failed", "HTTP 404")]


def test_robots_txt_answering_5xx_fails_the_run_and_404_is_normal(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = site_of_three(server, tmp_path)
    server.routes.set("/robots.txt", status=503, body=b"busy")
    code, err = crawl(config, db)
    assert code == 1, err
    why = "robots.txt unreachable (HTTP 503): the host's URLs are not fetched in this run"
    assert rows(db, "select status, reason from runs") == [
        ("failed", f"site test: none of its start URLs could be fetched ({server.url('/t/')}: {why}); "
                   f"nothing stored: every URL was skipped (1 {why})")]
    assert rows(db, "select url, state, error from failures") == [(server.url("/t/"), "skipped", why)]
    server.routes.set("/robots.txt", status=404, body=b"no robots.txt")
    code, err = crawl(config, db)
    assert code == 0, err
    assert rows(db, "select status, reason from runs where id = 2") == [("ok", None)]
    assert rows(db, "select count(*) from essays") == [(3,)]
    assert rows(db, "select count(*) from failures") == [(0,)]


def test_allowed_hosts_without_a_port_match_any_port(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = site_of_three(server, tmp_path, allowed_hosts=["127.0.0.1"])
    code, err = crawl(config, db)
    assert code == 0, err
    assert rows(db, "select count(*), count(distinct page_url) from essays") == [(3, 3)]
    elsewhere = site_of_three(server, tmp_path, allowed_hosts=["127.0.0.1:1"])  # another port only: a config error
    code, err = crawl(elsewhere, db)
    assert code == 2
    assert f"start URL '{server.url('/t/')}' is not on allowed_hosts (127.0.0.1:1)" in err


def test_a_run_where_every_article_is_skipped_says_why(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = site_of_three(server, tmp_path)
    for name in ("a1", "a2", "a3"):
        server.routes.set(f"/t/{name}.html", body=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    code, err = crawl(config, db)
    assert code == 0, err
    assert err.splitlines()[-1].endswith("; nothing stored: every URL was skipped (3 skipped: not a text page (application/pdf))")
    assert rows(db, "select status, reason from runs") == [
        ("ok", "nothing stored: every URL was skipped (3 skipped: not a text page (application/pdf))")]


def test_a_changed_template_degrades_the_run(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = site_of_three(server, tmp_path)
    assert crawl(config, db)[0] == 0
    for name in ("a1", "a2", "a3"):  # the site now renders its articles with scripts: no text in the page
        server.routes.set(f"/t/{name}.html", body=EMPTY, headers=HTML)
    code, err = crawl(config, db)
    reason = "site test: 3 of 3 article pages gave no essay, where earlier runs found essays (has the site's template changed?)"
    assert code == 1, err
    assert err.splitlines()[-1].endswith(f"; run degraded: {reason}")
    assert rows(db, "select id, status, reason from runs") == [(1, "ok", None), (2, "degraded", reason)]


def test_a_page_removed_since_the_last_crawl_is_marked_gone(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    config = site_of_three(server, tmp_path)
    assert crawl(config, db)[0] == 0
    server.routes.routes["/t/a2.html"] = sequence((410, HTML, b"gone"), (200, HTML, ARTICLE))
    code, err = crawl(config, db)
    assert code == 0, err
    assert err.splitlines()[-1].startswith("crawled 1 pages (2 unchanged, 0 skipped, 0 failed, 1 gone), 0 essays added")
    gone = rows(db, "select url, status, gone from pages where gone is not null")
    assert [(u, s) for u, s, _ in gone] == [(server.url("/t/a2.html"), 410)]
    assert rows(db, "select page_url, gone from essays where gone is not null") == [(server.url("/t/a2.html"), gone[0][2])]
    assert rows(db, "select count(*) from failures") == [(0,)]
    assert CliRunner().invoke(main, ["reprocess", "--db", str(db)]).exit_code == 0  # re-extraction keeps the marks
    assert rows(db, "select page_url, gone from essays where gone is not null") == [(server.url("/t/a2.html"), gone[0][2])]
    assert crawl(config, db)[0] == 0  # back again: current once more
    assert rows(db, "select count(*) from pages where gone is not null") == [(0,)]
    assert rows(db, "select count(*) from essays where gone is not null") == [(0,)]


def test_the_failures_view_lists_an_archive_that_could_not_be_read(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"<html>this is a page saved under the wrong name</html>\n")
    db = tmp_path / "e.db"
    result = CliRunner().invoke(main, ["import", str(junk), "--db", str(db)])
    assert result.exit_code == 1
    assert rows(db, "select run_id, url, kind, state, substr(error, 1, 19) from failures") == [
        (1, f"{junk.resolve()}@0", "source", "failed", "not a WARC/ARC file")]
