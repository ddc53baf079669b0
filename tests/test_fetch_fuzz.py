"""Fuzz over the HTTP path: random statuses, headers (types, charsets, codings, lengths, Location) and
mutated fixture bodies from the 127.0.0.1 server; every crawl and import ends, with no traceback,
every URL closed in the frontier and every failure recorded on its URL."""

from __future__ import annotations

import gzip
import tempfile
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.jobs.importer import import_sources

from .conftest import FIXTURES, PNG, Server, write_site
from .test_crawl import crawl, listing, rows

BODIES = [p.read_bytes() for p in sorted((FIXTURES / "pages").glob("*.html"))[:6]] + [
    (FIXTURES / "demo-site" / "gbk" / "1.html").read_bytes(), PNG, b"", b"\x00" * 64]
TYPES = ["text/html", "text/html; charset=utf-8", "text/html; charset=gbk", "text/html; charset=big5",
         "text/html; charset=bogus-9", "text/plain", "image/png", "application/octet-stream", "", "text/html; charset=",
         "TEXT/HTML;CHARSET=UTF-16"]
CODINGS = ["", "gzip", "gzip, gzip", "deflate", "x-gzip", "identity", "br", "bogus", "gzip, deflate, gzip, gzip, gzip"]
LOCATIONS = ["data:text/html,<p>x</p>", "mailto:a@example.org", "javascript:void(0)", "http://[oops/", "", " ",
             "/f/a2.html", "a3.html", "//localhost:1/x", "http://127.0.0.1:99999/", "/f/a1.html#x", "/f/文章 1.html",
             "ftp://example.org/", "/f/../../etc/passwd", "%zz", "http://user@127.0.0.1:1/"]
STATUSES = [200, 200, 200, 200, 301, 302, 307, 304, 404, 410, 429, 500, 503, 204, 206, 100]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(BODIES)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 2))
        at = draw(st.integers(0, len(body)))
        if kind == 0 and body:
            body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
        elif kind == 1:
            body[at:at] = draw(st.binary(max_size=40))
        else:
            del body[at:at + draw(st.integers(0, 400))]
    return bytes(body)


def encode(body: bytes, coding: str) -> bytes:
    for name in [c.strip() for c in coding.split(",") if c.strip()]:
        if name in ("gzip", "x-gzip"):
            body = gzip.compress(body)
        elif name == "deflate":
            body = zlib.compress(body)
    return body


@st.composite
def responses(draw: st.DrawFn) -> dict[str, Any]:
    coding = draw(st.sampled_from(CODINGS))
    body = draw(mutated())
    wire = encode(body, coding) if draw(st.booleans()) else body  # sometimes the header lies
    headers = {"Content-Type": draw(st.one_of(st.sampled_from(TYPES), st.text(max_size=30)))}
    if coding:
        headers["Content-Encoding"] = coding
    status = draw(st.sampled_from(STATUSES))
    if status in (301, 302, 307):
        headers["Location"] = draw(st.one_of(st.sampled_from(LOCATIONS), st.text(max_size=40)))
    if status in (429, 503) and draw(st.booleans()):
        headers["Retry-After"] = draw(st.sampled_from(["0", "1", "99999", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "-5"]))
    length = draw(st.sampled_from(["right", "short", "long", "none"]))
    return {"status": status, "headers": headers, "body": wire, "length": length}


def answer(spec: dict[str, Any]) -> Any:
    def route(handler: BaseHTTPRequestHandler) -> None:
        body: bytes = spec["body"]
        handler.send_response(spec["status"])
        for k, v in spec["headers"].items():
            handler.send_header(k, v.encode().decode("latin-1"))  # raw UTF-8 bytes, as real servers send them
        declared = {"right": len(body), "short": max(0, len(body) - 10), "long": len(body) + 100}.get(spec["length"])
        if declared is not None:
            handler.send_header("Content-Length", str(declared))
        handler.close_connection = True
        handler.end_headers()
        try:
            handler.wfile.write(body if declared is None else body[:declared])
        except OSError:
            pass
    return route


@pytest.mark.timeout(300)  # a hang fails the test
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          derandomize=False)
@given(pages=st.lists(responses(), min_size=3, max_size=3), robots=st.one_of(st.none(), responses()))
def test_random_responses_never_break_a_crawl_or_an_import(server: Server, pages: list[dict[str, Any]],
                                                            robots: dict[str, Any] | None) -> None:
    server.routes.routes.clear()
    server.routes.set("/f/", body=listing("a1.html", "a2.html", "a3.html", "文章 1.html"), headers={"Content-Type": "text/html"})
    for i, spec in enumerate(pages, 1):
        server.routes.routes[f"/f/a{i}.html"] = answer(spec)
    if robots is not None:
        server.routes.routes["/robots.txt"] = answer(robots)
    with tempfile.TemporaryDirectory() as tmp:
        site = write_site(Path(tmp) / "site.toml", [server.url("/f/")], [r"/f/a\d"], [r"/f/$"], timeout=1, deadline=2,
                          retries=1, backoff=0.01, max_retry_after=0.2, max_bytes=300_000)
        db = Path(tmp) / "e.db"
        code, err = crawl(str(site), "--db", str(db))
        assert "Traceback" not in err and code in (0, 1), err
        assert rows(db, "select status from runs") in ([("ok",)], [("partial",)], [("failed",)])
        assert rows(db, "select count(*) from frontier where state = 'pending'") == [(0,)]
        stored = {u for (u,) in rows(db, "select url from pages")}
        closed = {u for (u, s) in rows(db, "select url, state from frontier where url like '%/a_.html'") if s in ("done", "failed", "skipped")}
        assert stored <= closed  # every page row belongs to a closed frontier row; failures carry their error
        assert rows(db, "select count(*) from pages where essay_count > 0 and error is not null") == [(0,)]
        failed = rows(db, "select f.url, f.error, p.error from frontier f left join pages p on p.url = f.url "
                          "where f.state = 'failed' and f.kind = 'article'")
        assert all(page_error and page_error == error for _, error, page_error in failed), failed
        stats = import_sources([server.url(f"/f/a{i}.html") for i in (1, 2, 3)], Path(tmp) / "i.db", timeout=0.5)
        assert stats.pages_fetched + stats.pages_failed == 3
