"""An article over three URLs is fetched part by part, joined, and stored once under the first URL."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from pipeline.jobs.importer import import_sources

from .conftest import FIXTURES, Server, gold

MULTI = "corpus/fanwen-multipage"


def test_three_parts_joined(server: Server, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    stats = import_sources([server.url(f"{MULTI}/report.html")], db)
    assert (stats.pages_fetched, stats.pages_failed, stats.essays_added) == (1, 0, 1)
    expected = gold(FIXTURES / MULTI / "report.gold.json")
    d = sqlite_utils.Database(db)
    essays = list(d.query("select page_url, position, title, text from essays"))
    assert [(e["title"], e["text"]) for e in essays] == [(e["title"], e["text"]) for e in expected["essays"]]
    page = next(d.query("select * from pages"))
    assert page["url"] == server.url(f"{MULTI}/report.html")
    assert json.loads(page["parts"]) == [server.url(f"{MULTI}/report{s}.html") for s in ("", "_2", "_3")]
    assert (page["title"], page["published"], json.loads(page["breadcrumb"])) == (
        expected["title"], expected["published"], expected["breadcrumb"])
    assert page["incomplete"] is None
    for chrome in expected["chrome"]:
        assert chrome not in essays[0]["text"]
    assert d["pages"].count == 1


def test_loop_and_broken_chain_stop_and_keep_what_they_have(server: Server, tmp_path: Path) -> None:
    first = (FIXTURES / MULTI / "report.html").read_bytes()
    second = (FIXTURES / MULTI / "report_2.html").read_bytes()
    # part 2 links "next" back to part 1: a loop
    server.routes.set("/loop/report.html", body=first, headers={"Content-Type": "text/html"})
    server.routes.set("/loop/report_2.html", body=second.replace(b'href="report_3.html">', b'href="report.html">'),
                      headers={"Content-Type": "text/html"})
    # part 3 is missing: a broken chain
    server.routes.set("/broken/report.html", body=first, headers={"Content-Type": "text/html"})
    server.routes.set("/broken/report_2.html", body=second, headers={"Content-Type": "text/html"})
    db = tmp_path / "e.db"
    stats = import_sources([server.url("loop/report.html"), server.url("broken/report.html")], db)
    assert (stats.pages_fetched, stats.pages_failed) == (2, 0)
    d = sqlite_utils.Database(db)
    pages = {r["url"].split("/")[-2]: r for r in d.query("select url, parts, incomplete from pages")}
    assert json.loads(pages["loop"]["parts"]) == [server.url("loop/report.html"), server.url("loop/report_2.html")]
    assert pages["loop"]["incomplete"] is None
    assert json.loads(pages["broken"]["parts"]) == [server.url("broken/report.html"), server.url("broken/report_2.html")]
    assert pages["broken"]["incomplete"] == f"part {server.url('broken/report_3.html')} failed: HTTP 404"


def test_part_cap(server: Server, tmp_path: Path) -> None:
    # an endless chain: every page links to the next number
    def endless(handler: object) -> None:
        h = handler  # BaseHTTPRequestHandler
        n = int(h.path.rsplit("_", 1)[1].split(".")[0]) if "_" in h.path else 1  # type: ignore[attr-defined]
        body = (f"<html><head><title>长文章</title></head><body><h1>长文章</h1><div class='content'><p>第{n}部分的正文，内容很长很长，"
                f"足够成为一个段落，这里还有更多的文字。</p></div><a href='page_{n + 1}.html'>下一页</a></body></html>").encode()
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", "text/html; charset=utf-8")  # type: ignore[attr-defined]
        h.send_header("Content-Length", str(len(body)))  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        h.wfile.write(body)  # type: ignore[attr-defined]

    for n in range(1, 40):
        server.routes.routes["/long/page.html" if n == 1 else f"/long/page_{n}.html"] = endless
    db = tmp_path / "e.db"
    import_sources([server.url("long/page.html")], db)
    d = sqlite_utils.Database(db)
    page = next(d.query("select parts, incomplete from pages"))
    assert len(json.loads(page["parts"])) == 20
    assert page["incomplete"] == "stopped after 20 parts"
    text = next(d.query("select text from essays"))["text"]
    assert text.count("部分的正文") == 20
