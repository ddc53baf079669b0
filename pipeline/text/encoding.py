"""Bytes to text: HTTP header charset, BOM, <meta charset>, then detection.

Chinese pages often declare gb2312 or gbk but use characters outside them, so every
member of that family is decoded as gb18030, its superset. Real pages also carry a few
broken bytes (a truncated character, a pasted fragment): a codec that fits all but a
handful of bytes still wins over a guess that fits none of the text.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from pipeline.errors import ExtractError

_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb18030", "cp936", "euc-cn", "hz-gb-2312", "csgb2312",
              "chinese", "csgbk", "ms936", "windows-936"}
_BIG5_FAMILY = {"big5", "big5-hkscs", "big5hkscs", "x-x-big5", "cn-big5", "csbig5", "cp950"}
_ALIASES = {"x-sjis": "shift_jis", "utf8": "utf-8", "unicode": "utf-8", "iso-8859-1": "cp1252", "latin1": "cp1252",
            "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}
_WEAK = {"cp1252"}  # what servers send by default; a page's own declaration or clean UTF-8 overrides it
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"<\?xml[^>]+encoding\s*=\s*[\"']\s*([\w.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_GB_PAIR = re.compile(rb"[\x81-\xfe][\x40-\xfe]")
_SAMPLE = 200_000
_ASCII = bytes(range(0x80))


def canonical(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY or name.replace("_", "-") in _GB_FAMILY:
        return "gb18030"
    if name in _BIG5_FAMILY or name.replace("_", "-") in _BIG5_FAMILY:
        return "big5hkscs"
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset named in a Content-Type header value."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return canonical(match.group(1)) if match else None


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (<meta charset>, http-equiv or an XML declaration)."""
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return canonical(match.group(1).decode("ascii", "ignore")) if match else None


def _clean_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def bad_bytes(data: bytes, codec: str) -> int:
    """How many characters of `data` do not decode in `codec` (replacement characters made)."""
    try:
        text = data.decode(codec, "replace")
    except LookupError:
        return len(data)
    return text.count("\ufffd")


def _nearly_fits(data: bytes, codec: str) -> bool:
    """True when all but a few characters decode: at most 3, or one per 2,000 non-ASCII bytes."""
    high = len(data.translate(None, _ASCII))
    return bad_bytes(data, codec) <= max(3, high // 2000)


def _big5_shaped(data: bytes) -> bool:
    """True when the double-byte pairs look like Big5 rather than GBK: GB2312 text (the bulk of any
    GBK page) never has a trail byte below 0xA1, while a third or more of Big5 characters do."""
    pairs = _GB_PAIR.findall(data[:_SAMPLE])
    if len(pairs) < 20:
        return False
    low = sum(1 for p in pairs if p[1] < 0xA1)
    return low * 4 > len(pairs)


def detect(data: bytes) -> str:
    """Guess the codec of undeclared bytes: UTF-8 when it (nearly) decodes, else the Chinese
    double-byte codecs, else charset-normalizer."""
    sample = data[:_SAMPLE]
    if _nearly_fits(sample, "utf-8"):
        return "utf-8"
    if _nearly_fits(sample, "gb18030") and _looks_chinese(sample.decode("gb18030", "replace")):
        if _big5_shaped(sample) and _nearly_fits(sample, "big5hkscs"):
            return "big5hkscs"
        return "gb18030"
    if _nearly_fits(sample, "big5hkscs") and _looks_chinese(sample.decode("big5hkscs", "replace")):
        return "big5hkscs"
    best = from_bytes(sample).best()
    guess = canonical(best.encoding) if best is not None else None
    return guess or "utf-8"


def _looks_chinese(text: str) -> bool:
    sample = text[:20_000]
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    rare = sum(1 for ch in sample if "\u3400" <= ch <= "\u4dbf" or "\ue000" <= ch <= "\uf8ff")
    return cjk > 0 and rare * 20 < cjk


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, codec used)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace"), codec
    header, meta = header_charset(content_type), meta_charset(data)
    declared = header or meta
    if header in _WEAK and meta and meta != header:
        declared = meta  # a server default (ISO-8859-1) yields to the page's own declaration
    if declared in _WEAK and _clean_decode(data, "utf-8") is not None and max(data, default=0) >= 0x80:
        declared = "utf-8"
    if declared:
        text = _clean_decode(data, declared)
        if text is not None:
            return text, declared
        # A declaration that does not fit the bytes: keep it when it nearly fits, else trust detection.
        if not _nearly_fits(data, declared):
            guess = detect(data)
            if bad_bytes(data, guess) < bad_bytes(data, declared):
                return data.decode(guess, "replace"), guess
        return data.decode(declared, "replace"), declared
    codec = detect(data)
    return data.decode(codec, "replace"), codec


def decode_page(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode the bytes of something that should be a page; (text, codec used).

    Raises ExtractError for an empty body and for binary data (NUL bytes outside UTF-16, or text
    that decodes to mostly replacement characters), which must never become essays."""
    if not data.strip():
        raise ExtractError("empty file")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("binary file, not a page")
    text, codec = decode(data, content_type)
    if text.count("\ufffd") > max(20, len(text) // 50):
        raise ExtractError("binary file, not a page")
    return text, codec
