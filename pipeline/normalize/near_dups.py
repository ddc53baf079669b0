"""Duplicate marks for a collection written in one ordered pass (Parquet shards), the store's way.

`DuplicateMarker.mark()` is given the essays in the collection's global order (the order a
single-process run stores them in) and returns, for each, the first earlier essay of another
page that it copies: exactly (same `text_sha1`), else nearly (MinHash LSH candidates whose
estimated Jaccard similarity reaches the threshold, the earliest first). These are the marks
`pipeline.store.pages.duplicate_of` gives when the same essays are stored one by one in that
order into a new database, so a shard run and a SQLite run of the same inputs agree.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.normalize import signatures


class DuplicateMarker:
    """Essays seen so far (signatures, hashes and LSH bands), kept in memory: about 1 kB an essay."""

    def __init__(self, threshold: float = signatures.DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._by_sha1: dict[str, list[int]] = defaultdict(list)
        self._bands: dict[int, list[int]] = defaultdict(list)
        self._ids: list[str] = []
        self._pages: list[str] = []
        self._sigs: list[signatures.Signature] = []

    def mark(self, essay_id: str, page_url: str, sha1: str, sig: signatures.Signature) -> str | None:
        """The id this essay duplicates (None for an original); the essay is then remembered."""
        found: str | None = None
        for seq in self._by_sha1.get(sha1, ()):
            if self._pages[seq] != page_url:
                found = self._ids[seq]
                break
        keys = signatures.band_keys(sig)
        if found is None:
            candidates = sorted({seq for key in keys for seq in self._bands.get(key, ())})
            for seq in candidates:
                if self._pages[seq] != page_url and signatures.similarity(sig, self._sigs[seq]) >= self.threshold:
                    found = self._ids[seq]
                    break
        seq = len(self._ids)
        self._ids.append(essay_id)
        self._pages.append(page_url)
        self._sigs.append(sig)
        self._by_sha1[sha1].append(seq)
        for key in keys:
            self._bands[key].append(seq)
        return found
