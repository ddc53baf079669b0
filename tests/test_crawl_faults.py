"""A server that misbehaves on purpose: every fault ends in an exact, recorded outcome, never a traceback."""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from .conftest import Server, sequence, write_site
from .test_crawl import ARTICLE, HTML, TITLE, crawl, listing, rows, short


def one_page_site(server: Server, tmp_path: Path, href: str, route: Any = None, pattern: str = r"/t/a\w*", **fetch: Any) -> Path:
    server.routes.set("/t/", body=listing(href), headers=HTML)
    if route is not None:
        server.routes.routes["/t/" + href] = route
    return write_site(tmp_path / "site.toml", [server.url("/t/")], [pattern], [r"/t/$"], **fetch)


def page_rows(server: Server, db: Path) -> list[tuple[Any, ...]]:
    return [(short(server, u), s, e, n) for u, s, e, n in rows(db, "select url, status, error, essay_count from pages order by url")]


def stamped(route: Any, times: list[float]) -> Any:
    def wrapped(handler: BaseHTTPRequestHandler) -> None:
        times.append(time.monotonic())
        route(handler)
    return wrapped


def test_slow_response_past_timeout(server: Server, tmp_path: Path) -> None:
    done = threading.Event()

    def slow(handler: BaseHTTPRequestHandler) -> None:
        done.wait(3)  # longer than the 0.3 s timeout; released at the end of the test

    site = one_page_site(server, tmp_path, "a1.html", slow, timeout=0.3, retries=1)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    done.set()
    assert code == 1
    assert f"failed: {server.url('/t/a1.html')}: timed out (gave up after 2 attempts)" in err
    assert page_rows(server, db) == [("/t/a1.html", None, "timed out (gave up after 2 attempts)", 0)]
    assert server.routes.hits.count("/t/a1.html") == 2
    assert rows(db, "select pages_fetched, pages_failed, status from runs") == [(1, 1, "partial")]
    assert rows(db, "select state, attempts, error from frontier where url like '%a1.html'") == [
        ("failed", 1, "timed out (gave up after 2 attempts)")]
    assert "Traceback" not in err


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP reset, before any response."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def test_connection_reset_then_success(server: Server, tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(handler: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            reset(handler)
        else:
            sequence((200, HTML, ARTICLE))(handler)

    site = one_page_site(server, tmp_path, "a1.html", flaky)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1)]
    assert server.routes.hits.count("/t/a1.html") == 2


def test_connection_reset_every_time(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", reset, retries=2)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    error = rows(db, "select error from pages")[0][0]
    assert error in ("ReadError (gave up after 3 attempts)", "RemoteProtocolError: Server disconnected without sending a response. "
                     "(gave up after 3 attempts)")
    assert server.routes.hits.count("/t/a1.html") == 3


def test_429_with_retry_after_is_honoured(server: Server, tmp_path: Path) -> None:
    times: list[float] = []
    route = stamped(sequence((429, {"Retry-After": "1"}, b"slow down"), (200, HTML, ARTICLE)), times)
    site = one_page_site(server, tmp_path, "a1.html", route)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1)]
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # waited as asked
    assert rows(db, "select attempts, state from frontier where url like '%a1.html'") == [(1, "done")]


def test_503_with_too_long_retry_after_fails(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((503, {"Retry-After": "9999"}, b"")))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    assert page_rows(server, db) == [("/t/a1.html", 503, "HTTP 503 with Retry-After 9999s (over 600s)", 0)]
    assert server.routes.hits.count("/t/a1.html") == 1


def test_500_then_200(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((500, {}, b"oops"), (502, {}, b"oops"), (200, HTML, ARTICLE)))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1)]
    assert rows(db, "select title from essays") == [(TITLE,)]
    assert server.routes.hits.count("/t/a1.html") == 3
    assert rows(db, "select pages_fetched, pages_failed, essays_added, status from runs") == [(2, 0, 1, "ok")]


