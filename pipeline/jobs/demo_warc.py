"""WARC files of the demo sites, written with warcio: for the tests, the bench and trying `pipeline import x.warc.gz`.

    python -m pipeline.jobs.demo_warc out.warc.gz                 # the bundled demo site (fixtures/demo-site)
    python -m pipeline.jobs.demo_warc out.warc.gz --generated 20000

Each page is a request record followed by its response record (HTTP status line, Content-Type,
ETag, Last-Modified, the body as served), one gzip member per record, as crawlers write them.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.jobs.demo_site import TYPES, generated_site

BASE = "http://demo.example/"


@dataclass(frozen=True)
class Capture:
    """One page to archive: URL, WARC date, HTTP status, content type and body."""

    url: str
    date: datetime
    body: bytes
    content_type: str = "text/html"
    status: int = 200
    extra_headers: tuple[tuple[str, str], ...] = ()


def warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_records(out: BinaryIO, captures: Iterable[Capture], gzip: bool = True, requests: bool = True) -> int:
    """Write a request and a response record per capture; returns the number of responses written."""
    writer = WARCWriter(out, gzip=gzip)
    count = 0
    for cap in captures:
        date = warc_date(cap.date)
        if requests:
            req = StatusAndHeaders(f"GET /{cap.url.split('/', 3)[-1]} HTTP/1.1", [("Host", cap.url.split("/")[2])],
                                   is_http_request=True)
            writer.write_record(writer.create_warc_record(cap.url, "request", http_headers=req,
                                                          warc_headers_dict={"WARC-Date": date}))
        headers = [("Content-Type", cap.content_type), ("Content-Length", str(len(cap.body))), *cap.extra_headers]
        http = StatusAndHeaders(f"{cap.status} {'OK' if cap.status == 200 else 'Other'}", headers, protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(cap.url, "response", payload=io.BytesIO(cap.body), http_headers=http,
                                                      warc_headers_dict={"WARC-Date": date}))
        count += 1
    return count


def folder_captures(root: Path, base: str = BASE, when: datetime | None = None) -> Iterator[Capture]:
    """Every served file under `root` (robots.txt and the generator script left out), in path order."""
    when = when or datetime(2024, 5, 1, tzinfo=UTC)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".html", ".htm", ".txt"))
    for i, path in enumerate(files):
        rel = path.relative_to(root).as_posix()
        yield Capture(base + rel, when + timedelta(seconds=i), path.read_bytes(), TYPES.get(path.suffix, "text/html"))


def generated_captures(pages: int, base: str = BASE, when: datetime | None = None) -> Iterator[Capture]:
    """The articles of the generated demo site (`demo_site.generated_site`), /a/1.html to /a/N.html."""
    when = when or datetime(2024, 5, 1, tzinfo=UTC)
    resolve = generated_site(pages)
    for i in range(1, pages + 1):
        found = resolve(f"/a/{i}.html")
        assert found is not None
        _, ctype, body = found
        yield Capture(f"{base}a/{i}.html", when + timedelta(seconds=i), body, ctype)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a WARC file of the demo site (or a generated one).")
    parser.add_argument("out")
    parser.add_argument("--generated", type=int, default=0, help="N generated articles instead of fixtures/demo-site")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent.parent / "fixtures" / "demo-site"
    captures = generated_captures(args.generated) if args.generated else folder_captures(root)
    with open(args.out, "wb") as out:
        n = write_records(out, captures)
    print(f"{n} responses -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
