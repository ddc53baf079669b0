#!/usr/bin/env python3
"""Where extraction spends its time, on the pages `make bench` "extract" times (the trafilatura-eval
pages of ../shared/corpus, decoded once; the project's fixture pages where ../shared is absent).

Two views, one process: a per-stage timer (the stage functions the HTML front end calls, wrapped
for the run; CPU seconds, so other load on the machine counts less) and a cProfile of one pass
(its top entries by own time and by cumulative time).

    python tools/profile_extract.py [--top 25] [--no-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import breadcrumbs, content, dom, html, metadata  # noqa: E402
from pipeline.jobs import process as process_module  # noqa: E402
from pipeline.jobs.process import process  # noqa: E402
from tools.bench_extract import pages  # noqa: E402

# (module, attribute, stage name): the functions html._extract_tree and process call, in order
STAGES = (
    (dom, "parse", "parse"),
    (metadata, "metas_and_ld", "metadata"),
    (metadata, "inline_scripts", "metadata"),
    (metadata, "title_of", "metadata"),
    (breadcrumbs, "breadcrumb_of", "breadcrumbs"),
    (html, "_links", "links"),
    (dom, "strip_chrome", "strip_chrome"),
    (html, "_page_text", "page_text"),
    (metadata, "published_of", "metadata"),
    (metadata, "author_source", "metadata"),
    (content, "content_nodes", "content_choice"),
    (content, "main_blocks", "content_walk"),
    (html, "clean_blocks", "chrome_rules"),
    (process_module, "normalize", "normalize"),
)


def _timed(fn: Callable[..., Any], name: str, totals: dict[str, float]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.process_time() - started
    return run


def stage_times(texts: list[str]) -> tuple[float, dict[str, float]]:
    """(CPU seconds of one pass over every page, CPU seconds per stage)."""
    totals: dict[str, float] = {}
    originals = [(module, attr, getattr(module, attr)) for module, attr, _ in STAGES]
    for module, attr, name in STAGES:
        setattr(module, attr, _timed(getattr(module, attr), name, totals))
    try:
        started = time.process_time()
        for text in texts:
            process(text, "", "")
        whole = time.process_time() - started
    finally:
        for module, attr, fn in originals:
            setattr(module, attr, fn)
    return whole, totals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=25, help="entries of the profile to print")
    ap.add_argument("--no-profile", action="store_true", help="the stage timer only")
    args = ap.parse_args()
    source, texts = pages()
    for text in texts[:20]:  # warm up (imports, rule caches)
        process(text, "", "")
    whole, totals = stage_times(texts)
    print(f"{len(texts)} pages of {source}: {len(texts) / whole:.1f} pages per CPU second, "
          f"{1000 * whole / len(texts):.2f} ms a page")
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {name:<15} {1000 * seconds / len(texts):6.2f} ms  {100 * seconds / whole:5.1f}%")
    rest = whole - sum(totals.values())
    print(f"  {'(other)':<15} {1000 * rest / len(texts):6.2f} ms  {100 * rest / whole:5.1f}%")
    if args.no_profile:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        process(text, "", "")
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"\n== cProfile, by {order}")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
