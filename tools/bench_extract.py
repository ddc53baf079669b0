#!/usr/bin/env python3
"""Extraction speed on realistic pages: the trafilatura-eval pages of ../shared/corpus (495 pages of
many sites), decoded once, then every extractor over all of them in this one process, one after the
other: ours (`process`: extraction and essay split), trafilatura default and fast, readability-lxml,
resiliparse (main-content text) and the lxml parse alone (the floor). Ratios are taken in the same
run, taking turns chunk by chunk, timed by this process's CPU time (see `rates`). Falls back to
the project's own fixture pages where ../shared is absent (and says so).

Prints one JSON line: {"pages": N, "source": ..., "pages_per_s": {...}, "ours_vs": {...},
"pages_per_wall_s": {...}}; pages_per_s and the ratios are per CPU second.
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


def rates(fns: dict[str, Callable[[str], object]], texts: list[str], min_seconds: float = 2.0,
          chunk: int = 50) -> tuple[dict[str, float], dict[str, float]]:
    """(pages per CPU second, pages per wall second) of each extractor, over whole passes of
    every page, at least `min_seconds` of CPU each.

    The extractors take turns chunk by chunk (not one after the other), and their time is this
    process's CPU time: on a shared machine a busy spell then slows all of them alike, and time
    spent waiting for a core is no one's. Wall rates are given beside for reference."""
    for fn in fns.values():
        fn(texts[0])  # warm up (imports, rule caches)
    cpu = dict.fromkeys(fns, 0.0)
    wall = dict.fromkeys(fns, 0.0)
    done = dict.fromkeys(fns, 0)
    active = list(fns)
    while active:
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            for name in active:
                fn = fns[name]
                c0, w0 = time.process_time(), time.perf_counter()
                for t in part:
                    fn(t)
                cpu[name] += time.process_time() - c0
                wall[name] += time.perf_counter() - w0
                done[name] += len(part)
        active = [name for name in active if cpu[name] < min_seconds]
    return ({name: done[name] / cpu[name] for name in fns if cpu[name]},
            {name: done[name] / wall[name] for name in fns if wall[name]})


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
    per_cpu, per_wall = rates({name: _safe(fn) for name, fn in extractors().items()}, texts)
    ours = per_cpu["ours"]
    print(json.dumps({
        "pages": len(texts),
        "source": source,
        "pages_per_s": {name: round(r, 1) for name, r in per_cpu.items()},
        "ours_vs": {name: round(ours / r, 2) for name, r in per_cpu.items() if name != "ours" and r},
        "pages_per_wall_s": {name: round(r, 1) for name, r in per_wall.items()},
    }))


if __name__ == "__main__":
    main()
