"""The CLI's side of the bulk commands: batch extraction (and export), with the summary line on stderr."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pipeline.cli_options import db_option, fail, log, log_options, report_crawl, start, summarize
from pipeline.errors import ConfigError, PipelineError

if TYPE_CHECKING:
    from pipeline.jobs.cluster import ClusterSpec
    from pipeline.models import Profile


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


def run_import_list(input_list: str, db: str, delay: float, opts: dict[str, Any]) -> int:
    """`pipeline import -i LIST`: URLs through the crawl, paths through the importer; returns the exit status.
    `opts`: the command's message options (`cli_options.start`)."""
    from pipeline.cli_progress import crawl_progress, track
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
            with track("importing", quiet=opts["quiet"]) as bar:
                stats = import_sources(paths, db, on_page=lambda ref, error: bar.advance(failed=bool(error)),
                                       on_total=lambda n: bar.update(total=n))
            failed += stats.pages_failed
            summary = (f"imported {stats.pages_fetched} pages from files, {stats.essays_added} essays added, "
                       f"{stats.pages_failed} failed in {stats.seconds:.2f}s -> {db}")
            summarize(stats.failures, stats.run_id, db, summary, not stats.pages_failed, opts["verbose"])
    if entries.urls or entries.bad:
        report = crawl_progress(lambda show: import_urls(entries.urls, entries.bad, db, list_tag(input_list), delay, show),
                                None, opts["quiet"])
        report_crawl(report, db, opts["verbose"])
        failed += report.exit_code != 0
    return 1 if failed else 0


def run_extract(sources: list[str], input_list: str | None, output: str | None, fmt: str, per: str, workers: int,
                overwrite: bool, profile_path: str | None, opts: dict[str, Any]) -> int:
    """`pipeline extract` with several sources or batch options; returns the exit status."""
    from pipeline.cli_progress import track
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
    pages = 0
    failures: list[str] = []
    # the live bar only when the records do not go to the same terminal
    with open_output(output, overwrite) as out, track("extracting", quiet=opts["quiet"], live=None if output else False) as bar:
        writer = Writer(out, fmt, essays=per == "essay")
        for record in extract_many(refs, workers, profile):
            pages += 1
            if record.get("error"):
                failures.append(f"{record.get('input')}: {record['error']}")
            bar.advance(failed=bool(record.get("error")))
            for rec in per_essay([record]) if per == "essay" else [record]:
                writer.write(rec)
        writer.close()
    seconds = time.perf_counter() - started
    where = f" -> {output}" if output else ""
    summary = f"extracted {pages - len(failures)} pages, {len(failures)} failed, {writer.count} records in {seconds:.2f}s{where}"
    for line in failures if opts["verbose"] or len(failures) <= 20 else failures[:20]:
        log.warning(f"failed: {line}")
    if len(failures) > 20 and not opts["verbose"]:
        log.warning(f"... and {len(failures) - 20} more failures: each is a record with \"error\" in the output (or -v)")
    (log.warning if failures else log.info)(summary)
    return 1 if failures else 0


@click.command("export")
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True,
              help="JSON lines, CSV, or Parquet (needs -o).")
@click.option("-o", "--output", metavar="PATH", help="Write to PATH instead of stdout.")
@click.option("--per", type=click.Choice(["essay", "page"]), default="essay", show_default=True,
              help="One record per essay (with its page's fields) or per page (with its essays).")
@click.option("--where", metavar="SQL", help="An SQL condition over the record's columns, e.g. \"site = 'x.org' and chars > 500\".")
@click.option("--since", metavar="TIME", help="Only essays added or changed after TIME (2024-05-01 or 2024-05-01T12:00:00Z).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@log_options
def export_cmd(db: str, fmt: str, output: str | None, per: str, where: str | None, since: str | None, overwrite: bool) -> None:
    """Export the essays (or pages) as JSON lines, CSV or Parquet, streamed in constant memory.

    \b
    Examples:
      pipeline export > essays.jsonl
      pipeline export --format parquet -o essays.parquet
      pipeline export --format csv --per page --where "site = 'example.org'" -o pages.csv
      pipeline export --since 2024-05-01T00:00:00Z -o new.jsonl     # what changed since the last export
    """
    from pipeline.jobs.export import export

    start()
    started = time.perf_counter()
    try:
        count = export(db, output, fmt, per, where, since, overwrite)
    except PipelineError as exc:
        fail(exc)
    where_to = f" -> {output}" if output and output != "-" else ""
    log.info(f"exported {count} {per}s as {fmt} in {time.perf_counter() - started:.2f}s{where_to}")


def import_to_shards(sources: list[str], output: str, cluster: ClusterSpec | None, overwrite: bool, threshold: float,
                     profile: Profile | None, verbose: int) -> NoReturn:
    from pipeline.jobs.shard_run import run

    kind, _, folder = output.partition(":")
    if kind != "parquet" or not folder:
        raise ConfigError(f"--output {output}: give parquet:DIR")
    if cluster is None:
        raise ConfigError("--output parquet:DIR runs on a Dask cluster: add --dask local (or local:N, or a scheduler address)")
    stats = run(sources, folder, cluster, overwrite, threshold, profile)
    summary = (f"wrote {stats.pages_fetched} pages, {stats.essays_added} essays, {stats.pages_failed} failed "
               f"in {stats.seconds:.2f}s -> {folder}")
    shown = stats.failures if verbose else stats.failures[:20]
    for line in shown:
        log.warning(f"failed: {line}")
    if len(stats.failures) > len(shown):
        log.warning(f"... and {len(stats.failures) - len(shown)} more failures (-v names them all)")
    (log.warning if stats.pages_failed else log.info)(summary)
    if stats.skipped:
        log.info("skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(stats.skipped.items())))
    sys.exit(1 if stats.pages_failed else 0)
