"""Shared fixtures: paths, and a real HTTP server on 127.0.0.1 that serves `fixtures/` and misbehaves on request."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain", ".json": "application/json",
         ".png": "image/png", ".pdf": "application/pdf", ".toml": "text/plain"}


class Routes:
    """Per-test overrides: path -> (status, headers, body) or a callable taking the handler."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.hits: list[str] = []
        self.lock = threading.Lock()

    def set(self, path: str, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.routes[path] = (status, headers or {}, body)


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        routes: Routes = self.server.routes
        with routes.lock:
            routes.hits.append(self.path)
        path = self.path.split("?", 1)[0]
        route = routes.routes.get(path)
        if callable(route):
            route(self)
            return
        if route is not None:
            status, headers, body = route
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        target = (self.server.root / path.lstrip("/")).resolve()
        if not str(target).startswith(str(self.server.root)) or not target.is_file():
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not found")
            return
        body = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(target.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server:
    def __init__(self, root: Path) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.root = root.resolve()  # type: ignore[attr-defined]
        self.routes = Routes()
        self.httpd.routes = self.routes  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + "/" + path.lstrip("/")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(FIXTURES)
    yield srv
    srv.close()


def gold(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- crawl helpers (additive): sequences of responses and site configs for the local server ---


def sequence(*responses: tuple[int, dict[str, str], bytes]) -> Any:
    """A route answering with each (status, headers, body) in turn, then repeating the last one."""
    state = {"i": 0}
    lock = threading.Lock()

    def route(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            status, headers, body = responses[min(state["i"], len(responses) - 1)]
            state["i"] += 1
        handler.send_response(status)
        for k, v in headers.items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def write_site(path: Path, start_urls: list[str], article: list[str], listing: list[str] | None = None,
               top: dict[str, Any] | None = None, **fetch: Any) -> Path:
    """Write a site config TOML for tests: delay 0, small timeouts and backoff unless given."""
    settings = {"delay": 0, "jitter": 0, "timeout": 2, "retries": 2, "backoff": 0.05} | fetch

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return "'" + v + "'"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    top = dict(top or {})
    lines = [f"name = {value(top.pop('name', 'test'))}", f"start_urls = {value(start_urls)}"]
    lines += [f"{k} = {value(v)}" for k, v in top.items()]
    lines += ["[listing]", f"allow = {value(listing or [])}", "[article]", f"allow = {value(article)}", "[fetch]"]
    lines += [f"{k} = {value(v)}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- faults (additive): routes that misbehave the way real servers do ---


def drip(body: bytes, every: float, headers: dict[str, str] | None = None, stop: threading.Event | None = None) -> Any:
    """A route that sends its headers, then one byte of the body every `every` seconds (bounded by
    the body's length; it stops when the client hangs up or `stop` is set)."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        for k, v in (headers or {"Content-Type": "text/html"}).items():
            handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for i in range(len(body)):
                handler.wfile.write(body[i:i + 1])
                handler.wfile.flush()
                if stop is None:
                    time.sleep(every)
                elif stop.wait(every):
                    return
        except OSError:  # the client gave up: what the test wants
            return
    return route


def gzip_bomb(decoded_gb: int = 3) -> bytes:
    """`Content-Encoding: gzip, gzip` body of a few KB that decodes to `decoded_gb` GB of zeros: the
    inner gzip is one compressed MB repeated as members of a multi-member gzip, the outer gzips that."""
    member = gzip.compress(bytes(1 << 20), compresslevel=9)
    return gzip.compress(member * (decoded_gb * 1024), compresslevel=9)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
       + bytes(range(256)) * 8 + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def drip_headers(every: float, stop: threading.Event, count: int = 2000) -> Any:
    """A route that sends its status line and one endless header a byte at a time (at most `count`
    bytes; it stops when the client hangs up or `stop` is set)."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        data = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * count
        try:
            for i in range(len(data)):
                handler.wfile.write(data[i:i + 1])
                handler.wfile.flush()
                if stop.wait(every):
                    return
        except OSError:
            return
        handler.close_connection = True
    return route
