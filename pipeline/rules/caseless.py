"""Case-insensitive patterns that run faster on ASCII text, with the same answers.

Rules are searched case-insensitively (re.IGNORECASE). On class/id values and other ASCII text,
`re` then compares every letter under Unicode case folding and cannot skip ahead to the letters a
pattern starts with. For a pattern written in lowercase ASCII, matching ASCII text is the same as
matching its lowercase form case-sensitively, which `re` does several times faster. Text with any
other character goes to the case-insensitive pattern, so nothing changes but the time.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.rules.needs import OPS, parsed


def _plain(items: Any) -> bool:
    """Whether parsed pattern items match ASCII text under case folding exactly as they match its
    lowercase form without: no uppercase ASCII letter, no class range over uppercase letters, no
    non-ASCII letter with case (K, ſ, ı match k, s, i under folding)."""
    def char_ok(code: int) -> bool:
        ch = chr(code)
        return not ("A" <= ch <= "Z") if code < 128 else ch.lower() == ch == ch.upper()

    for op, av in items:
        if op in (OPS.LITERAL, OPS.NOT_LITERAL):
            if not char_ok(av):
                return False
        elif op is OPS.IN:
            for item_op, item in av:
                if item_op is OPS.LITERAL and not char_ok(item):
                    return False
                if item_op is OPS.RANGE and not (item[1] < ord("A") or ord("Z") < item[0] < 128 and item[1] < 128):
                    return False
                if item_op not in (OPS.LITERAL, OPS.RANGE, OPS.CATEGORY, OPS.NEGATE):
                    return False
        elif op is OPS.SUBPATTERN:
            if not _plain(av[3]):
                return False
        elif op is OPS.BRANCH:
            if not all(_plain(branch) for branch in av[1]):
                return False
        elif op in (OPS.MAX_REPEAT, OPS.MIN_REPEAT, OPS.POSSESSIVE_REPEAT):
            if not _plain(av[2]):
                return False
        elif op in (OPS.ASSERT, OPS.ASSERT_NOT):
            if not _plain(av[1]):
                return False
        elif op is OPS.ATOMIC_GROUP:
            if not _plain(av):
                return False
        elif op not in (OPS.AT, OPS.ANY, OPS.CATEGORY, OPS.GROUPREF):
            return False
    return True


class Caseless:
    """A pattern searched case-insensitively: `found`, `span` and `matches` (at the start)."""

    __slots__ = ("pattern", "_fast")

    def __init__(self, source: str) -> None:
        self.pattern = re.compile(source, re.I)
        tree = parsed(source)
        self._fast = re.compile(source) if tree is not None and _plain(tree) else None

    def span(self, text: str) -> tuple[int, int] | None:
        """(start, end) of the first match, or None."""
        if self._fast is not None and text.isascii():
            m = self._fast.search(text.lower())
        else:
            m = self.pattern.search(text)
        return m.span() if m else None

    def search(self, text: str) -> re.Match[str] | None:
        """The first match, made on the text itself (its groups hold the text's own letters): the
        fast path only finds where it starts."""
        if self._fast is not None and text.isascii():
            m = self._fast.search(text.lower())
            return self.pattern.match(text, m.start()) if m else None
        return self.pattern.search(text)

    def found(self, text: str) -> bool:
        """Whether the pattern matches somewhere in the text."""
        if self._fast is not None and text.isascii():
            return self._fast.search(text.lower()) is not None
        return self.pattern.search(text) is not None

    def found_in(self, text: str, lowered: str | None) -> bool:
        """`found`, given `text.lower()` when the text is ASCII and None when not (one lowering
        for many patterns)."""
        if self._fast is not None and lowered is not None:
            return self._fast.search(lowered) is not None
        return self.pattern.search(text) is not None

    def matches(self, text: str) -> bool:
        """Whether the pattern matches at the start of the text."""
        if self._fast is not None and text.isascii():
            return self._fast.match(text.lower()) is not None
        return self.pattern.match(text) is not None
