"""Batch extraction: many files, folders, URLs and URL lists -> one record per page (or per essay), in input order.

    for record in extract_many(["a.html", "saved/", "https://x/1.html"], workers=2):
        ...   # the object `pipeline extract FILE --json` prints, plus "input"; or an error record

A source that fails gives one record {"input", "url", "error"} and the next source goes on. With
`workers` > 0 the pages are extracted in that many processes (spawned), and the records still come
out in input order, as they are ready (imap), so memory stays bounded by the pool's window.
Nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

import httpx

from pipeline.errors import ConfigError
from pipeline.fetch.sync_client import make_client
from pipeline.jobs.importer import Source, expand, iter_results
from pipeline.jobs.process import to_json
from pipeline.models import Profile

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def read_list(stream: TextIO, base: Path | None = None) -> Iterator[str]:
    """The entries of a list file: one URL or path per line; blank lines and `#` comments left out;
    a relative path is taken from `base` (the list's folder; the working folder for stdin)."""
    for line in stream:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if _SCHEME.match(entry) or base is None or Path(entry).is_absolute():
            yield entry
        else:
            yield str(base / entry)


def check_url(ref: str) -> str:
    """Why a URL-looking entry cannot be fetched ("" when it can)."""
    if not _SCHEME.match(ref):
        return ""
    if not ref.lower().startswith(("http://", "https://")):
        return f"not an http(s) URL: {ref[:200]}"
    try:
        url = httpx.URL(ref)
    except (httpx.InvalidURL, ValueError) as exc:
        return f"invalid URL: {exc}"
    if not url.host:
        return f"invalid URL (no host): {ref[:200]}"
    return ""


def _error(ref: str, url: str, error: str) -> dict[str, Any]:
    return {"input": ref, "url": url, "error": error}


def sources_of(refs: Iterable[str]) -> Iterator[tuple[str, Source | None, str]]:
    """(ref, source, error) for each file, folder member or URL; a bad entry gives (ref, None, why)."""
    for ref in refs:
        bad = check_url(ref)
        if bad:
            yield ref, None, bad
            continue
        try:
            found = expand([ref])
        except ConfigError as exc:
            yield ref, None, str(exc)
            continue
        for source in found:
            yield source.ref, source, ""


_CLIENT: httpx.Client | None = None
_PROFILE: Profile | None = None


def _init(profile: Profile | None) -> None:
    global _PROFILE
    _PROFILE = profile


def _client() -> httpx.Client:
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = make_client()
    return _CLIENT


def extract_one(item: tuple[str, Source | None, str]) -> dict[str, Any]:
    """The record of one source (in this process or a worker)."""
    ref, source, error = item
    if source is None:
        return _error(ref, "", error)
    _, result, _, _, _, failure = next(iter_results([source], _client(), _PROFILE))
    if result is None:
        return _error(ref, source.url, failure)
    return {"input": ref, **to_json(result)}


def extract_many(refs: Iterable[str], workers: int = 0, profile: Profile | None = None) -> Iterator[dict[str, Any]]:
    """One record per page, in input order (see the module docstring)."""
    items = sources_of(refs)
    if workers <= 0:
        _init(profile)
        yield from (extract_one(item) for item in items)
        return
    ctx = get_context("spawn")
    with ctx.Pool(workers, initializer=_init, initargs=(profile,)) as pool:
        yield from pool.imap(extract_one, items, chunksize=4)
