"""Normalization (layer 2): `Page` -> `Result` (the page and its essays).

Takes a chrome-free `Page` from `pipeline.extract` and returns a `Result`: the page, its essays
(`Essay`: position, title, text with paragraphs joined by newlines, SHA-1, script), the count the
title claims and, where fewer essays are shown, the reason. `split` finds where a page holding
several essays divides (markers as data in `pipeline/rules/split.toml`), `essays` builds the clean
records, `signatures` computes the content hash and the MinHash signature and LSH band keys that
near-duplicate detection stores. Pure functions: no network, no database.
"""

from pipeline.normalize.essays import normalize

__all__ = ["normalize"]
