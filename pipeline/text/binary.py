"""Is this a page at all? The one check every path uses (import of a file or a URL, crawl, extract)."""

from __future__ import annotations

from pipeline.text.encoding import decode

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_HEAD = 8192


def binary_reason(data: bytes, text: str | None = None) -> str:
    """'' for bytes that are a text page; else why not ('empty', 'binary').

    NUL bytes in the first 8 KB (UTF-16 with a BOM aside) or a decoded text with more than one
    replacement character in 50 (at least 20) are binary: an image, an archive, a PDF, whatever the
    server called it. `text` is the decoded text when the caller has it already.
    """
    if not data.strip():
        return "empty"
    if b"\x00" in data[:_HEAD] and not data.startswith(_UTF16_BOMS):
        return "binary"
    if text is None:
        text, _ = decode(data)
    if text.count("\ufffd") > max(20, len(text) // 50):
        return "binary"
    return ""
