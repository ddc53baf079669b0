"""The `pipeline` command: a thin click layer over the library; no logic lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline.cli_browse import search_cmd, serve_cmd
from pipeline.cli_bulk import export_cmd, import_to_shards
from pipeline.cli_maintenance import backup_cmd, check_cmd, index_cmd
from pipeline.cli_options import db_option, fail, log, log_options, report_crawl, start, summarize
from pipeline.errors import ConfigError, Interrupted, PipelineError

DEFAULT_NEAR_THRESHOLD = 0.7  # the same as pipeline.dedupe.DEFAULT_THRESHOLD (not imported: it pulls numpy into --help)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="essay-pipeline")
@log_options
def main() -> None:
    """Scrape article and model-essay pages into clean records in SQLite.

    \b
    Examples:
      pipeline import fixtures/seed/                      # files and folders
      pipeline import https://example.org/a/1.html        # URLs (robots.txt obeyed)
      pipeline extract page.html --json                   # print records, store nothing
      pipeline crawl fixtures/sites/example.toml          # a scheduled crawl run (cron)
      pipeline serve                                      # datasette on output/essays.db
      pipeline search 先锋模范                             # full-text search, Chinese too
      pipeline backup backups/essays-$(date +%F).db       # a consistent copy, also during a crawl
      pipeline demo                                       # bundled demo site, no internet

    \b
    -v / -q / --log-file go before or after the command; $PIPELINE_DB sets the default --db.
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
@click.option("--ignore-robots", is_flag=True, help="Fetch URLs even where robots.txt disallows them (obeyed by default).")
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
@log_options
def import_cmd(sources: tuple[str, ...], db: str, timeout: float, near_dup_threshold: float, profile_path: str | None,
               ignore_robots: bool, copy_raw: bool, dask_spec: str | None, output: str | None, overwrite: bool,
               input_list: str | None, delay: float) -> None:
    """Import pages: HTML files, text dumps, folders (recursive), http(s) URLs and WARC/ARC archives.

    URLs obey robots.txt (a 5xx or unreachable robots.txt keeps the host's URLs out; --ignore-robots
    fetches anyway). A .txt file that is a list of URLs is refused: import the URLs with -i FILE.

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

    Exit status: 0 all imported, 1 some pages failed (see the failures view), 2 usage error or database
    refused, 3 another run holds the database's lock, 4 storage fault midway (disk full, read-only,
    locked, damaged), 130/143 interrupted by SIGINT/SIGTERM (the run marked interrupted).
    """
    from pipeline.cli_progress import track
    from pipeline.crawl.settings import load_profile
    from pipeline.jobs.cluster import parse_spec
    from pipeline.jobs.importer import import_sources

    opts = start()
    if input_list:
        from pipeline.cli_bulk import run_import_list

        try:
            code = run_import_list(input_list, db, delay, opts)
        except (PipelineError, Interrupted) as exc:
            fail(exc)
        if not sources:
            sys.exit(code)
    elif not sources:
        fail(ConfigError("nothing to import: give files, folders, URLs or archives, or -i FILE"))
    try:
        profile = load_profile(profile_path) if profile_path else None
        cluster = parse_spec(dask_spec) if dask_spec else None
        if output is not None:
            import_to_shards(list(sources), output, cluster, overwrite, near_dup_threshold, profile, opts["verbose"])
        with track("importing", quiet=opts["quiet"]) as bar:
            def page_done(ref: str, error: str) -> None:
                if not error:  # failures are named in the summary
                    log.debug(f"ok: {ref}")
                bar.advance(failed=bool(error))

            stats = import_sources(list(sources), db, on_page=page_done, timeout=timeout, near_threshold=near_dup_threshold,
                                   profile=profile, copy_raw=copy_raw, cluster=cluster, obey_robots=not ignore_robots,
                                   on_total=lambda n: bar.update(total=n))
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    unchanged = f", {stats.pages_unchanged} unchanged" if stats.pages_unchanged else ""
    summary = (f"imported {stats.pages_fetched} pages, {stats.essays_added} essays added, {stats.essays_updated} updated, "
               f"{stats.pages_failed} failed{unchanged} in {stats.seconds:.2f}s -> {db}")
    summarize(stats.failures, stats.run_id, db, summary, not stats.pages_failed, opts["verbose"])
    if stats.skipped:
        log.info("skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(stats.skipped.items())))
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
@log_options
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
    opts = start()
    if len(sources) != 1 or input_list or output or fmt or per or workers is not None:
        from pipeline.cli_bulk import run_extract

        if explain:
            fail(ConfigError("--explain shows one page: give one source and no batch option"))
        if db_path:
            fail(ConfigError("--db applies what a database learned to one page: give one source and no batch option"))
        try:
            sys.exit(run_extract(list(sources), input_list, output, fmt or "jsonl", per or "page", workers or 0,
                                 overwrite, profile_path, opts))
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
        log.error(f"error: {source}: {error}")
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
            log.info(f"removed [{r.rule}] {r.text[:120]}")
    sys.exit(1 if result.page.error else 0)


@main.command("crawl")
@click.argument("configs", nargs=-1, required=True, metavar="SITE.toml...")
@db_option
@click.option("--max-pages", type=click.IntRange(1), default=None,
              help="Fetch at most N URLs in this run (the rest stay in the frontier for the next run); "
                   "not the site config's max_pages, which caps the URLs its frontier holds.")
@click.option("--workers", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Extract and store in N extra processes (large crawls on several cores); 0: in the crawl's process.")
@log_options
def crawl_cmd(configs: tuple[str, ...], db: str, max_pages: int | None, workers: int) -> None:
    """Crawl sites described by TOML configs: discover, fetch, extract, store; incremental and resumable.

    \b
    Examples:
      pipeline crawl fixtures/sites/example.toml
      pipeline crawl site-a.toml site-b.toml --db my.db --max-pages 500

    A killed run resumes where it stopped. Exit status: 0 all done; 1 some pages failed, a site could
    not be crawled at all (start URLs or robots.txt unreachable) or its pages mostly gave no essay
    where earlier runs did (see runs.reason and the failures view); 2 bad config or database refused;
    3 another run holds the database's lock; 4 storage fault midway (disk full, read-only, locked,
    damaged); 130/143 interrupted by SIGINT/SIGTERM (the run marked interrupted, resumed by the next one).
    """
    from pipeline.cli_progress import crawl_progress
    from pipeline.crawl.settings import load_sites
    from pipeline.jobs.crawl_run import crawl

    opts = start()
    try:
        sites = load_sites(configs)
        report = crawl_progress(lambda show: crawl(sites, db, max_pages, on_progress=show, workers=workers),
                                      max_pages, opts["quiet"])
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    report_crawl(report, db, opts["verbose"])
    sys.exit(report.exit_code)




@main.command("reprocess")
@db_option
@click.option("--outdated", is_flag=True, help="Only pages stored by an older version of the extractor.")
@dask_option
@log_options
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
    from pipeline.cli_progress import track
    from pipeline.jobs.cluster import parse_spec
    from pipeline.jobs.reprocess import reprocess

    opts = start()
    try:
        with track("reprocessing", quiet=opts["quiet"]) as bar:
            stats = reprocess(db, on_page=lambda url, error: bar.advance(failed=bool(error)), on_total=lambda n: bar.update(total=n),
                              cluster=parse_spec(dask_spec) if dask_spec else None, outdated=outdated)
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    summary = (f"reprocessed {stats.pages_fetched + stats.pages_failed} pages, {stats.essays_added} essays added, "
               f"{stats.essays_updated} updated, {stats.pages_failed} failed in {stats.seconds:.2f}s -> {db}")
    summarize(stats.failures, stats.run_id, db, summary, not stats.pages_failed, opts["verbose"])
    sys.exit(1 if stats.pages_failed else 0)


@main.command("demo")
@db_option
@click.option("--port", default=8377, show_default=True, help="Port to serve the demo site on (any free port when taken).")
@log_options
def demo_cmd(db: str, port: int) -> None:
    """Serve the bundled demo site (fixtures/demo-site) on 127.0.0.1 and crawl it (no internet needed).

    Run it again and the crawl is incremental: every page answers 304 and nothing is rewritten.
    """
    from pipeline.cli_progress import crawl_progress
    from pipeline.crawl.settings import load_site
    from pipeline.jobs.crawl_run import crawl
    from pipeline.jobs.demo_site import folder_site, serve

    opts = start()
    root = Path(__file__).resolve().parent.parent / "fixtures"
    try:
        site = load_site(root / "sites" / "demo.toml")
        with serve(folder_site(root / "demo-site"), port) as server:
            log.info(f"demo: serving fixtures/demo-site on {server.base}")
            report = crawl_progress(lambda show: crawl([site.with_base(server.base)], db, on_progress=show), None,
                                          opts["quiet"])
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    report_crawl(report, db, opts["verbose"])
    log.info(f"browse it: .venv/bin/pipeline serve --db {db}   (datasette with facets and Chinese search)")
    sys.exit(report.exit_code)


for command in (search_cmd, serve_cmd, export_cmd, check_cmd, index_cmd, backup_cmd):
    main.add_command(command)

__all__ = ["main", "ConfigError"]
