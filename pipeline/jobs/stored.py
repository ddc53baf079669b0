"""A stored page back through `process`: its raw response (and those of its later parts) re-extracted
with the current code, no network. `pipeline reprocess` and the site-chrome pass both take this path."""

from __future__ import annotations

import json

import sqlite_utils

from pipeline import store
from pipeline.errors import ExtractError
from pipeline.extract import extract
from pipeline.jobs.process import join_parts, process
from pipeline.models import Result
from pipeline.text.encoding import decode


def stored_result(db: sqlite_utils.Database, url: str) -> Result:
    """The stored page (and its stored parts) through `process` again."""
    raw = store.raw_body(db, url)
    assert raw is not None
    text, codec = decode(*raw)
    result = process(text, url, codec)
    row = db.execute("select parts from pages where url = ?", [url]).fetchone()
    part_urls = json.loads(row[0])[1:] if row and row[0] else []
    parts: list[Result] = []
    for part_url in part_urls:
        part_raw = store.raw_body(db, part_url)
        if part_raw is None:
            break
        part_text, part_codec = decode(*part_raw)
        try:
            parts.append(Result(page=extract(part_text, part_url, part_codec), essays=()))
        except ExtractError:
            break
    return join_parts(result, parts) if parts and not result.page.error else result
