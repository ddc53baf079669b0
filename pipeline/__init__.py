"""essay-pipeline: web articles and 范文 (model-essay) pages -> clean records in SQLite.

The public API is this module: everything else is private by convention.

    >>> import pipeline
    >>> result = pipeline.extract_text("春天来了\\n\\n春天来了，小草从地里探出头来，柳树发芽了。")
    >>> result.page.title, [e.text for e in result.essays]
    ('春天来了', ['春天来了，小草从地里探出头来，柳树发芽了。'])

- `extract_bytes(data, url, headers)` / `extract_text(text, url)`: one page to a `Result` (its
  `.page`, a `Page` with title, date, breadcrumb, summary and content blocks, and its `.essays`,
  a tuple of `Essay`), with nothing stored; bytes are decoded as the CLI decodes them (HTTP
  charset, BOM, `<meta charset>`, detection).
- `open_db(path)`: the project's SQLite database (created and migrated when needed) as a
  `sqlite_utils.Database`.
- `import_sources(sources, db_path)`: files, folders and URLs into the database, as
  `pipeline import` does; returns the run's `RunStats`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.models import Essay, Page, Result, RunStats

if TYPE_CHECKING:
    import sqlite_utils

__all__ = ["Essay", "Page", "Result", "RunStats", "extract_bytes", "extract_text", "import_sources", "open_db"]


def extract_bytes(data: bytes, url: str = "", headers: Mapping[str, str] | None = None) -> Result:
    """One page's raw bytes to its records, decoded as the CLI decodes them.

    `headers` are the HTTP response headers, if any (their Content-Type charset is used). Never
    raises for a bad page: an empty, binary or unextractable page comes back with `page.error` set
    and no essays.

    >>> r = extract_bytes("<html><head><title>t</title></head><body><p>x</p></body></html>".encode(), "https://e.org/a")
    >>> r.page.url
    'https://e.org/a'
    """
    from pipeline.errors import ExtractError
    from pipeline.jobs.process import process
    from pipeline.text.encoding import decode_page

    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), None)
    try:
        text, codec = decode_page(data, content_type)
    except ExtractError as exc:
        return Result(page=Page(url=url, error=str(exc)), essays=())
    return process(text, url, codec)


def extract_text(text: str, url: str = "") -> Result:
    """One page's text (HTML, or a plain-text dump of a page) to its records; never raises for a bad page."""
    from pipeline.jobs.process import process

    return process(text, url)


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open the project's database at `path` (created and migrated when needed), in WAL mode.

    Raises `pipeline.errors.StoreError` when the file cannot be opened or belongs to another program."""
    from pipeline.store import open_db as _open_db

    return _open_db(path)


def import_sources(sources: list[str], db_path: str | Path, on_page: Callable[[str, str], None] | None = None) -> RunStats:
    """Import files, folders (recursively) and URLs into the database, as `pipeline import` does.

    `on_page(source, error)` is called after each page ("" when it went well). One bad source never
    ends the run: its failure is recorded in `pages.error` and counted in the returned `RunStats`."""
    from pipeline.jobs.importer import import_sources as _import

    return _import(sources, db_path, on_page=on_page)
