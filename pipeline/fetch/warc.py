"""Reading web archives (WARC, and ARC through warcio's conversion): HTTP responses as they were fetched.

    reader = ArchiveReader("crawl.warc.gz")
    for resp in reader:            # ArchivedResponse: url, warc_date, status, headers, body, file, offset, length
        ...
    reader.skipped                 # Counter of records not taken, by type: request, metadata, revisit, warcinfo, ...
    reader.failures                # RecordFailure(file, offset, error) for each truncated or malformed record

`iter_responses(path)` is the same without the counters. `read_response(file, offset, length)` reads one
record back through its pointer (what `pipeline reprocess` does for pages imported without --copy-raw).

Records are parsed without warcio's own HTTP step, so a record whose HTTP header block is broken is
reported as a failure and the next record is still read. A file that is not an archive, or is cut
short, ends with one failure at the offset where reading stopped; the records before it are kept.
"""

from __future__ import annotations

import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser, StatusAndHeadersParserException

from pipeline.errors import FetchError
from pipeline.text.urls import safe_canonical

_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=True)
_READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, EOFError, OSError, zlib.error, ValueError, UnicodeError)


@dataclass(frozen=True)
class ArchivedResponse:
    """One HTTP response record: where it came from, when, its HTTP status and headers, and its body
    (transfer and content encodings removed). `headers` has lower-case names, repeated ones joined."""

    url: str
    warc_date: str  # ISO 8601 in UTC, as pages.fetched_at
    status: int
    headers: dict[str, str]
    body: bytes
    file: str
    offset: int
    length: int
    record_id: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class RecordFailure:
    """A record that could not be read: the file, the byte offset of the record, and why."""

    file: str
    offset: int
    error: str

    def __str__(self) -> str:
        return f"{self.file}@{self.offset}: {self.error}"


class ArchiveError(FetchError):
    """An archived record that cannot be read back (the file moved, or the bytes at the pointer changed)."""


def iso_date(value: str) -> str:
    """A WARC-Date (or ARC 14-digit date) as ISO 8601 UTC, seconds kept, fractions kept when given."""
    value = value.strip()
    try:
        if value.isdigit() and len(value) >= 14:
            when = datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        else:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        return ""
    return when.isoformat(timespec="microseconds" if when.microsecond else "seconds")


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.strip().lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _response(record: Any, file: str, offset: int) -> ArchivedResponse:
    """The HTTP part of a response record; raises StatusAndHeadersParserException / EOFError / zlib.error."""
    http = _HTTP_PARSER.parse(record.raw_stream)
    record.http_headers = http
    body = record.content_stream().read()
    missing = getattr(record.raw_stream, "limit", 0)
    if missing:
        raise EOFError(f"record cut short: {missing} bytes of its block missing")
    status = http.get_statuscode()
    return ArchivedResponse(
        url=_canonical(record.rec_headers.get_header("WARC-Target-URI") or ""),
        warc_date=iso_date(record.rec_headers.get_header("WARC-Date") or ""),
        status=int(status) if status and status.isdigit() else 0,
        headers=_headers(http.headers), body=body, file=file, offset=offset, length=0,
        record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
    )


def _canonical(url: str) -> str:
    """Pages are keyed on canonical URLs (`pipeline.text.urls`), whatever spelling the archive used."""
    return safe_canonical(url) or url.strip()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, StatusAndHeadersParserException):
        return f"bad HTTP header block: {str(exc).splitlines()[0][:200]}"
    if isinstance(exc, ArchiveLoadFailed):
        first = " ".join(str(exc).split())[:200]
        return f"not a WARC/ARC record: {first}"
    if isinstance(exc, zlib.error):
        return f"bad gzip data: {exc}"
    if isinstance(exc, EOFError):
        return str(exc) or "file cut short"
    return f"{type(exc).__name__}: {exc}"[:300]


