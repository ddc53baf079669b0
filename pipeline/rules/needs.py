"""The characters a regex cannot match without: a cheap, exact pre-check before running it.

`needs(pattern)` reads the pattern's syntax tree (the one `re` itself builds) and returns groups of
characters such that every match holds at least one character of each group. A text that lacks
all the characters of some group cannot match, so the search can be skipped. Only characters
without case (CJK, punctuation, digits) are used: under re.IGNORECASE those match only
themselves, so the check stays exact; a part of the pattern that gives no such group (letters,
classes such as \\w, optional parts) simply adds no condition.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

try:  # the parser `re` compiles with (private: without it no pattern gets a check, all just run)
    OPS: Any = import_module("re._constants")
    _parser: Any = import_module("re._parser")
except ImportError:  # pragma: no cover - a Python without these modules
    _parser = None

Groups = tuple[frozenset[str], ...]
_MAX_RANGE = 64  # a class range wider than this adds no condition


def _uncased(ch: str) -> bool:
    return ch.lower() == ch == ch.upper()


def _class_chars(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """The characters of a character class, or None when it is negated, has a category
    (\\d, \\w ...), a wide range or a character with case."""
    chars: set[str] = set()
    for op, av in items:
        if op is OPS.LITERAL:
            chars.add(chr(av))
        elif op is OPS.RANGE and av[1] - av[0] <= _MAX_RANGE:
            chars.update(chr(i) for i in range(av[0], av[1] + 1))
        else:
            return None
    return frozenset(chars) if chars and all(_uncased(ch) for ch in chars) else None


def _groups(items: Any) -> list[frozenset[str]]:
    """Groups every match of a sequence of parsed items needs (each group: one of its characters)."""
    out: list[frozenset[str]] = []
    for op, av in items:
        if op is OPS.LITERAL:
            if _uncased(chr(av)):
                out.append(frozenset(chr(av)))
        elif op is OPS.IN:
            chars = _class_chars(av)
            if chars is not None:
                out.append(chars)
        elif op is OPS.SUBPATTERN:
            out.extend(_groups(av[3]))
        elif op is OPS.ATOMIC_GROUP:
            out.extend(_groups(av))
        elif op in (OPS.MAX_REPEAT, OPS.MIN_REPEAT, OPS.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                out.extend(_groups(av[2]))
        elif op is OPS.BRANCH:
            # one of the branches matches: the union of one group from each branch is needed
            union: set[str] = set()
            for branch in av[1]:
                found = _groups(branch)
                if not found:
                    break
                union |= min(found, key=len)
            else:
                out.append(frozenset(union))
        # anchors, ".", categories, negations, backreferences, lookarounds: no condition
    return out


def parsed(pattern: str, flags: int = re.I) -> Any:
    """The syntax tree `re` builds for a pattern, or None where it cannot be had."""
    if _parser is None:
        return None
    try:
        return _parser.parse(pattern, flags)
    except (re.error, AttributeError, TypeError):  # pragma: no cover - a parser of another shape
        return None


def needs(pattern: str, flags: int = re.I) -> Groups:
    """Character groups every match of `pattern` holds one character of (empty: no cheap check)."""
    tree = parsed(pattern, flags)
    if tree is None:
        return ()
    unique = sorted(set(_groups(tree)), key=lambda group: (len(group), sorted(group)))
    return tuple(unique)


