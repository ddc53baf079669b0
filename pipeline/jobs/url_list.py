"""`pipeline import -i LIST`: the URLs of a list fetched as the crawl fetches them, by the crawl itself.

Each host of the list becomes a site of its own whose start URLs are the list's URLs on that host,
all taken as articles and none as listings (so nothing else is discovered). The crawl then does
the rest: robots.txt, the per-host delay, one connection per host at a time and the hosts in
parallel, retries, conditional requests on a second run, the frontier that resumes a killed run,
and batched writes. The sites are named after the list file and the host, so the same list run
again is the same crawl (only its URLs, fetched conditionally) and another list is another.
The lines that are neither a URL nor a path are recorded in `source_failures` under the run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import store
from pipeline.crawl.report import CrawlReport
from pipeline.crawl.scheduler import Progress
from pipeline.crawl.settings import FetchSettings, Patterns, SiteConfig, host_of
from pipeline.jobs.batch_extract import check_url
from pipeline.jobs.crawl_run import crawl

_ANY = re.compile(r"^https?://")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass
class ListEntries:
    """A list's lines sorted out: URLs to fetch, local paths to import, and bad lines with why."""

    urls: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    bad: list[tuple[str, str]] = field(default_factory=list)


def sort_entries(entries: Iterable[str]) -> ListEntries:
    out = ListEntries()
    seen: set[str] = set()
    for entry in entries:
        if entry in seen:
            continue
        seen.add(entry)
        if _SCHEME.match(entry):
            why = check_url(entry)
            if why:
                out.bad.append((entry, why))
            else:
                out.urls.append(entry.split("#", 1)[0])
        else:
            out.paths.append(entry)
    return out


def list_sites(urls: list[str], tag: str, delay: float = 1.5, concurrency: int = 1) -> list[SiteConfig]:
    """One site per host, its start URLs the list's URLs on that host (in list order), all articles."""
    hosts: dict[str, list[str]] = {}
    for url in urls:
        hosts.setdefault(host_of(url), []).append(url)
    fetch = FetchSettings(concurrency=concurrency, delay=delay, jitter=min(0.5, delay / 3))
    return [
        SiteConfig(name=f"list:{tag}:{host}", start_urls=tuple(found), listing=Patterns(), article=Patterns(allow=(_ANY,)),
                   allowed_hosts=frozenset({host}), max_depth=0, max_pages=len(found), fetch=fetch, source=f"url list {tag}")
        for host, found in hosts.items()
    ]


def list_tag(list_path: str) -> str:
    """The name a list's sites carry: from its absolute path (stdin: 'stdin')."""
    if list_path == "-":
        return "stdin"
    return hashlib.sha1(str(Path(list_path).resolve()).encode()).hexdigest()[:10]


def import_urls(urls: list[str], bad: list[tuple[str, str]], db_path: str | Path, tag: str, delay: float = 1.5,
                on_progress: Progress | None = None) -> CrawlReport:
    """Fetch and store the URLs politely (see the module docstring); bad lines are recorded under the run."""
    sites = list_sites(urls, tag, delay)
    report = crawl(sites, db_path, on_progress=on_progress)
    if bad:
        db = store.open_db(db_path)
        try:
            for entry, why in bad:
                store.record_source_failure(db, report.run_id, entry, why)
        finally:
            db.conn.close()
        report.stats.pages_failed += len(bad)
        report.stats.failures.extend(f"{entry}: {why}" for entry, why in bad)
    return report
