"""The CLI's side of the bulk commands: batch extraction (and export), with the summary line on stderr."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from pipeline.errors import ConfigError


def read_entries(input_list: str) -> list[str]:
    """The entries of a list file (or stdin for -), relative paths taken from the list's folder."""
    from pipeline.jobs.batch_extract import read_list

    if input_list == "-":
        return list(read_list(sys.stdin))
    path = Path(input_list)
    if not path.is_file():
        raise ConfigError(f"no such list file: {input_list}")
    with open(path, encoding="utf-8-sig") as fh:
        return list(read_list(fh, path.parent))


def run_import_list(input_list: str, db: str, delay: float, progress: Any) -> int:
    """`pipeline import -i LIST`: URLs through the crawl, paths through the importer; returns the exit status."""
    from pipeline.jobs.importer import import_sources
    from pipeline.jobs.url_list import import_urls, list_tag, sort_entries

    entries = sort_entries(read_entries(input_list))
    if not (entries.urls or entries.paths or entries.bad):
        raise ConfigError(f"the list {input_list} names no URL or path")
    failed = 0
    if entries.paths:
        missing = [p for p in entries.paths if not Path(p).exists()]
        entries.bad.extend((p, f"no such file or folder: {p}") for p in missing)
        paths = [p for p in entries.paths if p not in missing]
        if paths:
            stats = import_sources(paths, db)
            failed += stats.pages_failed
            for line in stats.failures[:20]:
                click.echo(f"failed: {line}", err=True)
            click.echo(f"imported {stats.pages_fetched} pages from files, {stats.essays_added} essays added, "
                       f"{stats.pages_failed} failed in {stats.seconds:.2f}s -> {db}", err=True)
    if entries.urls or entries.bad:
        report = import_urls(entries.urls, entries.bad, db, list_tag(input_list), delay, progress)
        if sys.stderr.isatty():
            click.echo("", err=True)
        for line in report.stats.failures[:20]:
            click.echo(f"failed: {line}", err=True)
        click.echo(report.summary(db), err=True)
        failed += report.stats.pages_failed
    return 1 if failed else 0


def run_extract(sources: list[str], input_list: str | None, output: str | None, fmt: str, per: str, workers: int,
                overwrite: bool, profile_path: str | None) -> int:
    """`pipeline extract` with several sources or batch options; returns the exit status."""
    from pipeline.crawl.settings import load_profile
    from pipeline.jobs.batch_extract import extract_many
    from pipeline.jobs.records_out import Writer, check_output, open_output, per_essay

    refs = list(sources)
    if input_list:
        refs += read_entries(input_list)
    if not refs:
        raise ConfigError("nothing to extract: give files, folders or URLs, or -i FILE")
    if output:
        check_output(output, overwrite)  # refuse before any work
    profile = load_profile(profile_path) if profile_path else None
    started = time.perf_counter()
    pages = failed = 0
    with open_output(output, overwrite) as out:
        writer = Writer(out, fmt, essays=per == "essay")
        for record in extract_many(refs, workers, profile):
            pages += 1
            if record.get("error"):
                failed += 1
                click.echo(f"failed: {record.get('input')}: {record['error']}", err=True)
            for rec in per_essay([record]) if per == "essay" else [record]:
                writer.write(rec)
        writer.close()
    seconds = time.perf_counter() - started
    where = f" -> {output}" if output else ""
    click.echo(f"extracted {pages - failed} pages, {failed} failed, {writer.count} records in {seconds:.2f}s{where}", err=True)
    return 1 if failed else 0


def run_export(db: str, fmt: str, output: str | None, per: str, where: str | None, since: str | None, overwrite: bool) -> None:
    """`pipeline export`: the records, then a summary line on stderr."""
    from pipeline.jobs.export import export

    started = time.perf_counter()
    count = export(db, output, fmt, per, where, since, overwrite)
    where_to = f" -> {output}" if output and output != "-" else ""
    click.echo(f"exported {count} {per}s as {fmt} in {time.perf_counter() - started:.2f}s{where_to}", err=True)
