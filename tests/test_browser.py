"""A real browser on a real `pipeline serve`: headless Chromium (the Debian package, driven by playwright)
opens the index and the essays table, searches in Chinese from the search box (simplified and
traditional), opens the best match and reads it as an article; screenshots of each go to output/
(browser-index.png, browser-essays.png, browser-search-simplified.png, browser-search-traditional.png,
browser-essay.png).

Skipped, with the reason, only where no Chromium is installed (`.ci/run` installs it with apt-get).
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline import store

from .conftest import ROOT
from .test_search import gold_results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OUT = ROOT / "output"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium)")]


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[str]) -> None:
    """Poll until the server answers (not a timing assertion: it fails only if the server never comes up)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"pipeline serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"pipeline serve did not answer on {url}")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser") / "essays.db"


@pytest.fixture(scope="module")
def server(db_path: Path) -> Iterator[str]:
    """`pipeline serve` (the installed console script) on 127.0.0.1 over the gold essays of the fixtures."""
    db = store.open_db(db_path)
    run = store.start_run(db, "import", {})
    for result in gold_results():
        store.save_result(db, result, run)
    db.conn.close()
    port = free_port()
    exe = Path(sys.executable).with_name("pipeline")
    proc = subprocess.Popen([str(exe), "serve", "--db", str(db_path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/-/versions.json", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(20)


def shoot(page: Any, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def submit_search(page: Any, query: str) -> None:
    page.fill("#essay-q", query)
    with page.expect_navigation():
        page.press("#essay-q", "Enter")


def test_browse_search_and_read_in_the_browser(server: str, db_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    conn = sqlite3.connect(db_path)
    essays = {num: (title, text) for num, title, text in conn.execute("select num, title, text from essays")}
    conn.close()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            response = page.goto(server + "/")
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "Essays"
            shoot(page, "browser-index.png")

            page.goto(server + "/essays/essays")
            assert page.locator("h1").inner_text() == "essays"
            assert [t.strip() for t in page.locator("table.rows-and-columns th").all_inner_texts()] == ["title", "site", "published\xa0▼", "text"]
            assert not page.locator("details.essay-about dl").is_visible()  # the notes are folded
            facets = [" ".join(t.split()[:-1]) for t in page.locator(".facet-info-name strong").all_inner_texts()]
            assert sorted(facets) == ["category", "duplicate_of (duplicate)", "published (month)", "published (year)", "site"]
            shoot(page, "browser-essays.png")

            found = {}
            for query, name in [("党员", "browser-search-simplified.png"), ("黨員", "browser-search-traditional.png")]:
                submit_search(page, query)
                assert urllib.parse.unquote(page.url) == f"{server}/essays/-/search?q={query}"
                assert page.input_value("#essay-q") == query
                assert page.locator(".essay-count").inner_text().startswith(f"7 essays found for {query}, best matches first.")
                found[query] = page.locator("a.essay-hit-title").all_inner_texts()
                assert set(page.locator(".essay-snippet mark").all_inner_texts()) == {"党员"}
                shoot(page, name)
            assert found["党员"] == found["黨員"] and len(found["党员"]) == 7

            # bad input on the search page: a message or no essays, never an error page
            for query, hits in [('"先锋 (((', 7), ("NEAR(党员) 😀", 0), ('党员 "', 7)]:
                submit_search(page, query)
                assert page.locator("a.essay-hit-title").count() == hits, query
                assert page.locator("h1").inner_text() == "Search essays"

            submit_search(page, "党员")
            with page.expect_navigation():
                page.locator("a.essay-hit-title").first.click()
            num = int(page.url.rsplit("/", 1)[1])
            title, text = essays[num]
            assert page.locator("h1").all_inner_texts() == [title]
            first = page.locator(".essay-text p").first
            assert first.inner_text() == text.split("\n")[0].strip()
            box = first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280  # whole, inside the page
            assert first.evaluate("p => p.scrollWidth <= p.clientWidth && getComputedStyle(p).overflow === 'visible'")
            assert page.locator(".essay-text p").count() == len([p for p in text.split("\n") if p.strip()])
            shoot(page, "browser-essay.png")
        finally:
            browser.close()


def test_very_long_search_on_the_real_server(server: str) -> None:
    """10,000 Chinese characters (a 90 kB URL) reach datasette and give an answer, not a 400 from the HTTP layer."""
    for query in ["党" * 10_000, "a" * 10_000, '"' * 10_000]:
        url = f"{server}/essays/essays.json?_shape=objects&_search={urllib.parse.quote(query)}"
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200
            assert response.read().startswith(b'{"database": "essays"')
        with urllib.request.urlopen(f"{server}/essays/-/search.json?q={urllib.parse.quote(query)}", timeout=60) as response:
            assert response.status == 200 and json.loads(response.read())["hits"] == []
