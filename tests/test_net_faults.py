"""Network faults of issue 13 against the misbehaving server on 127.0.0.1: each ends in an exact,
recorded outcome for its URL, and the run goes on."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.fetch.decoding import BadEncoding, BoundedDecoder, TooLarge
from pipeline.jobs.importer import import_sources

from .conftest import PNG, Server, drip, drip_headers, gzip_bomb, sequence, write_site
from .test_crawl import ARTICLE, HTML, crawl, listing, rows, short
from .test_crawl_faults import one_page_site, page_rows, reset


def imported(db: Path, server: Server) -> list[tuple[Any, ...]]:
    return [(short(server, u), s, e, n) for u, s, e, n in rows(db, "select url, status, error, essay_count from pages order by url")]


# --- a deadline per request ---


def test_dripping_server_is_cut_at_the_deadline_in_a_crawl(server: Server, tmp_path: Path) -> None:
    stop = threading.Event()
    site = one_page_site(server, tmp_path, "a1.html", drip(ARTICLE, 0.05, HTML, stop), timeout=2, deadline=0.5, retries=1)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    stop.set()
    assert code == 1, err
    error = "took longer than the 0.5s deadline (gave up after 2 attempts)"
    assert page_rows(server, db) == [("/t/a1.html", None, error, 0)]
    assert rows(db, "select state, attempts, error from frontier where url like '%a1.html'") == [("failed", 1, error)]
    assert rows(db, "select pages_fetched, pages_failed, status from runs") == [(1, 1, "partial")]
    assert server.routes.hits.count("/t/a1.html") == 2
    assert "Traceback" not in err


def test_dripping_server_is_cut_at_the_deadline_in_an_import(server: Server, tmp_path: Path) -> None:
    stop = threading.Event()
    server.routes.routes["/t/a1.html"] = drip(ARTICLE, 0.05, HTML, stop)
    server.routes.set("/t/a2.html", body=ARTICLE, headers=HTML)
    db = tmp_path / "e.db"
    stats = import_sources([server.url("/t/a1.html"), server.url("/t/a2.html")], db, timeout=0.2)  # deadline: 6 reads
    stop.set()
    assert (stats.pages_fetched, stats.pages_failed) == (1, 1)
    assert imported(db, server) == [("/t/a1.html", None, "took longer than the 1.2s deadline", 0), ("/t/a2.html", 200, None, 1)]
    assert rows(db, "select pages_fetched, pages_failed, status from runs") == [(1, 1, "partial")]


def test_dripped_headers_are_cut_at_the_deadline_in_a_crawl_and_an_import(server: Server, tmp_path: Path) -> None:
    stop = threading.Event()
    site = one_page_site(server, tmp_path, "a1.html", drip_headers(0.05, stop), timeout=2, deadline=0.5, retries=0)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1, err
    assert page_rows(server, db) == [("/t/a1.html", None, "took longer than the 0.5s deadline (gave up after 1 attempts)", 0)]
    stats = import_sources([server.url("/t/a1.html")], tmp_path / "i.db", timeout=0.2)
    stop.set()
    assert stats.pages_failed == 1
    assert imported(tmp_path / "i.db", server) == [("/t/a1.html", None, "took longer than the 1.2s deadline", 0)]


# --- the size cap holds during decompression, however the codings stack ---


def test_stacked_gzip_bomb_stops_at_the_cap_in_a_crawl(server: Server, tmp_path: Path) -> None:
    bomb = gzip_bomb(3)
    assert len(bomb) < 16_000
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, headers, bomb)), max_bytes=1_048_576)
    server.routes.set("/t/a2.html", body=ARTICLE, headers=HTML)
    server.routes.set("/t/", body=listing("a1.html", "a2.html"), headers=HTML)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, "skipped: body larger than 1048576 bytes", 0), ("/t/a2.html", 200, None, 1)]
    assert rows(db, "select state, error from frontier where url like '%a1.html'") == [("skipped", "body larger than 1048576 bytes")]


def test_stacked_gzip_bomb_stops_at_the_cap_in_an_import(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/a1.html", body=gzip_bomb(3), headers={"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"})
    db = tmp_path / "e.db"
    stats = import_sources([server.url("/t/a1.html")], db)
    assert stats.pages_failed == 1
    assert imported(db, server) == [("/t/a1.html", None, "body larger than 10485760 bytes", 0)]


def test_bounded_decoder_memory_stays_near_the_cap() -> None:
    bomb = gzip_bomb(3)
    tracemalloc.start()
    decoder = BoundedDecoder("gzip, gzip", 1_048_576)
    with pytest.raises(TooLarge, match="body larger than 1048576 bytes"):
        for i in range(0, len(bomb), 1024):
            decoder.feed(bomb[i:i + 1024])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert 1_048_576 < decoder.size <= 1_048_576 + 65_536  # stopped within one step past the cap
    assert peak < 4 * 1_048_576  # the cap plus a few 64 KB steps, never the 3 GB


def test_bounded_decoder_undoes_stacked_and_raw_codings() -> None:
    text = ("<p>" + "正文" * 5000 + "</p>").encode()
    deflated = zlib.compress(text)
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = raw_deflate.compress(text) + raw_deflate.flush()
    stacked = gzip.compress(deflated)  # Content-Encoding: deflate, gzip (deflate applied first)
    for header, body in (("gzip", gzip.compress(text)), ("deflate", deflated), ("deflate", raw), ("deflate, gzip", stacked),
                         ("x-gzip", gzip.compress(text)), ("identity", text), ("", text),
                         ("gzip", gzip.compress(text[:1000]) + gzip.compress(text[1000:]))):
        decoder = BoundedDecoder(header, len(text))
        out = b"".join(decoder.feed(body[i:i + 777]) for i in range(0, len(body), 777)) + decoder.finish()
        assert out == text, header
    with pytest.raises(BadEncoding, match="unsupported content encoding 'br'"):
        BoundedDecoder("br", 100)
    with pytest.raises(BadEncoding, match="bad gzip data"):
        BoundedDecoder("gzip", 100).feed(b"not gzip at all")
    truncating = BoundedDecoder("gzip", 100, truncate=True)
    assert truncating.feed(gzip.compress(text)) == text[:100] and truncating.full


# --- one URL's failure of any kind is recorded on it; the run goes on ---


@pytest.mark.parametrize("location, error", [
    ("data:text/html,<p>hi</p>", "redirect to a non-http URL: data:text/html,<p>hi</p>"),
    ("mailto:someone@example.org", "redirect to a non-http URL: mailto:someone@example.org"),
    ("javascript:alert(1)", "redirect to a non-http URL: javascript:alert(1)"),
    ("http://[oops/", "redirect to a malformed URL: 'http://[oops/'"),
    ("http://127.0.0.1:99999/x.html", "redirect to a malformed URL: 'http://127.0.0.1:99999/x.html'"),
])
def test_redirect_to_a_bad_url_is_that_urls_failure(server: Server, tmp_path: Path, location: str, error: str) -> None:
    server.routes.set("/t/", body=listing("a1.html", "a2.html"), headers=HTML)
    server.routes.set("/t/a1.html", 302, headers={"Location": location})
    server.routes.set("/t/a2.html", body=ARTICLE, headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"])
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1, err
    assert page_rows(server, db) == [("/t/a1.html", 302, error, 0), ("/t/a2.html", 200, None, 1)]
    assert rows(db, "select pages_fetched, pages_failed, status from runs") == [(2, 1, "partial")]
    assert rows(db, "select count(*) from frontier where state = 'pending'") == [(0,)]
    assert "Traceback" not in err
    again, err = crawl(str(site), "--db", str(db))  # the next run is not stuck on it either
    assert again == 1 and "Traceback" not in err


@pytest.mark.parametrize("location, error", [
    ("data:text/html,hi", "redirect to a non-http URL: data:text/html,hi"),
    ("mailto:someone@example.org", "redirect to a non-http URL: mailto:someone@example.org"),
    ("javascript:alert(1)", "redirect to a non-http URL: javascript:alert(1)"),
    ("http://[oops/", "redirect to a malformed URL: 'http://[oops/'"),
])
def test_redirect_to_a_bad_url_in_an_import(server: Server, tmp_path: Path, location: str, error: str) -> None:
    server.routes.set("/t/a1.html", 302, headers={"Location": location})
    server.routes.set("/t/a2.html", body=ARTICLE, headers=HTML)
    db = tmp_path / "e.db"
    stats = import_sources([server.url("/t/a1.html"), server.url("/t/a2.html")], db)
    assert (stats.pages_fetched, stats.pages_failed) == (1, 1)
    assert imported(db, server) == [("/t/a1.html", None, error, 0), ("/t/a2.html", 200, None, 1)]


# --- one malformed href loses only itself ---


def test_malformed_href_on_a_listing_loses_only_that_link(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/", body=listing("a1.html", "http://[oops/", "http://127.0.0.1:99999/t/a7.html", "a2.html"), headers=HTML)
    server.routes.set("/t/a1.html", body=ARTICLE, headers=HTML)
    server.routes.set("/t/a2.html", body=ARTICLE.replace(b"Elm Street", b"Oak Street"), headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"])
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1), ("/t/a2.html", 200, None, 1)]
    assert [(short(server, u), s) for u, s in rows(db, "select url, state from frontier order by url")] == [
        ("/t/", "done"), ("/t/a1.html", "done"), ("/t/a2.html", "done")]


def test_malformed_hrefs_in_an_article_lose_nothing(server: Server, tmp_path: Path) -> None:
    bad = (b'<div class="crumb"><a href="http://[oops/">Home</a> &gt; <a href="http://[oops/x">News</a></div>'
           b'<link rel="next" href="http://[oops/2"><a href="http://[oops/3">next</a>')
    body = ARTICLE.replace(b"<body>", b"<body>" + bad, 1)
    assert body != ARTICLE
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, HTML, body)))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1)]
    assert rows(db, "select title from pages") == [("Community garden opens on Elm Street",)]


# --- a binary body is never an essay, whatever the server calls it ---


def test_png_served_as_html_is_not_an_essay_in_a_crawl(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, {"Content-Type": "text/html"}, PNG)))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, "skipped: binary data, not a page (served as text/html)", 0)]
    assert rows(db, "select count(*) from essays") == [(0,)]
    assert rows(db, "select count(*) from raw") == [(0,)]


def test_png_served_as_html_is_not_an_essay_in_an_import_or_extract(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/a1.png.html", body=PNG, headers={"Content-Type": "text/html; charset=utf-8"})
    db = tmp_path / "e.db"
    stats = import_sources([server.url("/t/a1.png.html")], db)
    assert stats.pages_failed == 1
    assert imported(db, server) == [("/t/a1.png.html", None, "binary data, not a page (served as text/html)", 0)]
    assert rows(db, "select count(*) from essays") == [(0,)]
    page = tmp_path / "a1.html"
    page.write_bytes(PNG)
    result = CliRunner().invoke(main, ["extract", str(page)])
    assert (result.exit_code, result.stderr) == (1, f"error: {page}: binary file, not a page\n")


def test_png_served_as_html_in_a_multi_page_article_part(server: Server, tmp_path: Path) -> None:
    first = ARTICLE.replace(b"</body>", b'<a href="a1_2.html">next</a></body>', 1)
    server.routes.set("/t/a1_2.html", body=PNG, headers={"Content-Type": "text/html"})
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, HTML, first)), pattern=r"/t/a\d\.html")
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    incomplete = f"part {server.url('/t/a1_2.html')} failed: binary data, not a page (served as text/html)"
    assert rows(db, "select essay_count, incomplete from pages") == [(1, incomplete)]
    assert "\ufffd" not in rows(db, "select text from essays")[0][0]


# --- charset: a declaration that decodes without error is checked ---

GBK_TEXT = ("从那以后，我们班按时完成月度计划，心里感到无比温暖。渐渐地，爷爷按时完成月度计划，收获了真正的友谊。"
            "后来，老师走进田野观察庄稼，明白了坚持的意义。")


def test_gbk_page_declared_big5_is_decoded_as_gbk(server: Server, tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>{GBK_TEXT}</p>" for _ in range(3))
    page = f'<html><head><meta charset="big5"><title>月度计划</title></head><body><h1>月度计划</h1>{paragraphs}</body></html>'
    body = page.encode("gbk")
    body.decode("big5hkscs")  # the declaration decodes without an error: not proof enough
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, {"Content-Type": "text/html"}, body)))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert rows(db, "select encoding, title from pages") == [("gb18030", "月度计划")]
    assert rows(db, "select text from essays") == [("\n".join([GBK_TEXT] * 3),)]


# --- robots.txt: its first max_bytes (at least 500 KiB); failures as RFC 9309 says ---


def robots_site(server: Server, tmp_path: Path, **fetch: Any) -> Path:
    server.routes.set("/t/", body=listing("a1.html", "a2.html", "private.html"), headers=HTML)
    for name in ("a1", "a2", "private"):
        server.routes.set(f"/t/{name}.html", body=ARTICLE.replace(b"Elm", name.encode()), headers=HTML)
    return write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/\w+\.html"], [r"/t/$"], **fetch)


def test_robots_over_max_bytes_is_read_to_500_kib(server: Server, tmp_path: Path) -> None:
    filler = b"".join(b"# comment line %06d to make the file long\n" % i for i in range(16_000))  # ~ 640 KB
    assert 500 * 1024 < len(filler)
    robots = b"User-agent: *\nDisallow: /t/private\n" + filler + b"Disallow: /t/a2\n"  # past 500 KiB: not read
    server.routes.set("/robots.txt", body=robots, headers={"Content-Type": "text/plain"})
    site = robots_site(server, tmp_path, max_bytes=100_000)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert [(short(server, u), s, e) for u, s, e in rows(db, "select url, state, error from frontier order by url")] == [
        ("/t/", "done", None), ("/t/a1.html", "done", None), ("/t/a2.html", "done", None),
        ("/t/private.html", "skipped", "disallowed by robots.txt")]
    assert "/t/private.html" not in server.routes.hits


@pytest.mark.parametrize("status, stored, why", [
    (503, None, "HTTP 503"), (500, None, "HTTP 500"), (None, None, "no response"), (404, "allow", ""), (403, "allow", ""),
])
def test_robots_failures_as_rfc_9309_says(server: Server, tmp_path: Path, status: int | None, stored: str | None, why: str) -> None:
    if status is None:
        server.routes.routes["/robots.txt"] = reset
    else:
        server.routes.set("/robots.txt", status, body=b"oops", headers={"Content-Type": "text/plain"})
    site = robots_site(server, tmp_path, retries=0)
    site.write_text(site.read_text().replace("start_urls = [", f"start_urls = ['{server.url('/t/a1.html')}', "), encoding="utf-8")
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert "Traceback" not in err
    if stored == "allow":
        assert code == 0, err
        assert rows(db, "select count(*) from pages where error is null") == [(3,)]
        return
    error = f"robots.txt unreachable ({why}): the host's URLs are not fetched in this run"
    assert [(short(server, u), s, e) for u, s, e in rows(db, "select url, state, error from frontier order by url")] == [
        ("/t/", "skipped", error), ("/t/a1.html", "skipped", error)]
    assert page_rows(server, db) == [("/t/a1.html", None, f"skipped: {error}", 0)]
    assert [h for h in server.routes.hits if h != "/robots.txt"] == []


# --- a start URL off allowed_hosts; the strictest politeness of every config naming a host ---


def test_start_url_off_allowed_hosts_is_a_config_error(server: Server, tmp_path: Path) -> None:
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"], top={"allowed_hosts": ["example.org"]})
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 2
    assert f"start URL '{server.url('/t/')}' is not on allowed_hosts (example.org)" in err
    assert not db.exists() and server.routes.hits == []


class InFlight:
    """Routes that count the requests in flight at once (each holds its slot for a while)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def route(self, body: bytes) -> Any:
        def answer(handler: BaseHTTPRequestHandler) -> None:
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            time.sleep(0.05)
            with self.lock:
                self.now -= 1
            sequence((200, HTML, body))(handler)
        return answer


@pytest.mark.parametrize("order", [("loose", "strict"), ("strict", "loose")])
def test_two_configs_on_one_host_take_the_strictest_politeness(server: Server, tmp_path: Path, order: tuple[str, str]) -> None:
    counter = InFlight()
    paths: dict[str, Path] = {}
    for name, concurrency in (("loose", 8), ("strict", 1)):
        links = [f"{name}{i}.html" for i in range(8)]
        server.routes.set(f"/{name}/", body=listing(*links), headers=HTML)
        for link in links:
            server.routes.routes[f"/{name}/{link}"] = counter.route(ARTICLE.replace(b"Elm", link.encode()))
        paths[name] = write_site(tmp_path / f"{name}.toml", [server.url(f"/{name}/")], [rf"/{name}/{name}\d"],
                                 [rf"/{name}/$"], top={"name": name}, concurrency=concurrency)
    db = tmp_path / "e.db"
    code, err = crawl(*(str(paths[n]) for n in order), "--db", str(db))
    assert code == 0, err
    assert rows(db, "select count(*) from pages where error is null") == [(16,)]
    assert counter.peak == 1
