"""The functions Dask workers run: pure, importable, each taking a chunk of records and returning
their processed form with the essays' MinHash signatures (so the single writer computes none)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.jobs.stored_pages import StoredPage, rebuild
from pipeline.models import Result
from pipeline.normalize import signatures


@dataclass(frozen=True)
class Processed:
    """One page's records and, per essay id, its MinHash signature as stored (`signatures.to_blob`)."""

    result: Result
    signatures: dict[str, bytes]


def with_signatures(result: Result) -> Processed:
    return Processed(result, {e.id: signatures.to_blob(signatures.signature(e.text)) for e in result.essays})


def rebuild_chunk(pages: list[StoredPage | tuple[str, str]]) -> list[Processed | None]:
    """`pipeline reprocess --dask`: stored pages through `process` again (None for a page that could not be read)."""
    return [with_signatures(rebuild(page)) if isinstance(page, StoredPage) else None for page in pages]