def _sniff(head: bytes) -> str:
    """Why the first bytes of a file are not a WARC or ARC archive (gzip per record, or plain); "" when they are."""
    gzipped = head[:2] == b"\x1f\x8b"
    if gzipped:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error as exc:
            return f"not a WARC/ARC file: bad gzip data ({exc})"
        if not head:
            return "not a WARC/ARC file: the gzip data is cut short"
    if not head:
        return "empty file, not a WARC/ARC file"
    if head.startswith((b"WARC/", b"filedesc://")):
        return ""
    kind = "gzip data" if gzipped else "a file"
    return f"not a WARC/ARC file: {kind} that starts with {head[:24]!r}, not with 'WARC/' or 'filedesc://'"


@dataclass
class ArchiveReader:
    """Iterate over the HTTP response records of one WARC/ARC file (gzip per record, or plain).

    A part of a file: from `start` (the offset of a record, as an earlier part's `next_offset`),
    stopping after `limit` responses (0: to the end); `next_offset` is then where the next part
    starts, or None when the file has been read to its end (or to a failure that stops it)."""

    path: str | Path
    skipped: Counter[str] = field(default_factory=Counter)
    failures: list[RecordFailure] = field(default_factory=list)
    records: int = 0
    start: int = 0
    limit: int = 0
    next_offset: int | None = None

    def __iter__(self) -> Iterator[ArchivedResponse]:
        file = str(self.path)
        try:
            fh: BinaryIO = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            self.failures.append(RecordFailure(file, 0, f"cannot open: {exc.strerror or exc}"))
            return
        with fh:
            if self.start == 0:
                problem = _sniff(fh.read(512))
                if problem:
                    self.failures.append(RecordFailure(file, 0, problem))
                    return
                fh.seek(0)
            else:  # an uncompressed record ends with blank lines its length leaves out: the next starts after them
                fh.seek(self.start)
                head = fh.read(8)
                fh.seek(self.start + len(head) - len(head.lstrip(b"\r\n")))
            taken = 0
            for resp in self._iterate(fh, file):
                yield resp
                taken += 1
                if taken == self.limit:
                    self.next_offset = resp.offset + resp.length
                    return

    def _iterate(self, fh: BinaryIO, file: str) -> Iterator[ArchivedResponse]:
        archive = ArchiveIterator(fh, no_record_parse=True, arc2warc=True)
        records = iter(archive)
        while True:  # archive.offset counts from where fh stood (warcio reads its position)
            offset = archive.offset
            try:
                record = next(records)
            except StopIteration:
                return
            except _READ_ERRORS as exc:
                self.failures.append(RecordFailure(file, offset, _describe(exc)))
                return
            self.records += 1
            offset = archive.offset
            kind = record.rec_type or "unknown"
            if kind != "response":
                self.skipped[kind] += 1
                continue
            try:
                resp = _response(record, file, offset)
                archive.read_to_end()
                length = archive.get_record_length()
            except _READ_ERRORS as exc:
                self.failures.append(RecordFailure(file, offset, _describe(exc)))
                try:
                    archive.read_to_end()
                except _READ_ERRORS:
                    return
                continue
            if not resp.url.startswith(("http://", "https://")):
                self.skipped["non-http response"] += 1
                continue
            yield ArchivedResponse(**{**resp.__dict__, "length": length})


def iter_responses(path: str | Path) -> Iterator[ArchivedResponse]:
    """The HTTP response records of one WARC/ARC file (see ArchiveReader for the counters)."""
    return iter(ArchiveReader(path))


def read_response(file: str | Path, offset: int, length: int) -> ArchivedResponse:
    """One response record read back through its pointer; raises ArchiveError when the file is gone
    or the bytes there are no longer that record."""
    try:
        with open(file, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError as exc:
        raise ArchiveError(f"archive {file} cannot be read: {exc.strerror or exc} (moved or deleted?)") from None
    if len(data) < length:
        raise ArchiveError(f"archive {file} is shorter than the stored pointer (offset {offset}, length {length}): changed or cut")
    reader = ArchiveReader(file)
    found = list(reader._iterate(io.BytesIO(data), str(file)))
    if len(found) != 1:
        why = reader.failures[0].error if reader.failures else "no response record there"
        raise ArchiveError(f"archive {file} at offset {offset} no longer holds the stored record: {why}")
    return ArchivedResponse(**{**found[0].__dict__, "offset": offset, "length": length})
