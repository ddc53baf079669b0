"""Content-Encoding undone step by step under a byte cap, however the encodings are stacked.

httpx decodes each network chunk in one call, so `Content-Encoding: gzip, gzip` (16 KB on the
wire) can turn one chunk into gigabytes before any cap is checked. `BoundedDecoder` feeds raw
chunks through one zlib stream per listed coding, asking each for at most `STEP` bytes at a time,
and raises `TooLarge` as soon as the decoded total passes the cap: memory stays at a few steps per
coding whatever the ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

STEP = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # what BoundedDecoder undoes; sent with every request
MAX_CODINGS = 4  # more stacked codings than this is no real server


class TooLarge(Exception):
    """The decoded body passed the cap."""


class BadEncoding(Exception):
    """A coding that is unknown, or bytes that do not decode in it."""


class _Zlib:
    """One gzip or deflate stream, decoded at most STEP bytes per call; multi-member gzip included."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self.started = False
        self.obj = self._new()

    def _new(self) -> zlib._Decompress:
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self.coding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self.obj.decompress(data, STEP)
            except zlib.error as exc:
                if self.coding == "deflate" and not self.started:  # raw deflate, without the zlib header
                    self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    self.started = True
                    continue
                raise BadEncoding(f"bad {self.coding} data: {exc}") from None
            self.started = True
            if out:
                yield out
            if self.obj.eof:
                rest = self.obj.unused_data
                if self.coding == "gzip" and rest.strip(b"\x00"):
                    self.obj = self._new()  # the next member of a multi-member gzip
                    data = rest
                    continue
                return
            data = self.obj.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        if not self.obj.eof:
            out = self.obj.flush(STEP)
            if out:
                yield out


def codings(header: str | None) -> list[str]:
    """The codings of a Content-Encoding value in the order they must be undone (last applied first)."""
    names = [c.strip().lower() for c in (header or "").split(",")]
    names = ["gzip" if n == "x-gzip" else n for n in names if n and n != "identity"]
    if len(names) > MAX_CODINGS:
        raise BadEncoding(f"{len(names)} stacked content codings")
    for name in names:
        if name not in ("gzip", "deflate"):
            raise BadEncoding(f"unsupported content encoding {name[:40]!r}")
    return list(reversed(names))


class BoundedDecoder:
    """`feed(raw)` -> decoded bytes; raises TooLarge past `max_bytes` (or, with `truncate`, stops there and
    sets `full`), BadEncoding on bad data."""

    def __init__(self, content_encoding: str | None, max_bytes: int, truncate: bool = False) -> None:
        self.stages = [_Zlib(c) for c in codings(content_encoding)]
        self.max_bytes = max_bytes
        self.truncate = truncate  # keep the first max_bytes and set `full` instead of raising
        self.full = False
        self.size = 0

    def _through(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self.stages):
            yield data
            return
        for piece in self.stages[index].feed(data):
            yield from self._through(piece, index + 1)

    def _count(self, pieces: Iterator[bytes]) -> bytes:
        out: list[bytes] = []
        for piece in pieces:
            if self.full:
                break
            self.size += len(piece)
            if self.size > self.max_bytes:
                if not self.truncate:
                    raise TooLarge(f"body larger than {self.max_bytes} bytes")
                piece = piece[:len(piece) - (self.size - self.max_bytes)]
                self.size, self.full = self.max_bytes, True
            out.append(piece)
        return b"".join(out)

    def feed(self, raw: bytes) -> bytes:
        return self._count(self._through(raw, 0))

    def finish(self) -> bytes:
        def flushed() -> Iterator[bytes]:
            for i, stage in enumerate(self.stages):
                for piece in stage.flush():
                    yield from self._through(piece, i + 1)
        return self._count(flushed())
