#!/usr/bin/env python3
"""Extraction speed: ours vs trafilatura vs readability-lxml on the same corpus pages, decoded once.

Prints one JSON line: {"pages": N, "ours_pages_per_s": ..., ...}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.jobs.process import process  # noqa: E402
from pipeline.text.encoding import decode  # noqa: E402


def pages() -> list[str]:
    files = sorted((ROOT / "fixtures" / "corpus").rglob("*.html"))
    return [decode(f.read_bytes())[0] for f in files]


def rate(fn, texts: list[str], min_seconds: float = 3.0) -> float:  # type: ignore[no-untyped-def]
    done = 0
    started = time.perf_counter()
    while True:
        for t in texts:
            fn(t)
        done += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def main() -> None:
    import trafilatura
    from readability import Document

    texts = pages()
    ours = rate(lambda t: process(t, "", ""), texts)
    traf = rate(lambda t: trafilatura.extract(t, with_metadata=True), texts)
    read = rate(lambda t: Document(t).summary(), texts)
    print(json.dumps({
        "pages": len(texts),
        "ours_pages_per_s": round(ours, 1),
        "trafilatura_pages_per_s": round(traf, 1),
        "readability_pages_per_s": round(read, 1),
        "speedup_vs_trafilatura": round(ours / traf, 2),
        "speedup_vs_readability": round(ours / read, 2),
    }))


if __name__ == "__main__":
    main()
