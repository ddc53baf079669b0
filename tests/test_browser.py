"""A real browser on a real `pipeline serve`: headless Chromium (the Debian package, driven by playwright)
opens the essays table, searches in Chinese from the search box, sees the expected essays, and
saves a screenshot to output/browser-search.png.

Skipped, with the reason, only where no Chromium is installed (`.ci/run` installs it with apt-get).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import store

from .conftest import ROOT
from .test_search import gold_results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = ROOT / "output" / "browser-search.png"
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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`pipeline serve` (the installed console script) on 127.0.0.1 over the gold essays of the fixtures."""
    db_path = tmp_path_factory.mktemp("browser") / "essays.db"
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


def test_chinese_search_in_the_browser(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            response = page.goto(server + "/essays/essays")
            assert response is not None and response.status == 200
            assert page.locator("h1").inner_text() == "essays"
            facets = [" ".join(t.split()[:-1]) for t in page.locator(".facet-info-name strong").all_inner_texts()]
            assert sorted(facets) == ["category", "duplicate_of (duplicate)", "published (month)", "published (year)", "site"]
            page.fill("#_search", "先锋模范")
            with page.expect_navigation():
                page.press("#_search", "Enter")
            assert urllib.parse.unquote(page.url) == server + "/essays/essays?_search=先锋模范&_sort_desc=published"
            assert page.input_value("#_search") == "先锋模范"
            assert "6 rows where search matches" in page.locator("h3").first.inner_text()
            titles = page.locator("td.col-title").all_inner_texts()
            assert sorted(titles) == ["2021年发挥党员先锋模范作用"] * 3 + ["2022年发挥党员先锋模范作用"] * 3
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.locator("h3").first.evaluate("h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 16)")
            page.screenshot(path=str(SCREENSHOT))  # the search box, the count and the first essays found
            assert SCREENSHOT.stat().st_size > 10_000

            # a two-character query, and input that is FTS syntax, quotes and emoji: rows or none, never an error page
            for query, rows in [("党员", 7), ('"先锋 (((', 7), ("NEAR(党员) 😀", 0), ('党员 "', 7)]:
                page.fill("#_search", query)
                with page.expect_navigation():
                    page.press("#_search", "Enter")
                assert page.locator("td.col-title").count() == rows, query
                assert "Error" not in page.locator("h1").inner_text()
        finally:
            browser.close()


def test_very_long_search_on_the_real_server(server: str) -> None:
    """10,000 Chinese characters (a 90 kB URL) reach datasette and give an answer, not a 400 from the HTTP layer."""
    for query in ["党" * 10_000, "a" * 10_000, '"' * 10_000]:
        url = f"{server}/essays/essays.json?_shape=objects&_search={urllib.parse.quote(query)}"
        with urllib.request.urlopen(url, timeout=60) as response:
            assert response.status == 200
            assert response.read().startswith(b'{"database": "essays"')