def test_500_always_fails_after_bounded_attempts(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((500, {}, b"oops")), retries=3)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    assert page_rows(server, db) == [("/t/a1.html", 500, "HTTP 500 (gave up after 4 attempts)", 0)]
    assert server.routes.hits.count("/t/a1.html") == 4


def truncated(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(ARTICLE)))
    handler.end_headers()
    handler.wfile.write(ARTICLE[:300])
    handler.wfile.flush()
    handler.close_connection = True


def test_truncated_body_is_retried_then_recorded(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", truncated, retries=1)
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    assert page_rows(server, db) == [("/t/a1.html", None, "RemoteProtocolError: peer closed connection without sending complete "
                                      f"message body (received 300 bytes, expected {len(ARTICLE)}) (gave up after 2 attempts)", 0)]
    assert rows(db, "select count(*) from essays") == [(0,)]


def test_redirect_loop(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/a2.html", 302, headers={"Location": "/t/a1.html"})
    site = one_page_site(server, tmp_path, "a1.html", sequence((301, {"Location": "a2.html"}, b"")))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    assert page_rows(server, db) == [("/t/a1.html", 302, f"redirect loop at {server.url('/t/a1.html')}", 0)]
    assert server.routes.hits.count("/t/a1.html") == 1 and server.routes.hits.count("/t/a2.html") == 1


def test_too_many_redirects(server: Server, tmp_path: Path) -> None:
    for i in range(1, 6):
        server.routes.set(f"/t/r{i}.html", 302, headers={"Location": f"/t/r{i + 1}.html"})
    site = one_page_site(server, tmp_path, "r1.html", pattern=r"/t/r1\.html$", max_redirects=3)
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 1
    assert page_rows(server, db) == [("/t/r1.html", None, "more than 3 redirects", 0)]
    assert "/t/r5.html" not in server.routes.hits


def test_redirect_to_host_outside_config(server: Server, tmp_path: Path) -> None:
    outside = server.base.replace("127.0.0.1", "localhost") + "/t/a9.html"
    server.routes.set("/t/a9.html", body=ARTICLE, headers=HTML)
    site = one_page_site(server, tmp_path, "a1.html", sequence((302, {"Location": outside}, b"")))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1
    assert page_rows(server, db) == [("/t/a1.html", 302, f"redirect out of the allowed hosts: {outside}", 0)]
    assert "/t/a9.html" not in server.routes.hits


def test_redirect_inside_config_is_followed(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/new.html", body=ARTICLE, headers=HTML)
    site = one_page_site(server, tmp_path, "a1.html", sequence((301, {"Location": "/t/new.html"}, b"")))
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert [(short(server, u), short(server, f), s) for u, f, s in rows(db, "select url, final_url, status from pages")] == [
        ("/t/a1.html", "/t/new.html", 200)]


def test_images_and_pdfs_are_skipped(server: Server, tmp_path: Path) -> None:
    server.routes.set("/t/", body=listing("a1.png", "a2.pdf", "a3.html"), headers=HTML)
    server.routes.set("/t/a1.png", body=b"\x89PNG\r\n\x1a\n" + bytes(200), headers={"Content-Type": "image/png"})
    server.routes.set("/t/a2.pdf", body=b"%PDF-1.4\n" + bytes(200), headers={"Content-Type": "application/pdf"})
    server.routes.set("/t/a3.html", body=ARTICLE, headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"])
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert "crawled 2 pages (0 unchanged, 2 skipped, 0 failed), 1 essays added" in err
    assert page_rows(server, db) == [("/t/a1.png", 200, "skipped: not a text page (image/png)", 0),
                                     ("/t/a2.pdf", 200, "skipped: not a text page (application/pdf)", 0),
                                     ("/t/a3.html", 200, None, 1)]
    assert rows(db, "select state, count(*) from frontier group by state order by state") == [("done", 2), ("skipped", 2)]


def test_body_past_the_cap(server: Server, tmp_path: Path) -> None:
    big = b"<html><body>" + b"<p>" + b"x" * 30_000 + b"</p></body></html>"

    def unsized(handler: BaseHTTPRequestHandler) -> None:  # no Content-Length: the cap applies while reading
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(big)
        handler.close_connection = True

    server.routes.set("/t/", body=listing("a1.html", "a2.html"), headers=HTML)
    server.routes.set("/t/a1.html", body=big, headers=HTML)
    server.routes.routes["/t/a2.html"] = unsized
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"], max_bytes=20_000)
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert page_rows(server, db) == [("/t/a1.html", 200, "skipped: body larger than 20000 bytes", 0),
                                     ("/t/a2.html", 200, "skipped: body larger than 20000 bytes", 0)]


def test_gzip_bomb_stopped_by_decompressed_cap(server: Server, tmp_path: Path) -> None:
    bomb = gzip.compress(b"<html><body><p>" + b"a" * 30_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.routes.set("/t/", body=listing("a1.html"), headers=HTML)
    server.routes.set("/t/a1.html", body=bomb, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/t/a\d"], [r"/t/$"], max_bytes=1_000_000)
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert page_rows(server, db) == [("/t/a1.html", 200, "skipped: body larger than 1000000 bytes", 0)]
    assert rows(db, "select count(*) from raw") == [(0,)]


def test_robots_txt_disallows_part_of_the_site(server: Server, tmp_path: Path) -> None:
    server.routes.set("/robots.txt", body=b"User-agent: *\nDisallow: /t/private/\n", headers={"Content-Type": "text/plain"})
    server.routes.set("/t/", body=listing("a1.html", "private/a2.html", "a3.html"), headers=HTML)
    for path in ("/t/a1.html", "/t/private/a2.html", "/t/a3.html"):
        server.routes.set(path, body=ARTICLE, headers=HTML)
    site = write_site(tmp_path / "site.toml", [server.url("/t/")], [r"/a\d\.html$"], [r"/t/$"])
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert "crawled 3 pages (0 unchanged, 1 skipped, 0 failed), 2 essays added" in err
    assert [u for u, *_ in page_rows(server, db)] == ["/t/a1.html", "/t/a3.html"]
    assert "/t/private/a2.html" not in server.routes.hits
    assert server.routes.hits.count("/robots.txt") == 1
    assert [(short(server, u), s, e) for u, s, e in rows(db, "select url, state, error from frontier where state != 'done'")] == [
        ("/t/private/a2.html", "skipped", "disallowed by robots.txt")]


def test_robots_can_be_turned_off(server: Server, tmp_path: Path) -> None:
    server.routes.set("/robots.txt", body=b"User-agent: *\nDisallow: /\n", headers={"Content-Type": "text/plain"})
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, HTML, ARTICLE)), robots=False)
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    assert "/robots.txt" not in server.routes.hits
    assert page_rows(server, db) == [("/t/a1.html", 200, None, 1)]


def test_404_on_a_recrawl_marks_the_page_and_its_essays_gone(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((200, HTML, ARTICLE)))
    db = tmp_path / "e.db"
    assert crawl(str(site), "--db", str(db))[0] == 0
    server.routes.set("/t/a1.html", 404, b"gone")
    code, err = crawl(str(site), "--db", str(db))
    assert code == 0, err
    assert page_rows(server, db) == [("/t/a1.html", 404, None, 1)]
    assert rows(db, "select count(*), count(gone) from essays") == [(1, 1)]
    assert rows(db, "select p.gone = e.gone from pages p join essays e on e.page_url = p.url") == [(1,)]


def test_404_on_a_first_crawl_is_a_failure(server: Server, tmp_path: Path) -> None:
    site = one_page_site(server, tmp_path, "a1.html", sequence((404, HTML, b"no such page")))
    db = tmp_path / "e.db"
    code, err = crawl(str(site), "--db", str(db))
    assert code == 1, err
    assert page_rows(server, db) == [("/t/a1.html", 404, "HTTP 404", 0)]
    assert rows(db, "select count(*), count(gone) from pages") == [(1, 0)]
