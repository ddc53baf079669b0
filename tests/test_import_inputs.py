"""What `pipeline import` refuses: a text file that is a list of URLs (never stored as an essay), and
URLs that robots.txt keeps out (unless --ignore-robots)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

from .conftest import FIXTURES, Server

SEED = FIXTURES / "seed" / "000_a2624caf89aaf6c8.txt"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_list_of_urls_is_refused_with_a_pointer_to_dash_i(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("# to read later\nhttps://example.org/a.html\n\nhttp://example.org/b.html\n", encoding="utf-8")
    db = tmp_path / "e.db"
    code, err = run("import", str(urls), "--db", str(db))
    assert (code, err) == (2, f"error: {urls} is a list of URLs, not a page: import the URLs it names with "
                              f"`pipeline import -i {urls}`\n")
    assert not db.exists()


def test_a_list_of_urls_inside_a_folder_is_a_failure_not_an_essay(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a.txt").write_bytes(SEED.read_bytes())
    (folder / "links.txt").write_text("https://example.org/a.html\nhttps://example.org/b.html\n", encoding="utf-8")
    db = tmp_path / "e.db"
    code, err = run("import", str(folder), "--db", str(db))
    assert code == 1
    assert (f"failed: {folder / 'links.txt'}: a list of URLs, not a page: import the URLs it names with "
            "`pipeline import -i FILE`") in err.splitlines()
    assert rows(db, "select count(*) from essays where page_url like '%links.txt'") == [(0,)]
    assert rows(db, "select count(*) from essays") == [(3,)]


def test_a_text_page_that_mentions_urls_is_still_a_page(tmp_path: Path) -> None:
    page = tmp_path / "notes.txt"
    page.write_text("学习笔记\n\n" + "今天我们学习了雷锋精神，见 https://example.org/a.html 。\n" * 5, encoding="utf-8")
    code, err = run("import", str(page), "--db", str(tmp_path / "e.db"))
    assert code == 0, err


def test_import_url_obeys_robots_txt_unless_told_not_to(server: Server, tmp_path: Path) -> None:
    server.routes.set("/robots.txt", body=b"User-agent: *\nDisallow: /seed/\n", headers={"Content-Type": "text/plain"})
    url = server.url("seed/000_a2624caf89aaf6c8.txt")
    db = tmp_path / "e.db"
    code, err = run("import", url, "--db", str(db))
    assert code == 1
    assert f"failed: {url}: skipped: disallowed by robots.txt; --ignore-robots fetches anyway" in err.splitlines()
    assert "/seed/000_a2624caf89aaf6c8.txt" not in server.routes.hits
    assert rows(db, "select count(*) from essays") == [(0,)]
    code, err = run("import", url, "--db", str(db), "--ignore-robots")
    assert code == 0, err
    assert rows(db, "select count(*), max(error) from pages") == [(1, None)]
    assert rows(db, "select count(*) from essays") == [(3,)]


def test_import_url_with_robots_txt_answering_5xx_is_kept_out_and_404_allows(server: Server, tmp_path: Path) -> None:
    url = server.url("seed/000_a2624caf89aaf6c8.txt")
    db = tmp_path / "e.db"
    server.routes.set("/robots.txt", status=500, body=b"oops")
    code, err = run("import", url, "--db", str(db))
    assert code == 1
    assert f"failed: {url}: skipped: robots.txt unreachable (500); --ignore-robots fetches anyway" in err.splitlines()
    server.routes.set("/robots.txt", status=404, body=b"none")
    code, err = run("import", url, "--db", str(db))
    assert code == 0, err
