"""`pipeline export`: the essays (with their page's fields) or the pages (with their essays) as JSON lines,
CSV or Parquet, streamed from SQLite in constant memory.

Rows are read with a cursor in chunks and written as they come: JSON lines and CSV line by line,
Parquet (pyarrow) in row groups of ROW_GROUP rows under PARQUET_ESSAYS / PARQUET_PAGES, so memory
does not grow with the number of essays. `since` keeps the essays changed after a time
(essays.changed_at) and, per page, the pages with such an essay; `where` is an SQL condition over
the columns of the essay record (e.g. "site = 'example.org' and chars > 500").

Parquet schema (per essay; per page the page columns and `essays`, a list of structs of the essay
columns from `id` to `changed_at`): strings are UTF-8 `string`, counts `int64`, `breadcrumb` a
`list<string>`, `fetched_at` and `changed_at` `timestamp[us, UTC]`; DuckDB and pandas read it as is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.jobs.records_out import Writer, open_output

ROW_GROUP = 10_000
CHUNK = 1_000
PAGE_FIELDS = ("url", "site", "page_title", "published", "breadcrumb", "category", "author", "source", "fetched_at",
               "encoding", "extractor_version")
ESSAY_FIELDS = ("id", "position", "title", "text", "chars", "text_sha1", "duplicate_of", "script", "changed_at")
_SELECT = (
    "select * from (select e.id, e.position, e.title, e.text, e.chars, e.text_sha1, e.duplicate_of, e.script, e.changed_at, "
    "p.url, p.site, p.title as page_title, p.published, p.breadcrumb, p.category, p.author, p.source, p.fetched_at, "
    "p.encoding, p.extractor_version from essays e join pages p on p.url = e.page_url)"
)


def parse_since(value: str) -> str:
    """A time as the store writes it (ISO 8601, UTC, seconds); a date or datetime, with or without zone."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"--since: not a date or time: {value!r} (use e.g. 2024-05-01 or 2024-05-01T12:00:00Z)") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="seconds")


def _query(where: str | None, since: str | None) -> tuple[str, list[Any]]:
    conditions, params = [], []
    if since:
        conditions.append("changed_at > ?")
        params.append(since)
    if where:
        conditions.append(f"({where})")
    sql = _SELECT + (" where " + " and ".join(conditions) if conditions else "")
    return sql + " order by url, position", params


def essay_rows(conn: sqlite3.Connection, where: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """The essay records, page fields first, in (url, position) order, read CHUNK rows at a time."""
    sql, params = _query(where, since)
    try:
        cursor = conn.execute(sql, params)
    except sqlite3.Error as exc:
        raise ConfigError(f"--where: {exc}") from None
    names = [d[0] for d in cursor.description]
    order = [*PAGE_FIELDS, *ESSAY_FIELDS]
    while rows := cursor.fetchmany(CHUNK):
        for row in rows:
            rec = dict(zip(names, row, strict=True))
            rec["breadcrumb"] = json.loads(rec["breadcrumb"]) if rec["breadcrumb"] else []
            yield {k: rec[k] for k in order}


def page_rows(conn: sqlite3.Connection, where: str | None = None, since: str | None = None) -> Iterator[dict[str, Any]]:
    """The page records, each with its essays (those the conditions keep), grouped from the essay stream."""
    page: dict[str, Any] | None = None
    for rec in essay_rows(conn, where, since):
        if page is None or page["url"] != rec["url"]:
            if page is not None:
                yield page
            page = {k: rec[k] for k in PAGE_FIELDS}
            page["essays"] = []
        page["essays"].append({k: rec[k] for k in ESSAY_FIELDS})
    if page is not None:
        yield page


def _arrow_schema(per: str) -> Any:
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    essay = [("id", pa.string()), ("position", pa.int64()), ("title", pa.string()), ("text", pa.string()),
             ("chars", pa.int64()), ("text_sha1", pa.string()), ("duplicate_of", pa.string()), ("script", pa.string()),
             ("changed_at", ts)]
    page = [("url", pa.string()), ("site", pa.string()), ("page_title", pa.string()), ("published", pa.string()),
            ("breadcrumb", pa.list_(pa.string())), ("category", pa.string()), ("author", pa.string()),
            ("source", pa.string()), ("fetched_at", ts), ("encoding", pa.string()), ("extractor_version", pa.int64())]
    if per == "essay":
        return pa.schema(page + essay)
    return pa.schema([*page, ("essays", pa.list_(pa.struct(essay)))])


def _ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _for_arrow(rec: dict[str, Any]) -> dict[str, Any]:
    out = dict(rec)
    for key in ("fetched_at", "changed_at"):
        if key in out:
            out[key] = _ts(out[key])
    if "essays" in out:
        out["essays"] = [{**e, "changed_at": _ts(e["changed_at"])} for e in out["essays"]]
    return out


def write_parquet(records: Iterator[dict[str, Any]], out: Any, per: str) -> int:
    """Write the records to a binary stream as Parquet, ROW_GROUP rows per row group; returns the count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(per)
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        chunk: list[dict[str, Any]] = []
        for rec in records:
            chunk.append(_for_arrow(rec))
            if len(chunk) >= ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema), row_group_size=ROW_GROUP)
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema), row_group_size=ROW_GROUP)
            count += len(chunk)
    return count


def export(db_path: str | Path, output: str | None, fmt: str = "jsonl", per: str = "essay", where: str | None = None,
           since: str | None = None, overwrite: bool = False) -> int:
    """Export the database (see the module docstring); returns the number of records written."""
    path = Path(db_path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}")
    if fmt == "parquet" and (output is None or output == "-"):
        raise ConfigError("--format parquet needs -o FILE (Parquet is not written to a terminal)")
    if per not in ("essay", "page"):
        raise ConfigError(f"--per: essay or page, not {per!r}")
    since_iso = parse_since(since) if since else None
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = essay_rows if per == "essay" else page_rows
        records = rows(conn, where, since_iso)
        first = next(records, None)  # a bad --where fails here, before the output file is made
        records = _chain(first, records)
        with open_output(output, overwrite, binary=fmt == "parquet") as out:
            if fmt == "parquet":
                return write_parquet(records, out, per)
            writer = Writer(out, fmt, essays=per == "essay", columns=_columns(per) if fmt == "csv" else None)
            for rec in records:
                writer.write(rec)
            writer.close()
            return writer.count
    finally:
        conn.close()


def _columns(per: str) -> tuple[str, ...]:
    return (*PAGE_FIELDS, *ESSAY_FIELDS) if per == "essay" else (*PAGE_FIELDS, "essays")


def _chain(first: dict[str, Any] | None, rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    if first is not None:
        yield first
        yield from rest
