"""Counts in titles and Chinese numerals: '感恩父母演讲稿（通用3篇）' claims 3 essays; '十二' is 12."""

from __future__ import annotations

from pipeline.rules import regex


def count_claim(title: str) -> tuple[str, int | None]:
    """Split a title's count claim off: '感恩父母演讲稿（通用3篇）' -> ('感恩父母演讲稿', 3)."""
    m = regex("metadata", "count_claim").search(title)
    if not m:
        return title, None
    return title[: m.start()].strip(), cn_number(m["n"])


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """'3' -> 3, '十二' -> 12, '五' -> 5; None when not a number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGITS[ch]
    return value
