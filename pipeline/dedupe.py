"""Content hashes and near-duplicate keys for essays."""

from __future__ import annotations

import hashlib
import re

_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def text_sha1(text: str) -> str:
    """SHA-1 of the normalized essay text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def shingles(text: str, size: int = 5) -> set[str]:
    """Character shingles of a text without punctuation or spaces (CJK-friendly)."""
    compact = _NOISE.sub("", text.lower())
    if len(compact) <= size:
        return {compact} if compact else set()
    return {compact[i : i + size] for i in range(len(compact) - size + 1)}
