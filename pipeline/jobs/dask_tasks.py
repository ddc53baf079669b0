"""The functions Dask workers run: pure, importable, each taking a chunk of records and returning
their processed form with the essays' MinHash signatures (so the single writer computes none)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pipeline.fetch.warc import ArchivedResponse, ArchiveError, ArchiveReader, RecordFailure, read_response
from pipeline.jobs import site_pass
from pipeline.jobs.archive_import import skip_reason
from pipeline.jobs.process import process
from pipeline.jobs.shards import ShardRow, write_shard
from pipeline.jobs.stored_pages import StoredPage, rebuild
from pipeline.models import Page, Profile, Result
from pipeline.normalize import signatures
from pipeline.normalize.site_chrome import Prints
from pipeline.store.search_index import index_text
from pipeline.text.encoding import decode


@dataclass(frozen=True)
class Processed:
    """One page's records and, per essay id, its MinHash signature as stored (`signatures.to_blob`);
    for the SQLite writer also the page's line fingerprints (`site_pass.prints_of`) and the search
    index's form of its essays' titles and texts (text -> `search_index.index_text`), so the one
    writer only looks things up and writes."""

    result: Result
    signatures: dict[str, bytes]
    prints: Prints | None = None
    grams: dict[str, str] = field(default_factory=dict)
    guess: site_pass.Guess | None = None  # cleaned of its host's learned chrome, when its host learned any


def with_signatures(result: Result) -> Processed:
    return Processed(result, {e.id: signatures.to_blob(signatures.signature(e.text)) for e in result.essays})


def for_writer(result: Result, prints: bool = True) -> Processed:
    """`with_signatures` and what else the SQLite writer would compute (see `Processed`; the line
    fingerprints only with `prints`)."""
    grams = {text: index_text(text) for essay in result.essays for text in (essay.title, essay.text)}
    return replace(with_signatures(result), prints=site_pass.prints_of(result) if prints else None, grams=grams)


def settle_chunk(pages: list[StoredPage | tuple[str, str]], chrome: Mapping[int, str]) -> list[site_pass.Redone | str | None]:
    """`site_pass.settle` on a cluster: stored pages through `process` again and cleaned of the site's
    chrome, with their essays' signatures and search-index text (None for a page the writer could
    not load; why, for one whose archive cannot be read here)."""
    out: list[site_pass.Redone | str | None] = []
    for page in pages:
        if not isinstance(page, StoredPage):
            out.append(None)
            continue
        try:
            done = site_pass.clean(rebuild(page), chrome)
        except ArchiveError as exc:
            out.append(str(exc))
            continue
        extra = for_writer(done.result, prints=False)
        out.append((done, extra.signatures, extra.grams))
    return out


def rebuild_chunk(pages: list[StoredPage | tuple[str, str]],
                  sites: Mapping[str, Mapping[int, str]] | None = None) -> list[Processed | str | None]:
    """`pipeline reprocess --dask`: stored pages through `process` again, their WARC records read here
    (None for a page the writer could not read; why, for one whose archive cannot be read here);
    cleaned as `guessed` says, with `sites`."""
    out: list[Processed | str | None] = []
    for page in pages:
        if not isinstance(page, StoredPage):
            out.append(None)
            continue
        try:
            done = for_writer(rebuild(page))
        except ArchiveError as exc:
            out.append(str(exc))
            continue
        out.append(guessed(done, sites) if sites else done)
    return out


@dataclass(frozen=True)
class IndexEntry:
    """One response record of an archive: where it is, and why the crawl would not process it ("" if it would)."""

    offset: int
    length: int
    url: str
    warc_date: str
    skip: str


@dataclass
class ArchiveIndex:
    """The response records of one archive (or part of one) in file order, what the reader skipped by
    type, what it could not read; `next_offset`: where the next part starts (None: the file ended)."""

    entries: list[IndexEntry] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    failures: list[RecordFailure] = field(default_factory=list)
    next_offset: int | None = None


@dataclass(frozen=True)
class Capture:
    """One processed archive response (its body dropped unless the raw copy is kept) and its content hash."""

    response: ArchivedResponse
    sha1: str
    processed: Processed


def index_part(file: str, start: int = 0, limit: int = 0) -> ArchiveIndex:
    """`pipeline import WARC --dask`, first pass: the archive's records from offset `start` (up to
    `limit` responses; 0: all), read where the worker sees the file. Parts are read one after the
    other (each starts at the last one's `next_offset`) while the workers process the records found."""
    reader = ArchiveReader(file, start=start, limit=limit)
    index = ArchiveIndex()
    for resp in reader:
        index.entries.append(IndexEntry(resp.offset, resp.length, resp.url, resp.warc_date, skip_reason(resp)))
    index.skipped, index.failures, index.next_offset = dict(reader.skipped), list(reader.failures), reader.next_offset
    return index


def index_archives(files: list[str]) -> list[ArchiveIndex]:
    """Each archive's whole index (`index_part` from its start to its end), for the Parquet-shard run."""
    return [index_part(file) for file in files]


def guessed(done: Processed, sites: Mapping[str, Mapping[int, str]]) -> Processed:
    """`done` with the page cleaned of what its host learned (`sites`: `site_pass.learned_sites`), if it learned any."""
    site = site_pass.site_key(done.result.page.url, host=done.result.page.site)
    chrome = sites.get(site)
    if not chrome:
        return done
    cleaned = site_pass.clean(done.result, chrome, done.prints)
    extra = for_writer(cleaned.result, prints=False) if cleaned.result is not done.result else done
    return replace(done, guess=site_pass.Guess(site, cleaned, extra.signatures, extra.grams))


def process_records(pointers: list[tuple[str, int, int]], profile: Profile | None, keep_body: bool,
                    sites: Mapping[str, Mapping[int, str]] | None = None) -> list[Capture | RecordFailure]:
    """Second pass: records read back through their pointers, decoded and processed as the crawl would
    (and cleaned as `guessed` says, with `sites`)."""
    out: list[Capture | RecordFailure] = []
    for file, offset, length in pointers:
        try:
            resp = read_response(file, offset, length)
        except ArchiveError as exc:
            out.append(RecordFailure(file, offset, str(exc)))
            continue
        text, codec = decode(resp.body, resp.content_type)
        done = for_writer(process(text, resp.url, codec, profile))
        if sites:
            done = guessed(done, sites)
        sha1 = hashlib.sha1(resp.body).hexdigest()
        out.append(Capture(resp if keep_body else replace(resp, body=b""), sha1, done))
    return out


def shard_records(job: tuple[int, list[tuple[int, str, int, int]]], profile: Profile | None, folder: str) -> tuple[int, int, list[str]]:
    """`--output parquet:DIR`: a shard number and its records (seq, file, offset, length), processed and
    written as that shard by the worker itself; returns (pages, essays, failures) of the shard."""
    number, items = job
    rows: list[ShardRow] = []
    failures: list[str] = []
    for seq, file, offset, length in items:
        try:
            resp = read_response(file, offset, length)
        except ArchiveError as exc:
            failures.append(f"{file}@{offset}: {exc}")
            rows.append(ShardRow(seq, "", 0, file, offset, length, Result(page=Page(url=f"{file}@{offset}", error=str(exc)), essays=()), {}))
            continue
        text, codec = decode(resp.body, resp.content_type)
        done = with_signatures(process(text, resp.url, codec, profile))
        if done.result.page.error:
            failures.append(f"{resp.url}: {done.result.page.error}")
        rows.append(ShardRow(seq, resp.warc_date, resp.status, file, offset, length, done.result, done.signatures))
    pages, essays = write_shard(folder, number, rows)
    return pages, essays, failures
