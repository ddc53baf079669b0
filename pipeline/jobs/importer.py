"""One-off imports: files, folders and URLs into the database."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlite_utils
from protego import Protego

from pipeline import store
from pipeline.errors import ConfigError, ExtractError, FetchError, StoreError
from pipeline.extract import EXTRACTOR_VERSION, extract
from pipeline.fetch.sync_client import USER_AGENT, fetch, make_client
from pipeline.jobs import settle_cluster, site_pass
from pipeline.jobs.archive_cluster import import_archives
from pipeline.jobs.archive_import import import_archive, is_archive
from pipeline.jobs.cluster import ClusterSpec, connect
from pipeline.jobs.process import join_parts, process
from pipeline.jobs.run_context import WriteRun, write_run
from pipeline.models import Profile, Result, RunStats
from pipeline.normalize.signatures import DEFAULT_THRESHOLD
from pipeline.store.batch import Batch
from pipeline.text.encoding import decode_page
from pipeline.text.urls import safe_canonical

PAGE_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml", ".txt", ".text", ".php", ".asp", ".aspx", ".jsp")
MAX_PARTS = 20


@dataclass(frozen=True)
class Source:
    """One thing to import: a local file or a URL."""

    ref: str  # the file path or URL as given
    url: str  # the key stored in pages.url

    @property
    def is_url(self) -> bool:
        return self.ref.startswith(("http://", "https://"))


_URL_LINE = re.compile(r"https?://\S+")


def is_url_list(data: bytes) -> bool:
    """A text file whose every line (blank lines and # comments aside) is one http(s) URL."""
    try:
        text = data[:1 << 20].decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return bool(lines) and all(_URL_LINE.fullmatch(ln) for ln in lines)


def url_list_message(ref: str) -> str:
    return f"{ref} is a list of URLs, not a page: import the URLs it names with `pipeline import -i {ref}`"


def expand(refs: list[str]) -> list[Source]:
    """Turn paths, folders and URLs into sources; raises ConfigError for missing paths, empty folders
    and a file given by name that is a list of URLs (never stored as an essay)."""
    out: list[Source] = []
    for ref in refs:
        if ref.startswith(("http://", "https://")):
            url = safe_canonical(ref)  # pages are keyed on the canonical URL (essay ids derive from it)
            if url is None:
                raise ConfigError(f"malformed URL: {ref}")
            out.append(Source(ref, url))
            continue
        path = Path(ref)
        if not path.exists():
            raise ConfigError(f"no such file or folder: {ref}")
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
            if not files:
                raise ConfigError(f"no pages (*.html, *.txt) in folder: {ref}")
            out.extend(Source(str(p), p.resolve().as_uri()) for p in files)
        else:
            head = b""
            if path.suffix.lower() in (".txt", ".text", "") and path.is_file() and stat.S_ISREG(path.stat().st_mode):
                try:  # the first MB of a regular file only: never a FIFO or a device
                    with path.open("rb") as f:
                        head = f.read(1 << 20)
                except OSError:
                    pass
            if head and is_url_list(head):
                raise ConfigError(url_list_message(ref))
            out.append(Source(str(path), path.resolve().as_uri()))
    return out


MAX_FILE_BYTES = 10 * 1024 * 1024  # the same cap as a fetched body (fetch.max_bytes)


def read_capped(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most `max_bytes`; raises ExtractError for anything else.

    A FIFO, a device (/dev/zero, /dev/urandom), a socket or a folder is refused without reading
    (opened with O_NONBLOCK, so opening a FIFO with no writer does not wait); a file that grows past
    `max_bytes` while read is refused too, never read to the end."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                    else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                    else "a folder" if stat.S_ISDIR(mode) else "not a regular file")
            raise ExtractError(f"not a regular file ({kind}): not read")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise ExtractError(f"file over {max_bytes} bytes: not read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes, str, str]:
    """(bytes, text, codec) of a local page; raises ExtractError for empty, binary, oversized or
    special files (FIFOs, devices)."""
    data = read_capped(path, max_bytes)
    text, codec = decode_page(data)
    if is_url_list(data):
        raise ExtractError("a list of URLs, not a page: import the URLs it names with `pipeline import -i FILE`")
    return data, text, codec


def _fetch_info(fetched_status: int, final_url: str, headers: dict[str, str], body: bytes) -> dict[str, object]:
    return {
        "status": fetched_status, "final_url": final_url, "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"), "content_sha1": hashlib.sha1(body).hexdigest(),
    }


def process_url(
    url: str, client: httpx.Client, max_parts: int = MAX_PARTS, profile: Profile | None = None,
) -> tuple[Result, dict[str, object], bytes, str]:
    """Fetch a URL (and the further parts of a multi-page article) and process it."""
    fetched = fetch(url, client)
    result = process(fetched.text, url, fetched.encoding, profile)
    info = _fetch_info(fetched.status, fetched.final_url, fetched.headers, fetched.content)
    parts: list[Result] = []
    seen = {url, fetched.final_url}
    next_urls = list(result.page.next_pages)
    stop_reason = ""
    while next_urls and not result.page.error:
        nxt = next_urls[0]
        if nxt in seen:
            break
        if len(parts) + 1 >= max_parts:
            stop_reason = f"stopped after {max_parts} parts"
            break
        seen.add(nxt)
        try:
            part_fetched = fetch(nxt, client)
        except FetchError as exc:
            stop_reason = f"part {nxt} failed: {exc}"
            break
        try:
            part_page = extract(part_fetched.text, nxt, part_fetched.encoding, profile)
        except ExtractError as exc:
            stop_reason = f"part {nxt} failed: {exc}"
            break
        parts.append(Result(page=part_page, essays=()))
        next_urls = [u for u in part_page.next_pages if u not in seen]
    if parts:
        result = join_parts(result, parts)
    if stop_reason:
        result = replace(result, incomplete=(result.incomplete + "; " if result.incomplete else "") + stop_reason)
    return result, info, fetched.content, fetched.headers.get("content-type", "")


class RobotsGate:
    """robots.txt for one-off URL imports (RFC 9309): read once per host; 2xx rules apply, 4xx allows
    all, a 5xx or no answer disallows the host's URLs for this import."""

    def __init__(self, client: httpx.Client, user_agent: str = USER_AGENT) -> None:
        self.client, self.user_agent = client, user_agent
        self.rules: dict[str, Protego | str | None] = {}

    def refusal(self, url: str) -> str:
        """Why robots.txt keeps the URL out ('' when it may be fetched)."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.lower()}"
        if key not in self.rules:
            try:
                resp = self.client.get(key + "/robots.txt")
                # RFC 9309: UTF-8, its first 500 KiB parsed; a bad redirect or a broken answer counts as no answer
                status, text = resp.status_code, resp.content[:512_000].decode("utf-8", "replace")
            except (httpx.HTTPError, FetchError):
                status, text = 0, ""
            if 200 <= status < 300:
                self.rules[key] = Protego.parse(text)
            elif 400 <= status < 500:
                self.rules[key] = None
            else:
                self.rules[key] = f"robots.txt unreachable ({status or 'no response'})"
        rules = self.rules[key]
        if rules is None:
            return ""
        if isinstance(rules, str):
            return f"skipped: {rules}; --ignore-robots fetches anyway"
        if rules.can_fetch(url, self.user_agent):
            return ""
        return "skipped: disallowed by robots.txt; --ignore-robots fetches anyway"


def iter_results(
    sources: list[Source], client: httpx.Client, profile: Profile | None = None, robots: RobotsGate | None = None,
) -> Iterator[tuple[Source, Result | None, dict[str, object], bytes, str, str]]:
    """(source, result or None, fetch info, raw bytes, content type, error) for each source; URLs that
    `robots` refuses are not fetched (their error says why)."""
    for source in sources:
        refusal = robots.refusal(source.url) if robots is not None and source.is_url else ""
        if refusal:
            yield source, None, {}, b"", "", refusal
            continue
        try:
            if source.is_url:
                result, info, raw, ctype = process_url(source.url, client, profile=profile)
            else:
                raw, text, codec = read_file(Path(source.ref))
                result = process(text, source.url, codec, profile)
                info, ctype = _fetch_info(0, source.url, {}, raw), ""
                info["status"] = None
        except (FetchError, ExtractError, OSError) as exc:
            yield source, None, {}, b"", "", str(exc) or type(exc).__name__
            continue
        except (Exception, MemoryError) as exc:  # nothing here touches the database: any failure is this source's
            yield source, None, {}, b"", "", f"internal error: {type(exc).__name__}: {exc}"[:300]
            continue
        yield source, result, info, raw, ctype, result.page.error


def _store(
    run: WriteRun, source: Source, result: Result | None, info: dict[str, object], raw: tuple[bytes, str] | None, error: str,
    near_threshold: float, on_page: Callable[[str, str], None] | None, learned: site_pass.Learned | None = None,
) -> None:
    """Store one page (or its failure) and count it once it is written: a run stopped by a storage
    fault counts exactly what it kept. Rows that cannot be stored fail the page, not the run. With
    `learned`, the page is cleaned of what its site learned so far and its lines are counted."""
    if result is None:
        if learned is not None:
            learned.forget()  # a failure row counts under its host too
        _failed(run, source, error, on_page)
        return
    chrome_rows = None
    if learned is not None:
        result, chrome_rows = learned.clean(result, source.url)
    try:
        added, updated = store.save_result(run.db, result, run.run_id, info, raw, near_threshold, extra=chrome_rows)
    except StoreError as exc:  # a fault of the database itself raises StorageFault and stops the run
        if learned is not None:
            learned.forget()
        _failed(run, source, str(exc), on_page)
        return
    stats = run.stats
    if error:
        stats.pages_failed += 1
        stats.failures.append(f"{source.ref}: {error}")
    else:
        stats.pages_fetched += 1
        stats.essays_added += added
        stats.essays_updated += updated
    if on_page:
        on_page(source.ref, error)


def _failed(run: WriteRun, source: Source, error: str, on_page: Callable[[str, str], None] | None) -> None:
    store.record_failure(run.db, source.url, error, run.run_id)
    run.stats.pages_failed += 1
    run.stats.failures.append(f"{source.ref}: {error}")
    if on_page:
        on_page(source.ref, error)


def stored_unchanged(db: sqlite_utils.Database, source: Source) -> bool:
    """Whether a local file is stored already, from the same bytes, by this extractor, without error."""
    try:
        info = os.stat(source.ref)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:  # FIFOs, devices: never read here
            return False
        sha1 = hashlib.sha1(Path(source.ref).read_bytes()).hexdigest()
    except OSError:
        return False
    row = db.execute("select 1 from pages where url = ? and content_sha1 = ? and error is null and extractor_version = ?",
                     [source.url, sha1, EXTRACTOR_VERSION]).fetchone()
    return row is not None


def import_sources(
    refs: list[str], db_path: str | Path, on_page: Callable[[str, str], None] | None = None,
    transport: httpx.BaseTransport | None = None, timeout: float = 20.0, near_threshold: float = DEFAULT_THRESHOLD,
    profile: Profile | None = None, copy_raw: bool = False, cluster: ClusterSpec | None = None, obey_robots: bool = True,
    on_total: Callable[[int], None] | None = None,
) -> RunStats:
    """Import pages into the database; each page in its own transaction. Never raises for one bad page.

    WARC/ARC files (`archive_import.is_archive`) are read record by record (see `archive_import`);
    their raw bodies are kept as pointers into the archive unless `copy_raw`. With `cluster`, the
    archives are read and processed on Dask workers (`archive_cluster`; the workers must see the
    paths) and stored here in the same order, so the database ends as a single-process run leaves it.
    URLs obey robots.txt unless `obey_robots` is False; `on_total` is told how many pages there are
    (when no archive is among the inputs)."""
    with ExitStack() as stack:
        client = stack.enter_context(connect(cluster)) if cluster else None
        return _import(refs, db_path, on_page, transport, timeout, near_threshold, profile, copy_raw, client, obey_robots, on_total)


def _import(
    refs: list[str], db_path: str | Path, on_page: Callable[[str, str], None] | None, transport: httpx.BaseTransport | None,
    timeout: float, near_threshold: float, profile: Profile | None, copy_raw: bool, client: Any, obey_robots: bool = True,
    on_total: Callable[[int], None] | None = None,
) -> RunStats:
    started = time.perf_counter()
    archives = [r for r in refs if is_archive(r) and not r.startswith(("http://", "https://"))]
    for ref in archives:
        if client is None and not Path(ref).is_file():  # on a cluster the workers read the paths
            raise ConfigError(f"no such file: {ref}")
    sources = expand([r for r in refs if r not in archives])
    stats = RunStats(kind="import")
    with write_run(db_path, "import", {"sources": refs}, stats) as run:
        db, run_id = run.db, run.run_id
        stats.run_id = run_id
        skipped: Counter[str] = Counter()
        learned = site_pass.Learned(db)  # each page cleaned of what its site learned so far; its lines counted
        with Batch(db, stats=stats) as batch:  # pages grouped into larger transactions, each page atomic (store.batch)
            with run.stop_at_once():  # inside an archive a signal stops at once: the record in hand is rolled back
                if client is not None:
                    import_archives(client, db, [str(Path(ref).resolve()) for ref in archives], run_id, stats, skipped, on_page,
                                    copy_raw, near_threshold, profile, learned)
                for ref in archives if client is None else []:
                    import_archive(db, ref, run_id, stats, skipped, on_page, copy_raw, near_threshold, profile, learned)
            stats.skipped = dict(skipped)
            own = [s for s in sources if not s.is_url and run.is_own_file(s.ref)]
            for source in own:
                _failed(run, source, "the database this run writes (or one of its SQLite files): not read", on_page)
            sources = [s for s in sources if s not in own]
            plain = profile is None and near_threshold == DEFAULT_THRESHOLD  # other options may change what a page gives
            fresh = [s for s in sources if s.is_url or not plain or not stored_unchanged(db, s)]
            stats.pages_unchanged += len(sources) - len(fresh)  # a run started again goes on where it stopped
            if on_total and not archives:  # an archive's pages are not counted before it is read
                on_total(len(fresh))
            with make_client(timeout=timeout, transport=transport) as http:
                robots = RobotsGate(http) if obey_robots else None
                for source, result, info, raw, ctype, error in iter_results(fresh, http, profile, robots):
                    _store(run, source, result, info, (raw, ctype) if raw else None, error, near_threshold, on_page, learned)
                    batch.page_done()
                    run.check()  # SIGINT/SIGTERM: stop here, with this page stored and counted
        redo = site_pass.redo_here if client is None else settle_cluster.redo_on(client)  # pages cleaned again
        for site in list(learned.sites):  # many pages of one host (or folder): what they teach, applied where it changed
            settled = site_pass.settle(db, site, run_id, lambda *_: run.check(), redo)
            stats.essays_added += settled.essays_added
            stats.essays_updated += settled.essays_updated
        stats.seconds = store.elapsed(started)
        done = stats.pages_fetched or stats.pages_unchanged
        run.status = "failed" if stats.pages_failed and not done else ("partial" if stats.pages_failed else "ok")
    return stats
