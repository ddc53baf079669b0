"""Parquet shards: a collection too large for one SQLite file, written by the workers themselves.

A shard folder holds `essays-NNNNNN.parquet` (one row per essay, with its page's fields) and
`pages-NNNNNN.parquet` (one row per page, failures included), numbered in the collection's global
order (the order of the input files and their records), and `_essay_pipeline.json`, the marker
that says the folder is this project's and whether its duplicate pass has run. After the workers
have written every shard, `mark_duplicates` reads the essays' hashes and MinHash signatures shard
by shard in that order and fills `duplicate_of` the way the SQLite store does
(`normalize.near_dups.DuplicateMarker`), rewriting each shard in place.

Reading them back, e.g. with DuckDB: `select title, site from 'DIR/essays-*.parquet' where duplicate_of is null`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import ConfigError
from pipeline.models import Result
from pipeline.normalize import signatures
from pipeline.normalize.near_dups import DuplicateMarker

MARKER = "_essay_pipeline.json"
FORMAT = "essay-pipeline parquet shards"
VERSION = 1

ESSAYS = pa.schema([
    ("seq", pa.int64()), ("position", pa.int32()), ("id", pa.string()), ("page_url", pa.string()),
    ("title", pa.string()), ("text", pa.string()), ("chars", pa.int32()), ("text_sha1", pa.string()),
    ("script", pa.string()), ("duplicate_of", pa.string()), ("page_title", pa.string()), ("site", pa.string()),
    ("category", pa.string()), ("published", pa.string()), ("breadcrumb", pa.string()), ("summary", pa.string()),
    ("fetched_at", pa.string()), ("minhash", pa.binary()),
])
PAGES = pa.schema([
    ("seq", pa.int64()), ("url", pa.string()), ("title", pa.string()), ("site", pa.string()), ("published", pa.string()),
    ("fetched_at", pa.string()), ("status", pa.int32()), ("essay_count", pa.int32()), ("error", pa.string()),
    ("file", pa.string()), ("offset", pa.int64()), ("length", pa.int64()),
])


@dataclass(frozen=True)
class ShardRow:
    """One page for a shard: its place in the global order, where it was read from, and its records."""

    seq: int
    fetched_at: str
    status: int
    file: str
    offset: int
    length: int
    result: Result
    sigs: dict[str, bytes]


def prepare(folder: Path, overwrite: bool, about: dict[str, Any]) -> None:
    """Make the shard folder ready: refuse one written by another tool, and one of ours unless `overwrite`."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--output parquet:{folder}: that is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        marker = folder / MARKER
        if not marker.is_file() or _read_marker(marker).get("format") != FORMAT:
            raise ConfigError(f"--output parquet:{folder}: the folder holds files that are not this project's shards; "
                              "give an empty or new folder")
        if not overwrite:
            raise ConfigError(f"--output parquet:{folder}: the folder holds shards of an earlier run; pass --overwrite to replace them")
        shutil.rmtree(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--output parquet:{folder}: cannot create the folder: {exc.strerror or exc}") from None
    write_marker(folder, {**about, "format": FORMAT, "version": VERSION, "duplicates_marked": False})


def _read_marker(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(folder: Path, data: dict[str, Any]) -> None:
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MARKER)


def _write(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, row_group_size=2048)
    os.replace(tmp, path)  # a retried task rewrites the same shard whole


def write_shard(folder: str, number: int, rows: Iterable[ShardRow]) -> tuple[int, int]:
    """Write one shard pair (essays, pages); returns (pages, essays) written."""
    essays: dict[str, list[Any]] = {name: [] for name in ESSAYS.names}
    pages: dict[str, list[Any]] = {name: [] for name in PAGES.names}
    for row in rows:
        page = row.result.page
        page_values: tuple[tuple[str, Any], ...] = (("seq", row.seq), ("url", page.url), ("title", page.title), ("site", page.site),
                           ("published", page.published or None), ("fetched_at", row.fetched_at), ("status", row.status),
                           ("essay_count", len(row.result.essays)), ("error", page.error or None), ("file", row.file),
                           ("offset", row.offset), ("length", row.length))
        for key, value in page_values:
            pages[key].append(value)
        for essay in row.result.essays:
            values = {
                "seq": row.seq, "position": essay.position, "id": essay.id, "page_url": page.url, "title": essay.title,
                "text": essay.text, "chars": essay.chars, "text_sha1": essay.text_sha1, "script": essay.script,
                "duplicate_of": None, "page_title": page.title, "site": page.site, "category": page.category,
                "published": page.published or None, "breadcrumb": json.dumps(list(page.breadcrumb), ensure_ascii=False),
                "summary": page.summary, "fetched_at": row.fetched_at, "minhash": row.sigs[essay.id],
            }
            for key, value in values.items():
                essays[key].append(value)
    out = Path(folder)
    _write(pa.table(essays, schema=ESSAYS), out / f"essays-{number:06d}.parquet")
    _write(pa.table(pages, schema=PAGES), out / f"pages-{number:06d}.parquet")
    return len(pages["seq"]), len(essays["seq"])


def mark_duplicates(folder: Path, threshold: float) -> int:
    """The duplicate pass over every essays shard, in shard order; returns the number of essays marked."""
    marker = DuplicateMarker(threshold)
    marked = 0
    for path in sorted(folder.glob("essays-*.parquet")):
        table = pq.read_table(path)
        cols = table.select(["id", "page_url", "text_sha1", "minhash"]).to_pydict()
        marks = [marker.mark(i, page, sha1, signatures.from_blob(blob))
                 for i, page, sha1, blob in zip(cols["id"], cols["page_url"], cols["text_sha1"], cols["minhash"], strict=True)]
        marked += sum(m is not None for m in marks)
        column = table.schema.get_field_index("duplicate_of")
        _write(table.set_column(column, "duplicate_of", pa.array(marks, pa.string())), path)
    data = _read_marker(folder / MARKER)
    write_marker(folder, {**data, "duplicates_marked": True, "threshold": threshold})
    return marked
