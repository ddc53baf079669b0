"""Bytes to text: HTTP header charset, BOM, <meta charset>, then detection.

Chinese pages often declare gb2312 or gbk but use characters outside them, so every
member of that family is decoded as gb18030, its superset.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "gb18030", "cp936", "euc-cn", "hz-gb-2312", "csgb2312"}
_ALIASES = {"x-sjis": "shift_jis", "utf8": "utf-8", "unicode": "utf-8", "iso-8859-1": "cp1252", "latin1": "cp1252",
            "us-ascii": "cp1252", "ascii": "cp1252"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def canonical(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _GB_FAMILY or name.replace("_", "-") in _GB_FAMILY:
        return "gb18030"
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
    """The charset a page declares in its first 4 KB (<meta charset> or http-equiv)."""
    match = _META_CHARSET.search(data[:4096])
    return canonical(match.group(1).decode("ascii", "ignore")) if match else None


def _clean_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def detect(data: bytes) -> str:
    """Guess the codec of undeclared bytes: UTF-8 when it decodes, else gb18030, else detection."""
    if _clean_decode(data, "utf-8") is not None:
        return "utf-8"
    if _clean_decode(data, "gb18030") is not None and _looks_chinese(data.decode("gb18030")):
        return "gb18030"
    best = from_bytes(data[:200_000]).best()
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
    declared = header_charset(content_type) or meta_charset(data)
    if declared:
        text = _clean_decode(data, declared)
        if text is not None:
            return text, declared
        # A declaration that does not fit the bytes: trust detection when it decodes cleanly.
        guess = detect(data)
        if _clean_decode(data, guess) is not None:
            return data.decode(guess), guess
        return data.decode(declared, "replace"), declared
    codec = detect(data)
    return data.decode(codec, "replace"), codec
