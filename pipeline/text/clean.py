"""Whitespace and invisible-character cleaning that keeps the text's own punctuation."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e]")
_SPACES = re.compile("[ \t\u00a0\u3000\u2002\u2003\u2009\u202f\u205f\r\f\v]+")
_TRAD_ONLY = frozenset("這個們來對說時會過還後發樣與當為爲於實點學國體現經開關長問題應該條書讀見頭動種實際歲歡聽讓變學習處覺記")
_SIMP_ONLY = frozenset("这个们来对说时会过还后发样与当为于实点学国体现经开关长问题应该条书读见头动种际岁欢听让变习处觉记")

# the same sets as one-character classes: counting matches is counting the characters, in C
_TRAD_RE = re.compile("[" + "".join(sorted(_TRAD_ONLY)) + "]")
_SIMP_RE = re.compile("[" + "".join(sorted(_SIMP_ONLY)) + "]")


def clean_line(text: str) -> str:
    """One paragraph: no invisible characters, single spaces, no indentation."""
    if not text.isascii():  # every invisible character is outside ASCII
        text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def join_paragraphs(lines: list[str]) -> str:
    """Paragraphs cleaned, empty ones dropped, joined by newlines."""
    return "\n".join(c for c in (clean_line(line) for line in lines) if c)


def script(text: str) -> str:
    """'hant' for traditional Chinese, 'hans' for simplified, '' for other text."""
    trad = len(_TRAD_RE.findall(text))
    simp = len(_SIMP_RE.findall(text))
    if not trad and not simp:
        return ""
    return "hant" if trad > simp else "hans"
