#!/usr/bin/env python3
"""Soak: a 2,000-article site on 127.0.0.1 whose server injects faults on 10% of requests, crawled
through kill -9 and SIGTERM at random moments, then checked page by page.

Faults (drawn per request): a body dripped a byte at a time, `Content-Encoding: gzip, gzip` bombs,
redirects to data:/mailto:/javascript:/malformed URLs, a PNG served as text/html, a GBK page that
declares big5, malformed links and control characters in the HTML, 429 (Retry-After 1), 503 and
500 answers, 503 storms (four in a row: more than the retries) and connection resets. Every listing link is written in a random spelling of its URL
(`?utm_source=`, `#fragment`, `//a/N.html`, percent-encoding), so canonicalisation is soaked too.

The crawl (delay 0, concurrency 8, 2 retries, backoff 0.2 s, max_retry_after 3 s, deadline 2 s)
runs as `pipeline crawl` in a subprocess; it is killed (SIGKILL 10 times, SIGTERM 5 times, in a
random order) after 20 to 120 more requests reach the server, then run to the end. Checked at the end: every article
has exactly one page row (0 lost, 0 duplicated); a page without error holds the article's text; a
page with an error is one whose last requests the server did fault, and the error names that
fault; the frontier has nothing pending; `PRAGMA integrity_check` is ok; peak RSS of every run.

Progress on stderr; the last line on stdout is one JSON object (tools/bench.py reads it).

    python tools/bench_soak.py [--pages 2000] [--fault-rate 0.1] [--kills 10] [--terms 5] [--seed 13]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = str(Path(sys.executable).parent / "pipeline")
PER_LISTING = 50
PHRASES = ["我们班按时完成月度计划", "心里感到无比温暖", "爷爷走进田野观察庄稼", "明白了坚持的意义", "老师在雨中等了很久",
           "收获了真正的友谊", "对未来充满了希望", "同学们认真地读书写字", "妈妈做了一桌好吃的饭菜", "春天的花开满了山坡"]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 16
BOMB = gzip.compress(gzip.compress(bytes(1 << 20), 9) * 1024, 9)  # gzip, gzip: 1 GB of zeros in a few KB
TRANSIENT = ("drip", "429", "503", "500", "reset")
ARTICLE_FAULTS = (*TRANSIENT, "storm", "bomb", "redirect", "binary", "charset", "links", "control")
STORM = 4  # a storm answers 503 to this many requests in a row: more than 1 + retries (2)
LISTING_FAULTS = (*TRANSIENT, "links", "control")
# the error recorded for a fault that outlived its retries (transient) or at once (the others)
ERRORS = {"drip": r"took longer than the 2s deadline", "429": r"HTTP 429", "503": r"HTTP 503", "500": r"HTTP 500",
          "reset": r"(RemoteProtocolError|ReadError|ConnectError|timed out)",
          "storm": r"^HTTP 503 \(gave up after 3 attempts\)$", "bomb": r"^skipped: body larger than",
          "redirect": r"^redirect to a (non-http|malformed) URL", "binary": r"^skipped: binary data, not a page"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def paragraphs(n: int) -> list[str]:
    rng = random.Random(n)
    return [f"第{n}号文章的第{i + 1}段：" + "，".join(rng.choice(PHRASES) for _ in range(6)) + "。" for i in range(4)]


def article(n: int, extra: str = "", charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs(n))
    return (f'<html><head><meta charset="{charset}"><title>成长的故事{n}</title></head><body>{extra}'
            f'<div class="nav"><a href="/">首页</a></div><h1>成长的故事{n}</h1><div class="content">{body}</div></body></html>')


def spelling(rng: random.Random, path: str) -> str:
    return rng.choice([path, path + "?utm_source=list", path + "#top", path.replace("/a/", "/a//"), path.replace("/a/", "/./a/"),
                       path + "?utm_medium=x&utm_campaign=y"])


class Faults:
    def __init__(self, pages: int, rate: float, seed: int) -> None:
        self.pages, self.rate = pages, rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.log: dict[str, list[str]] = defaultdict(list)  # path -> what each request got ('ok' or a fault)
        self.requests = 0
        self.storms: dict[str, int] = {}  # path -> requests of its storm still to come

    def draw(self, path: str, kinds: tuple[str, ...]) -> str:
        with self.lock:
            self.requests += 1
            if self.storms.get(path, 0) > 0:
                self.storms[path] -= 1
                kind = "storm"
            else:
                kind = self.rng.choice(kinds) if self.rng.random() < self.rate else "ok"
                if kind == "storm":
                    self.storms[path] = STORM - 1
            self.log[path].append(kind)
            return kind


def canonical_path(raw: str) -> str:
    path = re.sub(r"/{2,}", "/", raw.split("?", 1)[0].split("#", 1)[0])
    return path


def make_handler(faults: Faults) -> type[BaseHTTPRequestHandler]:
    listings = (faults.pages + PER_LISTING - 1) // PER_LISTING

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def do_GET(self) -> None:
            path = canonical_path(self.path)
            if path == "/robots.txt":
                self.send(404, b"", "text/plain")
                return
            m = re.fullmatch(r"/a/(\d+)\.html", path)
            if m and int(m.group(1)) < faults.pages:
                kind = faults.draw(path, ARTICLE_FAULTS)
                self.article(int(m.group(1)), kind)
                return
            m = re.fullmatch(r"/list/(\d+)\.html", path)
            if path == "/" or (m and int(m.group(1)) < listings):
                kind = faults.draw(path, LISTING_FAULTS)
                self.listing(int(m.group(1)) if m else -1, kind)
                return
            self.send(404, b"not found", "text/plain")

        def transient(self, kind: str, body: bytes) -> bool:
            if kind == "reset":  # a TCP reset before any response
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
            elif kind in ("429", "503"):
                self.send(int(kind), b"busy", "text/plain", {"Retry-After": "1"})
            elif kind == "500":
                self.send(500, b"oops", "text/plain")
            elif kind == "storm":
                self.send(503, b"storm", "text/plain")
            elif kind == "drip":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for i in range(min(len(body), 40)):  # bounded: the client's deadline (2 s) comes first
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(0.25)
                except OSError:
                    pass
                self.close_connection = True
            else:
                return False
            return True

        def article(self, n: int, kind: str) -> None:
            page = article(n).encode()
            if self.transient(kind, page):
                return
            if kind == "bomb":
                self.send(200, BOMB, "text/html", {"Content-Encoding": "gzip, gzip"})
            elif kind == "redirect":
                target = random.choice(["data:text/html,x", "mailto:a@example.org", "javascript:void(0)", "http://[oops/"])
                self.send(302, b"", "text/plain", {"Location": target})
            elif kind == "binary":
                self.send(200, PNG, "text/html")
            elif kind == "charset":
                self.send(200, article(n, charset="big5").encode("gbk"), "text/html")
            elif kind == "links":
                self.send(200, article(n, '<a href="http://[oops/">x</a><a href="http://127.0.0.1:99999/">y</a>').encode())
            elif kind == "control":
                self.send(200, article(n, "<!-- \x01\x02\x0b\x1f --><span title='\x07'>\x0c</span>").encode())
            else:
                self.send(200, page)

        def listing(self, k: int, kind: str) -> None:
            rng = random.Random()
            if k < 0:
                links = [f"/list/{i}.html" for i in range(listings)]
            else:
                links = [spelling(rng, f"/a/{n}.html") for n in range(k * PER_LISTING, min(faults.pages, (k + 1) * PER_LISTING))]
            extra = '<a href="http://[oops/">bad</a>' if kind == "links" else ("\x01\x02" if kind == "control" else "")
            body = ("<html><head><title>list</title></head><body>" + extra
                    + "".join(f'<a href="{h}">item</a>' for h in links) + "</body></html>").encode()
            if not self.transient(kind, body):
                self.send(200, body)

    return Handler


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and hang-ups are what this server is for


def site_toml(path: Path, base: str) -> Path:
    path.write_text(f'name = "soak"\nstart_urls = ["{base}/"]\nmax_pages = 50000\n'
                    "[listing]\nallow = ['/$', '/list/\\d+\\.html$']\n[article]\nallow = ['/a/\\d+\\.html$']\n"
                    "[fetch]\nconcurrency = 8\ndelay = 0\njitter = 0\ntimeout = 5\ndeadline = 2\nretries = 2\nbackoff = 0.2\n"
                    "max_retry_after = 3\nmax_bytes = 2000000\n", encoding="utf-8")
    return path


def run_crawl(toml: Path, db: Path, stop_with: int | None, faults: Faults, after_requests: int = 0) -> dict[str, Any]:
    """One `pipeline crawl`; with `stop_with`, that signal is sent once the server has answered
    `after_requests` more requests (so it lands mid-crawl, not during start-up)."""
    proc = subprocess.Popen([PIPELINE, "crawl", str(toml), "--db", str(db)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    signalled = False
    if stop_with is not None:
        start = faults.requests
        for _ in range(60_000):  # at most 10 minutes
            if proc.poll() is not None:
                break
            if faults.requests - start >= after_requests:
                proc.send_signal(stop_with)
                signalled = True
                break
            time.sleep(0.01)
    _, status, usage = os.wait4(proc.pid, 0)
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"code": proc.returncode, "signalled": signalled, "rss_mb": usage.ru_maxrss / 1024, "traceback": "Traceback" in err,
            "summary": err.strip().splitlines()[-1] if err.strip() else ""}


def check(db: Path, faults: Faults, pages: int) -> dict[str, Any]:
    con = sqlite3.connect(db)
    rows = con.execute("select url, error, essay_count from pages").fetchall()
    by_path: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for url, error, count in rows:
        by_path[re.sub(r"^https?://[^/]+", "", url)].append((url, error, count))
    texts = dict(con.execute("select page_url, group_concat(text, '\n') from essays group by page_url").fetchall())
    lost = duplicated = wrong_text = unexplained = behind = 0
    failed: dict[str, int] = defaultdict(int)
    listings = {re.sub(r"^https?://[^/]+", "", u): (s, e) for u, s, e in
                con.execute("select url, state, error from frontier where kind = 'listing'").fetchall()}
    listings_failed = {p: v for p, v in listings.items() if v[0] != "done"}
    for n in range(pages):
        path = f"/a/{n}.html"
        found = by_path.get(path, [])
        if not found:
            if f"/list/{n // PER_LISTING}.html" in listings_failed or "/" in listings_failed:
                behind += 1  # its listing failed, recorded on the listing's frontier row
            else:
                lost += 1
            continue
        duplicated += len(found) - 1
        url, error, count = found[0]
        got = faults.log.get(path, [])
        if error is None:
            text = texts.get(url, "")
            if count != 1 or any(p not in text for p in paragraphs(n)):
                wrong_text += 1
            continue
        kind = next((k for k in reversed(got) if k != "ok"), "")
        failed[kind or "none"] += 1
        if not kind or kind not in ERRORS or not re.search(ERRORS[kind], error):
            unexplained += 1
            log(f"  unexplained: {path} {error!r} after {got}")
    extra = sum(1 for p in by_path if not re.fullmatch(r"/a/\d+\.html", p))
    out = {
        "articles": pages, "pages_rows": len(rows), "pages_lost": lost, "pages_duplicated": duplicated, "pages_extra": extra,
        "pages_ok": sum(1 for r in rows if r[1] is None), "pages_failed_by_fault": dict(failed),
        "failures_unexplained": unexplained, "wrong_text": wrong_text,
        "listings_failed": {p: e for p, (_, e) in listings_failed.items()}, "articles_behind_failed_listings": behind,
        "frontier_pending": con.execute("select count(*) from frontier where state = 'pending'").fetchone()[0],
        "integrity_check": con.execute("pragma integrity_check").fetchone()[0],
        "runs": dict(con.execute("select status, count(*) from runs group by status").fetchall()),
    }
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--terms", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--keep", help="a folder to keep the database and config in (default: a temporary one)")
    args = parser.parse_args()
    faults = Faults(args.pages, args.fault_rate, args.seed)
    httpd = QuietServer(("127.0.0.1", 0), make_handler(faults))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    rng = random.Random(args.seed)
    stops = [signal.SIGKILL] * args.kills + [signal.SIGTERM] * args.terms
    rng.shuffle(stops)
    started = time.perf_counter()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.keep or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        toml, db = site_toml(tmp / "soak.toml", base), tmp / "soak.db"
        log(f"soak: {args.pages} articles at {base}, faults on {args.fault_rate:.0%} of requests, "
            f"{args.kills} kill -9 and {args.terms} SIGTERM")
        for sig in stops:
            r = run_crawl(toml, db, sig, faults, rng.randint(20, 120))
            r["signal"] = signal.Signals(sig).name
            runs.append(r)
            log(f"  {r['signal']}: exit {r['code']} ({'stopped' if r['signalled'] else 'finished first'})  {r['summary'][:120]}")
            if not r["signalled"]:
                break  # the crawl finished before this stop: the rest would only start new cycles
        final = run_crawl(toml, db, None, faults)
        runs.append(final)
        log(f"  final run: exit {final['code']}  {final['summary']}")
        result = check(db, faults, args.pages)
    httpd.shutdown()
    faulted = sum(1 for kinds in faults.log.values() for k in kinds if k != "ok")
    by_kind: dict[str, int] = defaultdict(int)
    for kinds in faults.log.values():
        for k in kinds:
            if k != "ok":
                by_kind[k] += 1
    term_runs = [r for r in runs if r.get("signal") == "SIGTERM" and r["signalled"]]
    result |= {
        "seconds": round(time.perf_counter() - started, 1), "requests": faults.requests, "faults_injected": faulted,
        "fault_rate": round(faulted / max(1, faults.requests), 3), "faults_by_kind": dict(sorted(by_kind.items())),
        "kill9_mid_run": sum(1 for r in runs if r.get("signal") == "SIGKILL" and r["signalled"]),
        "sigterm_mid_run": len(term_runs), "sigterm_exit_codes": sorted({r["code"] for r in term_runs}),
        "tracebacks": sum(r["traceback"] for r in runs), "final_exit": final["code"],
        "peak_rss_mb": round(max(r["rss_mb"] for r in runs), 1),
    }
    result["targets"] = {
        "0_lost_0_duplicated": result["pages_lost"] == 0 and result["pages_duplicated"] == 0 and result["pages_extra"] == 0,
        "every_failure_explained": result["failures_unexplained"] == 0 and result["wrong_text"] == 0,
        "nothing_pending": result["frontier_pending"] == 0, "integrity_ok": result["integrity_check"] == "ok",
        "no_tracebacks": result["tracebacks"] == 0, "peak_rss<250MB": result["peak_rss_mb"] < 250,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
