"""Traditional and simplified Chinese found alike, and words found in a text the same way (layer 0).

:func:`fold` is what the search index and its queries see: NFKC, then every traditional character as
its simplified form (黨員 -> 党员), from OpenCC's ``t2s`` conversion applied one character at a time,
so a text keeps its length and a folded query finds the same characters in a folded text.
:func:`find_spans` and :func:`snippet` find a query's words in a text as the index does (each
character in any of its spellings, any case) and give their places in the text (highlighted snippets).
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Hiragana, katakana, CJK extension A, unified ideographs, compatibility ideographs, extensions B+.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_RUN = re.compile(f"[{CJK}]+")
CJK_CHAR = re.compile(f"[{CJK}]")
# Code points that OpenCC's character table may fold: the CJK blocks above, and extension B.
_FOLD_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF))
_TOKENS = re.compile(f"[{CJK}]+|[^\\W_]+")


@functools.cache
def _fold_table() -> dict[int, str]:
    """{traditional code point: simplified character}, from OpenCC's t2s conversion of each character alone."""
    import opencc

    chars = [chr(c) for lo, hi in _FOLD_RANGES for c in range(lo, hi + 1)]
    # one call, one character a line: no phrase spans two characters, so each maps on its own
    out = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):
        raise RuntimeError("OpenCC changed the number of lines while folding characters")
    return {ord(a): b for a, b in zip(chars, out, strict=True) if a != b and len(b) == 1}


def fold(text: str) -> str:
    """NFKC, then traditional characters as simplified ones (黨員 -> 党员)."""
    return unicodedata.normalize("NFKC", text).translate(_fold_table())


@functools.lru_cache(maxsize=1 << 16)
def _key_char(ch: str) -> str:
    """One character folded and lower-cased, or itself when folding would change the length."""
    out = fold(ch).lower()
    return out if len(out) == 1 else ch


@functools.cache
def _spellings() -> dict[str, str]:
    """{simplified character: it and every traditional character folded to it}."""
    out: dict[str, str] = {}
    for trad, simp in _fold_table().items():
        out[simp] = out.get(simp, simp) + chr(trad)
    return out


@functools.lru_cache(maxsize=1024)
def _pattern(word: str) -> re.Pattern[str]:
    """A word (from :func:`words_of`) as a regex over unfolded text: each CJK character in any of its
    spellings, a Latin word case-insensitive from its stem on, at a word start."""
    if CJK_CHAR.match(word):
        spelled = _spellings()
        return re.compile("".join(f"[{re.escape(spelled[c])}]" if c in spelled else re.escape(c) for c in word))
    return re.compile(r"(?<![^\W_])" + re.escape(word) + r"[^\W_]*", re.IGNORECASE)


def words_of(terms: list[str]) -> list[str]:
    """The words of search terms as they are looked for in a text: CJK runs whole, other words by their stem."""
    words = []
    for term in terms:
        for token in _TOKENS.findall("".join(_key_char(c) for c in term)):
            words.append(token if CJK_CHAR.match(token) else token[: max(3, len(token) - 2)])
    return words


def find_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """(start, end) of every place the words (from :func:`words_of`) occur in the text, traditional or
    simplified, any case, in order, without overlaps. A Latin word matches from its stem on (garden finds gardens)."""
    spans: list[tuple[int, int]] = []
    for word in words:
        spans.extend(m.span() for m in _pattern(word).finditer(text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, words: list[str], width: int) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of about `width` characters of the text around the first of the words it holds, with the
    (start, end) of each word found inside the window; the text's start when none is found."""
    flat = " ".join(text.split())
    spans = find_spans(flat, words)
    first = spans[0][0] if spans else -1
    start = max(0, first - width // 4) if first >= 0 else 0
    end = min(len(flat), start + width)
    start = max(0, min(start, end - width))
    spans = [(a, b) for a, b in spans if start <= a < end]  # none starts before `first`
    end = max([end, *(b for a, b in spans if a < end < b)])  # never cut a word found in two
    lead = "…" if start > 0 else ""
    shift = len(lead) - start
    marks = tuple((a + shift, min(b, end) + shift) for a, b in spans)
    return lead + flat[start:end] + ("…" if end < len(flat) else ""), marks


def split_marked(text: str, marks: tuple[tuple[int, int], ...] | list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is marked) at the given spans."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in marks:
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
