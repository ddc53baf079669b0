"""A small threaded HTTP server on 127.0.0.1 for the demo, the tests and the bench.

It serves a folder (`fixtures/demo-site/`) or a generated site of N articles, with ETag and
Last-Modified validators and 304 answers, so re-crawls are incremental against it too.

    python -m pipeline.demoserver fixtures/demo-site          # prints the base URL, serves until killed
    python -m pipeline.demoserver --generated 10000 --port 0
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain; charset=utf-8", ".png": "image/png",
         ".jpg": "image/jpeg", ".pdf": "application/pdf", ".css": "text/css", ".xml": "application/xml"}
FIXED_DATE = formatdate(1_700_000_000, usegmt=True)
PER_LISTING = 50
_WORDS = ("春天", "老师", "同学", "家乡", "梦想", "努力", "坚持", "阳光", "友谊", "成长", "读书", "劳动",
          "责任", "感恩", "勇气", "希望", "时间", "自然", "科学", "艺术", "祖国", "青春", "奋斗", "快乐")

Resolver = Callable[[str], tuple[int, str, bytes] | None]


def folder_site(root: Path) -> Resolver:
    """Files under `root`; a path ending in / serves its index.html."""
    root = root.resolve()

    def resolve(path: str) -> tuple[int, str, bytes] | None:
        target = (root / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        return 200, TYPES.get(target.suffix, "application/octet-stream"), target.read_bytes()

    return resolve


def _sentence(i: int, j: int) -> str:
    """A sentence unique to article i, paragraph j: real words around pseudo-random characters, so that
    articles do not look like near-duplicates of each other."""
    rng = random.Random(i * 1000 + j)
    filler = "".join(chr(0x4E00 + rng.randrange(0x5000)) for _ in range(24))
    words = [_WORDS[(i * 7 + j * 5 + k * 3) % len(_WORDS)] for k in range(3)]
    return f"第{i}篇的第{j}段：{words[0]}和{words[1]}让我明白了{words[2]}的意义，{filler[:12]}，{filler[12:]}（编号{i * 100 + j}）。"


def article_html(i: int) -> str:
    paras = "".join(f"<p>{_sentence(i, j)}</p>" for j in range(1, 7))
    listing = (i - 1) // PER_LISTING + 1
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>作文{i}：我的{_WORDS[i % len(_WORDS)]} - 示例作文网</title></head>'
            f'<body><div class="nav"><a href="/">首页</a> &gt; <a href="/list/{listing}.html">作文</a></div>'
            f'<div class="article"><h1>作文{i}：我的{_WORDS[i % len(_WORDS)]}</h1>{paras}</div>'
            f'<div class="footer">Copyright 示例作文网</div></body></html>')


def listing_html(k: int, pages: int) -> str:
    first, last = (k - 1) * PER_LISTING + 1, min(k * PER_LISTING, pages)
    items = "".join(f'<li><a href="/a/{i}.html">作文{i}</a></li>' for i in range(first, last + 1))
    more = f'<a href="/list/{k + 1}.html">下一页</a>' if last < pages else ""
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>作文 第{k}页</title></head><body><ul>{items}</ul>{more}</body></html>'


def generated_site(pages: int) -> Resolver:
    """`/` links to every listing page; `/list/K.html` links to 50 articles and the next listing."""
    listings = (pages + PER_LISTING - 1) // PER_LISTING

    def resolve(path: str) -> tuple[int, str, bytes] | None:
        if path == "/":
            links = "".join(f'<a href="/list/{k}.html">{k}</a> ' for k in range(1, listings + 1))
            return 200, "text/html", f"<html><body>{links}</body></html>".encode()
        if path.endswith(".html") and path.count("/") == 2:
            _, section, name = path.split("/")
            number = name[:-5]
            if number.isdigit():
                n = int(number)
                if section == "a" and 1 <= n <= pages:
                    return 200, "text/html", article_html(n).encode()
                if section == "list" and 1 <= n <= listings:
                    return 200, "text/html", listing_html(n, pages).encode()
        return None

    return resolve


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stalls
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        stats: dict[str, int] = self.server.stats
        if path == "/__stats":  # request counts, for the bench
            self._send(200, "application/json", json.dumps(stats).encode(), {})
            return
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        with self.server.stats_lock:
            stats["requests"] += 1
            stats["conditional"] += conditional
        found = self.server.resolve(path)
        if found is None:
            self._send(404, "text/plain", b"not found", {})
            return
        status, ctype, body = found
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": FIXED_DATE}
        if self.headers.get("If-None-Match") == etag:
            with self.server.stats_lock:
                stats["not_modified"] += 1
            self._send(304, "", b"", headers)
            return
        self._send(status, ctype, body, headers)

    def _send(self, status: int, ctype: str, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that goes away (a killed crawl) is no error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SiteServer:
    """`with SiteServer(resolver) as srv:` ... `srv.base` is http://127.0.0.1:PORT."""

    def __init__(self, resolve: Resolver, port: int = 0) -> None:
        self.httpd = _Quiet(("127.0.0.1", port), _Handler)
        self.httpd.resolve = resolve  # type: ignore[attr-defined]
        self.httpd.stats = {"requests": 0, "conditional": 0, "not_modified": 0}  # type: ignore[attr-defined]
        self.httpd.stats_lock = threading.Lock()  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(resolve: Resolver, port: int = 0) -> SiteServer:
    """A server on `port`, or on any free port when that one is taken."""
    try:
        return SiteServer(resolve, port)
    except OSError:
        return SiteServer(resolve, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a folder or a generated site on 127.0.0.1.")
    parser.add_argument("folder", nargs="?", help="folder to serve")
    parser.add_argument("--generated", type=int, default=0, help="serve a generated site of N articles instead")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.folder and not args.generated:
        parser.error("give a folder or --generated N")
    serve_until_interrupted(generated_site(args.generated) if args.generated else folder_site(Path(args.folder)), args.port)
    return 0


def serve_until_interrupted(resolve: Resolver, port: int = 0) -> None:
    """Serve a site on 127.0.0.1, print its base URL, and serve until Ctrl-C."""
    with SiteServer(resolve, port) as srv:
        print(srv.base, flush=True)
        try:
            srv.thread.join()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    sys.exit(main())
