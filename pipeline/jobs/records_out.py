"""Writing records out: JSON lines, a JSON array, CSV, plain text or Markdown, streamed one record at a time.

A record is a page (the object `pipeline extract --json` prints: page fields and an `essays` list)
or an essay with its page's fields (`per_essay`: the page's `title` becomes `page_title`, the
essay adds `position`, `title`, `text`, `chars`). Error records (`error` set, no essays) pass
through as they are. `open_output` refuses an existing file unless `overwrite`, and a file whose
folder is missing, before anything is written; the file is written under a `.partial` name and
renamed when complete, so a run that stops never leaves a half file under the real name.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from pipeline.errors import ConfigError

FORMATS = ("jsonl", "json", "csv", "txt", "markdown")
PAGE_COLUMNS = ("input", "url", "site", "title", "published", "breadcrumb", "category", "summary", "author", "source",
                "encoding", "expected_count", "incomplete", "split_form", "error", "essays")
ESSAY_COLUMNS = ("input", "url", "site", "page_title", "published", "breadcrumb", "category", "author", "source", "encoding",
                 "error", "position", "title", "text", "chars")


def per_essay(records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One record per essay with its page's fields; a page without essays (or an error) gives one record with no essay."""
    for rec in records:
        page = {k: v for k, v in rec.items() if k not in ("essays", "title", "summary")}
        page["page_title"] = rec.get("title", "")
        essays = rec.get("essays") or []
        if not essays:
            yield {**page, "position": None, "title": None, "text": None, "chars": None}
        for essay in essays:
            yield {**page, "position": essay["position"], "title": essay["title"], "text": essay["text"],
                   "chars": len(essay["text"])}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class Writer:
    """Writes records to a text stream in one of FORMATS."""

    def __init__(self, out: TextIO, fmt: str, essays: bool = False, columns: tuple[str, ...] | None = None) -> None:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
        self.out, self.fmt, self.essays = out, fmt, essays
        self.columns = columns or (ESSAY_COLUMNS if essays else PAGE_COLUMNS)
        self.count = 0
        self._csv: Any = None

    def write(self, rec: dict[str, Any]) -> None:
        fmt, out = self.fmt, self.out
        if fmt == "jsonl":
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        elif fmt == "json":
            out.write(("[\n" if self.count == 0 else ",\n") + json.dumps(rec, ensure_ascii=False))
        elif fmt == "csv":
            if self._csv is None:
                self._csv = csv.DictWriter(out, fieldnames=list(self.columns), extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow({k: _cell(v) for k, v in rec.items()})
        else:
            out.write(self._text(rec, fmt == "markdown"))
        self.count += 1

    def _text(self, rec: dict[str, Any], markdown: bool) -> str:
        if rec.get("error") and not rec.get("essays") and not rec.get("text"):
            return (f"<!-- {rec.get('input') or rec.get('url')}: {rec['error']} -->\n\n" if markdown
                    else f"# {rec.get('input') or rec.get('url')}: error: {rec['error']}\n\n")
        essays = [rec] if self.essays else rec.get("essays") or []
        buf = io.StringIO()
        if markdown and not self.essays:
            buf.write(f"# {rec.get('title') or rec.get('url')}\n\n<{rec.get('url')}>\n\n")
        for essay in essays:
            title = essay.get("title") or ""
            text = essay.get("text") or ""
            if markdown:
                buf.write(f"{'#' if self.essays else '##'} {title}\n\n" + "\n\n".join(text.split("\n")) + "\n\n")
            else:
                buf.write(f"{title}\n\n{text}\n\n")
        return buf.getvalue()

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("[]\n" if self.count == 0 else "\n]\n")
        self.out.flush()


def check_output(path: str | Path, overwrite: bool = False) -> Path:
    """Refuse an output path before any work: an existing file (unless overwrite), a missing folder, a folder."""
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"the output path is a folder: {target}")
    if not target.parent.is_dir():
        raise ConfigError(f"the folder of the output file does not exist: {target.parent}")
    if target.exists() and not overwrite:
        raise ConfigError(f"the output file exists: {target} (pass --overwrite to replace it)")
    return target


@contextmanager
def open_output(path: str | Path | None, overwrite: bool = False, binary: bool = False) -> Iterator[Any]:
    """stdout (path None or "-"), or the file written under a .partial name and renamed when the block ends well."""
    if path is None or str(path) == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = check_output(path, overwrite)
    partial = target.with_name(target.name + ".partial")
    try:
        with (open(partial, "wb") if binary else open(partial, "w", encoding="utf-8", newline="")) as fh:
            yield fh
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
