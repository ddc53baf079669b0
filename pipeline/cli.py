"""The `pipeline` command: a thin click layer over the library; no logic lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli_bulk import export_cmd, import_to_shards
from pipeline.cli_maintenance import check_cmd
from pipeline.cli_options import db_option, end_progress, fail
from pipeline.errors import ConfigError, Interrupted, PipelineError

if TYPE_CHECKING:
    pass

DEFAULT_NEAR_THRESHOLD = 0.7  # the same as pipeline.dedupe.DEFAULT_THRESHOLD (not imported: it pulls numpy into --help)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="essay-pipeline")
def main() -> None:
    """Scrape article and model-essay pages into clean records in SQLite.

    \b
    Examples:
      pipeline import fixtures/seed/                      # files and folders
      pipeline import https://example.org/a/1.html        # URLs
      pipeline extract page.html --json                   # print records, store nothing
      pipeline crawl fixtures/sites/example.toml          # a scheduled crawl run (cron)
      pipeline serve                                      # datasette on output/essays.db
      pipeline search 先锋模范                             # full-text search, Chinese too
      pipeline demo                                       # bundled demo site, no internet
    """


dask_option = click.option(
    "--dask", "dask_spec", default=None, metavar="local[:N]|tcp://HOST:PORT",
    help="Extract on a Dask cluster (reprocess, and WARC/ARC input of import): 'local' (one worker per core), 'local:N', or a running scheduler's address; "
         "this process stores the results in input order (the database ends as a single-process run leaves it).")


@main.command("import")
@click.argument("sources", nargs=-1)
@db_option
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for each URL.")
@click.option("--near-dup-threshold", default=DEFAULT_NEAR_THRESHOLD, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Estimated Jaccard similarity (5-character shingles) at which an essay counts as a copy of one stored earlier.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False),
              help="A site profile (TOML with a [profile] table of CSS selectors) to pin extraction for these pages.")
@click.option("--copy-raw", is_flag=True,
              help="WARC/ARC input: keep a copy of each raw body in the database instead of a pointer into the archive.")
@dask_option
@click.option("--output", "output", default=None, metavar="parquet:DIR",
              help="With --dask and WARC/ARC input: write Parquet shards into DIR (from the workers, no database) instead of --db.")
@click.option("--overwrite", is_flag=True, help="With --output: replace the shards of an earlier run in DIR.")
@click.option("-i", "--input", "input_list", metavar="FILE",
              help="A list of URLs and paths, one a line (# comments; - for stdin): URLs fetched politely, as a crawl fetches.")
@click.option("--delay", default=1.5, show_default=True, type=click.FloatRange(0.0),
              help="With -i: seconds between two requests to one host (robots.txt Crawl-delay may ask for more).")
def import_cmd(sources: tuple[str, ...], db: str, timeout: float, near_dup_threshold: float, profile_path: str | None,
               copy_raw: bool, dask_spec: str | None, output: str | None, overwrite: bool, input_list: str | None,
               delay: float) -> None:
    """Import pages: HTML files, text dumps, folders (recursive), http(s) URLs and WARC/ARC archives.

    \b
    Examples:
      pipeline import fixtures/seed/
      pipeline import page.html dump.txt https://example.org/essay.html --db my.db
      pipeline import saved-pages/ --profile fixtures/sites/profile-example.toml
      pipeline import crawl-1.warc.gz crawl-2.warc.gz      # each HTTP response record as a page
      pipeline import -i urls.txt                          # robots.txt, per-host delay, hosts in parallel

    Archives (*.warc, *.warc.gz, *.arc, *.arc.gz): each text response is stored with its WARC-Date as
    fetch time; a URL captured several times keeps its latest capture; the raw body stays in the
    archive (a pointer that `pipeline reprocess` reads) unless --copy-raw. Malformed records are
    listed in the table source_failures and the file goes on.

    Exit status: 0 all imported, 1 some pages failed (see pages.error), 2 usage error or database
    refused, 3 another run holds the database's lock, 4 storage fault midway (disk full, read-only,
    locked, damaged), 130/143 interrupted by SIGINT/SIGTERM (the run marked interrupted).
    """
    from pipeline.crawl.settings import load_profile
    from pipeline.jobs.cluster import parse_spec
    from pipeline.jobs.importer import import_sources

    if input_list:
        from pipeline.cli_bulk import run_import_list

        try:
            code = run_import_list(input_list, db, delay, _progress_printer())
        except PipelineError as exc:
            fail(exc)
        if not sources:
            sys.exit(code)
    elif not sources:
        fail(ConfigError("nothing to import: give files, folders, URLs or archives, or -i FILE"))
    show = sys.stderr.isatty()

    def progress(ref: str, error: str) -> None:
        if error:
            click.echo(f"failed: {ref}: {error}", err=True)
        elif show:
            click.echo(f"ok: {ref}", err=True)

    try:
        profile = load_profile(profile_path) if profile_path else None
        cluster = parse_spec(dask_spec) if dask_spec else None
        if output is not None:
            import_to_shards(list(sources), output, cluster, overwrite, near_dup_threshold, profile)
        stats = import_sources(list(sources), db, on_page=progress, timeout=timeout, near_threshold=near_dup_threshold,
                               profile=profile, copy_raw=copy_raw, cluster=cluster)
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    unchanged = f", {stats.pages_unchanged} unchanged" if stats.pages_unchanged else ""
    click.echo(
        f"imported {stats.pages_fetched} pages, {stats.essays_added} essays added, {stats.essays_updated} updated, "
        f"{stats.pages_failed} failed{unchanged} in {stats.seconds:.2f}s -> {db}",
        err=True,
    )
    if stats.skipped:
        click.echo("skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(stats.skipped.items())), err=True)
    sys.exit(1 if stats.pages_failed else 0)


@main.command("extract")
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One page: print the page and its essays as JSON (the default).")
@click.option("--explain", is_flag=True, help="One page: also print what was removed and by which rule.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False),
              help="A site profile (TOML with a [profile] table of CSS selectors) to pin extraction.")
@click.option("-i", "--input", "input_list", metavar="FILE",
              help="Read sources from FILE: one URL or path per line, # comments, blank lines ignored; - for stdin.")
@click.option("-o", "--output", metavar="FILE", help="Write the records to FILE instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "csv", "txt", "markdown"]), default=None,
              help="Output format of a batch (default jsonl: one JSON object per line).")
@click.option("--per", type=click.Choice(["page", "essay"]), default=None,
              help="One record per page (with its essays list) or per essay (with its page's fields).")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="Extract in N processes; records still come out in input order.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="One page: also remove the lines this database learned as the chrome of the page's site.")
def extract_cmd(sources: tuple[str, ...], as_json: bool, explain: bool, profile_path: str | None, input_list: str | None,
                output: str | None, fmt: str | None, per: str | None, workers: int | None, overwrite: bool,
                db_path: str | None) -> None:
    """Print the records of pages (files, folders, URLs, URL lists) without storing them.

    One source and no batch option: the page and its essays as indented JSON (as always).
    Otherwise one record per page as JSON lines (or --format), a failed source as one record
    with "error", and processing goes on. Exit status: 0 all extracted, 1 some failed, 2 usage.

    \b
    Examples:
      pipeline extract fixtures/seed/000_a2624caf89aaf6c8.txt --json
      pipeline extract page.html --explain
      pipeline extract https://example.org/a/1.html --db output/essays.db --explain
      pipeline extract saved/ a.html https://example.org/1.html > pages.jsonl
      pipeline extract -i urls.txt --per essay --format csv -o essays.csv --workers 2
      cat urls.txt | pipeline extract -i - --format markdown
    """
    if len(sources) != 1 or input_list or output or fmt or per or workers is not None:
        from pipeline.cli_bulk import run_extract

        if explain:
            fail(ConfigError("--explain shows one page: give one source and no batch option"))
        if db_path:
            fail(ConfigError("--db applies what a database learned to one page: give one source and no batch option"))
        try:
            sys.exit(run_extract(list(sources), input_list, output, fmt or "jsonl", per or "page", workers or 0,
                                 overwrite, profile_path))
        except PipelineError as exc:
            fail(exc)
    source = sources[0]
    from pipeline.crawl.settings import load_profile
    from pipeline.fetch.sync_client import make_client
    from pipeline.jobs.importer import Source, expand, iter_results
    from pipeline.jobs.process import to_json

    try:
        found: list[Source] = expand([source])
        profile = load_profile(profile_path) if profile_path else None
    except PipelineError as exc:
        fail(exc)
    with make_client() as client:
        _, result, _, _, _, error = next(iter_results(found[:1], client, profile))
    if result is None:
        click.echo(f"error: {source}: {error}", err=True)
        sys.exit(1)
    if db_path:
        from pipeline.jobs.site_pass import with_learned

        try:
            result = with_learned(db_path, result)
        except PipelineError as exc:
            fail(exc)
    data = to_json(result)
    if explain:
        data["removed"] = [{"rule": r.rule, "text": r.text} for r in result.page.removed]
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    if explain:
        for r in result.page.removed:
            click.echo(f"removed [{r.rule}] {r.text[:120]}", err=True)
    sys.exit(1 if result.page.error else 0)


@main.command("crawl")
@click.argument("configs", nargs=-1, required=True, metavar="SITE.toml...")
@db_option
@click.option("--max-pages", type=click.IntRange(1), default=None,
              help="Fetch at most N URLs in this run; the rest stay in the frontier for the next run.")
@click.option("--workers", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Extract and store in N extra processes (large crawls on several cores); 0: in the crawl's process.")
def crawl_cmd(configs: tuple[str, ...], db: str, max_pages: int | None, workers: int) -> None:
    """Crawl sites described by TOML configs: discover, fetch, extract, store; incremental and resumable.

    \b
    Examples:
      pipeline crawl fixtures/sites/example.toml
      pipeline crawl site-a.toml site-b.toml --db my.db --max-pages 500

    A killed run resumes where it stopped. Exit status: 0 all done, 1 some pages failed
    (see pages.error and frontier.error), 2 bad config or database refused, 3 another run holds the
    database's lock, 4 storage fault midway (disk full, read-only, locked, damaged), 130/143
    interrupted by SIGINT/SIGTERM (the run marked interrupted, resumed by the next one).
    """
    from pipeline.crawl.settings import load_sites
    from pipeline.jobs.crawl_run import crawl

    try:
        sites = load_sites(configs)
        report = crawl(sites, db, max_pages, on_progress=_progress_printer(), workers=workers)
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    _report(report, db)
    sys.exit(1 if report.stats.pages_failed else 0)


def _report(report: Any, db: str) -> None:
    """After a crawl: end the progress line, name the first failures, print the summary line."""
    end_progress()
    for line in report.stats.failures[:20]:
        click.echo(f"failed: {line}", err=True)
    click.echo(report.summary(db), err=True)


def _progress_printer() -> Any:
    """A one-line progress display on a terminal; nothing when stderr is not one (cron)."""
    if not sys.stderr.isatty():
        return None
    import time

    last = [0.0]

    def show(report: Any) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2:
            last[0] = now
            s = report.stats
            click.echo(f"\r{s.pages_fetched} fetched, {s.pages_unchanged} unchanged, {report.skipped} skipped, "
                       f"{s.pages_failed} failed, {s.essays_added} essays added ", err=True, nl=False)

    return show


@main.command("reprocess")
@db_option
@click.option("--outdated", is_flag=True, help="Only pages stored by an older version of the extractor.")
@dask_option
def reprocess_cmd(db: str, outdated: bool, dask_spec: str | None) -> None:
    """Re-extract every stored raw page with the current code (no network); idempotent.

    Pages imported from WARC files are read back from the archive (a moved archive is recorded
    on the page as its error; its essays stay).

    \b
    Examples:
      pipeline reprocess --db output/essays.db
      pipeline reprocess --outdated          # only pages of older extractor versions
      pipeline reprocess --dask local:2
      pipeline reprocess --dask tcp://10.0.0.5:8786
    """
    from pipeline.jobs.cluster import parse_spec
    from pipeline.jobs.reprocess import reprocess

    try:
        stats = reprocess(db, cluster=parse_spec(dask_spec) if dask_spec else None, outdated=outdated)
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    for line in stats.failures[:20]:
        click.echo(f"failed: {line}", err=True)
    click.echo(f"reprocessed {stats.pages_fetched + stats.pages_failed} pages, {stats.essays_added} essays added, "
               f"{stats.essays_updated} updated, {stats.pages_failed} failed in {stats.seconds:.2f}s -> {db}", err=True)
    sys.exit(1 if stats.pages_failed else 0)


@main.command("demo")
@db_option
@click.option("--port", default=8377, show_default=True, help="Port to serve the demo site on (any free port when taken).")
def demo_cmd(db: str, port: int) -> None:
    """Serve the bundled demo site (fixtures/demo-site) on 127.0.0.1 and crawl it (no internet needed).

    Run it again and the crawl is incremental: every page answers 304 and nothing is rewritten.
    """
    from pipeline.crawl.settings import load_site
    from pipeline.jobs.crawl_run import crawl
    from pipeline.jobs.demo_site import folder_site, serve

    root = Path(__file__).resolve().parent.parent / "fixtures"
    try:
        site = load_site(root / "sites" / "demo.toml")
        with serve(folder_site(root / "demo-site"), port) as server:
            click.echo(f"demo: serving fixtures/demo-site on {server.base}", err=True)
            report = crawl([site.with_base(server.base)], db, on_progress=_progress_printer())
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    _report(report, db)
    click.echo(f"browse it: .venv/bin/pipeline serve --db {db}   (datasette with facets and Chinese search)", err=True)


@main.command("search")
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the essays found as a JSON array.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="At most this many essays.")
def search_cmd(query: str, db: str, as_json: bool, limit: int) -> None:
    """Full-text search of the essays: Chinese words of two characters and more, and English.

    Every word must match; "quoted words" must match as a phrase. Best matches first.

    \b
    Examples:
      pipeline search 党员
      pipeline search 先锋模范 --json --limit 5
      pipeline search "community garden" --db my.db
    """
    from pipeline.store.queries import run_search

    try:
        hits, notes = run_search(db, query, limit)
    except PipelineError as exc:
        fail(exc)
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=1))
    else:
        bold = sys.stdout.isatty()  # the words found in bold on a terminal, plain text in a pipe
        for h in hits:
            click.echo(f"{h.id}  {h.title}  ({', '.join(x for x in (h.site, h.category, h.published) if x)})")
            click.echo("    " + "".join(click.style(t, bold=True, fg="red") if hit and bold else t for t, hit in h.pieces()))
    click.echo(f"{len(hits)} essays found for {query[:60]!r}" + (" (limit reached)" if len(hits) == limit else ""), err=True)


@main.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it on loopback).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the essays table in a web browser.")
@click.option("--setting", "settings", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A datasette setting, as `datasette --setting` takes it (repeatable).")
@click.option("--metadata", type=click.Path(dir_okay=False), help="A datasette metadata file (JSON or YAML); it wins over the project's.")
@click.option("--plugins-dir", type=click.Path(file_okay=False), help="A folder of further datasette plugins.")
@click.option("--template-dir", type=click.Path(file_okay=False), help="A folder of datasette templates that win over the project's.")
def serve_cmd(db: str, host: str, port: int, open_browser: bool, settings: tuple[tuple[str, str], ...], metadata: str | None,
              plugins_dir: str | None, template_dir: str | None) -> None:
    """Browse and query the database in datasette, with the project's metadata, facets, canned queries,
    essay pages and Chinese full-text search (best matches first). Stop it with Ctrl-C.

    A plain `datasette output/essays.db` gets the same: the plugin is installed with the project.

    \b
    Examples:
      pipeline serve                      # http://127.0.0.1:8001/essays/essays
      pipeline serve --db my.db --port 8002 --open
      pipeline serve --setting default_page_size 50 --metadata my-metadata.yml
    """
    from pipeline.serve.launcher import serve, settings_from_pairs

    try:
        serve(db, host=host, port=port, open_browser=open_browser, say=lambda msg: click.echo(msg, err=True),
              settings=settings_from_pairs(settings), metadata=metadata, plugins_dir=plugins_dir, template_dir=template_dir)
    except PipelineError as exc:
        fail(exc)


main.add_command(export_cmd)
main.add_command(check_cmd)

__all__ = ["main", "ConfigError"]
