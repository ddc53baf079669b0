#!/usr/bin/env python3
"""Extraction speed on realistic pages: the trafilatura-eval pages of ../shared/corpus (495 pages of
many sites), decoded once, then every extractor over all of them in this one process, one after the
other: ours (`process`: extraction and essay split), trafilatura default and fast, readability-lxml,
resiliparse (main-content text) and the lxml parse alone (the floor). Ratios are taken in the same
run. Falls back to the project's own fixture pages where ../shared is absent (and says so).

Prints one JSON line: {"pages": N, "source": ..., "pages_per_s": {...}, "ours_vs": {...}}.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import dom  # noqa: E402
from pipeline.jobs.process import process  # noqa: E402
from pipeline.text.encoding import decode  # noqa: E402

EVAL = ROOT.parent / "shared" / "corpus" / "trafilatura-eval" / "pages"


def pages() -> tuple[str, list[str]]:
    if EVAL.is_dir():
        files, source = sorted(EVAL.glob("*.html")), "../shared/corpus/trafilatura-eval"
    else:
        files, source = sorted((ROOT / "fixtures").rglob("*.html")), "fixtures (../shared absent)"
    return source, [decode(f.read_bytes())[0] for f in files]


def rate(fn: Callable[[str], object], texts: list[str], min_seconds: float = 2.0) -> float:
    """Pages per second over whole passes of every page (at least `min_seconds`)."""
    fn(texts[0])  # warm up (imports, rule caches)
    done = 0
    started = time.perf_counter()
    while True:
        for t in texts:
            fn(t)
        done += len(texts)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return done / elapsed


def extractors() -> dict[str, Callable[[str], object]]:
    import trafilatura
    from readability import Document

    found: dict[str, Callable[[str], object]] = {
        "ours": lambda t: process(t, "", ""),
        "trafilatura": lambda t: trafilatura.extract(t, with_metadata=True),
        "trafilatura_fast": lambda t: trafilatura.extract(t, with_metadata=True, fast=True),
        "readability": lambda t: Document(t).summary(),
        "lxml_parse": dom.parse,
    }
    try:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.html import HTMLTree

        found["resiliparse"] = lambda t: extract_plain_text(HTMLTree.parse(t), main_content=True)
    except ImportError:
        pass
    return found


def _safe(fn: Callable[[str], object]) -> Callable[[str], object]:
    def run(text: str) -> object:
        try:
            return fn(text)
        except Exception:  # a baseline's failure on one page costs its time, not the run
            return None
    return run


def main() -> None:
    source, texts = pages()
    rates = {name: round(rate(_safe(fn), texts), 1) for name, fn in extractors().items()}
    ours = rates["ours"]
    print(json.dumps({
        "pages": len(texts),
        "source": source,
        "pages_per_s": rates,
        "ours_vs": {name: round(ours / r, 2) for name, r in rates.items() if name != "ours" and r},
    }))


if __name__ == "__main__":
    main()
