"""`pipeline import -i LIST`: URLs fetched by the crawl (robots.txt, per-host pacing, frontier), paths imported, bad lines recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlite_utils
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.jobs.url_list import list_sites, sort_entries

from .conftest import FIXTURES, Server

TWO = FIXTURES / "pages" / "own-two-essays.txt"


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in sqlite_utils.Database(db).query(sql)]


def test_sorting_the_lines_of_a_list() -> None:
    got = sort_entries(["http://a.example/1", "pages/x.html", "htp://typo", "http://a.example/1", "https://b.example/2#top",
                        "ftp://files.example/x"])
    assert got.urls == ["http://a.example/1", "https://b.example/2"]
    assert got.paths == ["pages/x.html"]
    assert got.bad == [("htp://typo", "not an http(s) URL: htp://typo"),
                       ("ftp://files.example/x", "not an http(s) URL: ftp://files.example/x")]
    sites = list_sites(got.urls, "t", delay=2.0)
    assert [(s.name, s.start_urls, s.max_depth, s.fetch.delay, s.fetch.concurrency, s.fetch.robots) for s in sites] == [
        ("list:t:a.example", ("http://a.example/1",), 0, 2.0, 1, True),
        ("list:t:b.example", ("https://b.example/2",), 0, 2.0, 1, True),
    ]


def test_a_list_is_fetched_politely_and_its_bad_lines_are_recorded(server: Server, tmp_path: Path) -> None:
    server.routes.set("/robots.txt", body=b"User-agent: *\nDisallow: /demo-site/private/\n", headers={"Content-Type": "text/plain"})
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "two.txt").write_bytes(TWO.read_bytes())
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join([
        "# pages to import", "",
        server.url("/pages/own-article.html"),
        "   ",
        server.url("/demo-site/zuowen/1.html"),
        server.url("/demo-site/private/1.html"),  # robots.txt says no
        "htp://typo.example/a.html",
        "local/two.txt",  # relative to the list's folder
        "local/missing.html",
        "",
    ]), encoding="utf-8")
    db = tmp_path / "x.db"
    code, err = run("import", "-i", str(listing), "--db", str(db), "--delay", "0.05")
    assert code == 1, err
    assert rows(db, "select url from pages order by url") == [
        ((tmp_path / "local" / "two.txt").as_uri(),), (server.url("/demo-site/zuowen/1.html"),), (server.url("/pages/own-article.html"),)]
    assert server.routes.hits.index("/robots.txt") < server.routes.hits.index("/pages/own-article.html")
    assert "/demo-site/private/1.html" not in server.routes.hits
    assert rows(db, "select source, error from source_failures order by id") == [
        ("htp://typo.example/a.html", "not an http(s) URL: htp://typo.example/a.html"),
        (str(tmp_path / "local" / "missing.html"), f"no such file or folder: {tmp_path / 'local' / 'missing.html'}"),
    ]
    assert "crawled 2 pages (0 unchanged, 1 skipped, 2 failed)" in err
    assert rows(db, "select kind, status from runs order by id") == [("import", "ok"), ("crawl", "ok")]

    code, err = run("import", "-i", str(listing), "--db", str(db), "--delay", "0.05")  # the same list again
    assert "crawled 0 pages (2 unchanged, 1 skipped, 2 failed)" in err


def test_a_list_on_stdin_and_an_empty_list(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, err = run("import", "-i", "-", "--db", str(db), "--delay", "0", stdin=server.url("/pages/own-article.html") + "\n")
    assert code == 0, err
    assert rows(db, "select count(*) from essays") == [(1,)]
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    code, err = run("import", "-i", str(empty), "--db", str(tmp_path / "y.db"))
    assert code == 2 and f"error: the list {empty} names no URL or path" in err
    code, err = run("import", "-i", str(tmp_path / "nope.txt"), "--db", str(tmp_path / "y.db"))
    assert code == 2 and f"error: no such list file: {tmp_path / 'nope.txt'}" in err
