"""The `pipeline` command: a thin click layer over the library; no logic lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from pipeline.errors import ConfigError, Interrupted, PipelineError

if TYPE_CHECKING:
    from pipeline.jobs.cluster import ClusterSpec
    from pipeline.models import Profile

DEFAULT_DB = "output/essays.db"
DEFAULT_NEAR_THRESHOLD = 0.7  # the same as pipeline.dedupe.DEFAULT_THRESHOLD (not imported: it pulls numpy into --help)


def fail(exc: PipelineError | Interrupted) -> NoReturn:
    """One line on stderr, then the exit status of the error's class (see README "Exit statuses")."""
    if isinstance(exc, Interrupted):
        _end_progress()
        click.echo(f"interrupted: {exc.summary or exc.name}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)


def db_option(f: Any) -> Any:
    return click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(dir_okay=False),
                        help="SQLite database file.")(f)


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
@click.argument("sources", nargs=-1, required=True)
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
def import_cmd(sources: tuple[str, ...], db: str, timeout: float, near_dup_threshold: float, profile_path: str | None,
               copy_raw: bool, dask_spec: str | None, output: str | None, overwrite: bool) -> None:
    """Import pages: HTML files, text dumps, folders (recursive), http(s) URLs and WARC/ARC archives.

    \b
    Examples:
      pipeline import fixtures/seed/
      pipeline import page.html dump.txt https://example.org/essay.html --db my.db
      pipeline import saved-pages/ --profile fixtures/sites/profile-example.toml
      pipeline import crawl-1.warc.gz crawl-2.warc.gz      # each HTTP response record as a page

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
            _import_to_shards(list(sources), output, cluster, overwrite, near_dup_threshold, profile)
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


def _import_to_shards(sources: list[str], output: str, cluster: ClusterSpec | None, overwrite: bool, threshold: float,
                      profile: Profile | None) -> NoReturn:
    from pipeline.jobs.shard_run import run

    kind, _, folder = output.partition(":")
    if kind != "parquet" or not folder:
        raise ConfigError(f"--output {output}: give parquet:DIR")
    if cluster is None:
        raise ConfigError("--output parquet:DIR runs on a Dask cluster: add --dask local (or local:N, or a scheduler address)")
    stats = run(sources, folder, cluster, overwrite, threshold, profile)
    for line in stats.failures[:20]:
        click.echo(f"failed: {line}", err=True)
    click.echo(f"wrote {stats.pages_fetched} pages, {stats.essays_added} essays, {stats.pages_failed} failed "
               f"in {stats.seconds:.2f}s -> {folder}", err=True)
    if stats.skipped:
        click.echo("skipped: " + ", ".join(f"{n} {why}" for why, n in sorted(stats.skipped.items())), err=True)
    sys.exit(1 if stats.pages_failed else 0)


@main.command("extract")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the page and its essays as JSON (the default).")
@click.option("--explain", is_flag=True, help="Also print what was removed and by which rule.")
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False),
              help="A site profile (TOML with a [profile] table of CSS selectors) to pin extraction.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              help="Also remove the lines this database learned as the chrome of the page's site.")
def extract_cmd(source: str, as_json: bool, explain: bool, profile_path: str | None, db_path: str | None) -> None:
    """Print the records of one page (file or URL) without storing them.

    \b
    Examples:
      pipeline extract fixtures/seed/000_a2624caf89aaf6c8.txt --json
      pipeline extract page.html --explain
      pipeline extract https://example.org/a/1.html --db output/essays.db --explain
    """
    from pipeline.crawl.settings import load_profile
    from pipeline.fetch.sync_client import make_client
    from pipeline.jobs.importer import Source, expand, iter_results
    from pipeline.jobs.process import to_json

    try:
        sources: list[Source] = expand([source])
        profile = load_profile(profile_path) if profile_path else None
    except PipelineError as exc:
        fail(exc)
    with make_client() as client:
        _, result, _, _, _, error = next(iter_results(sources[:1], client, profile))
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
    _end_progress()
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


def _end_progress() -> None:
    if sys.stderr.isatty():
        click.echo("", err=True)


@main.command("reprocess")
@db_option
@dask_option
def reprocess_cmd(db: str, dask_spec: str | None) -> None:
    """Re-extract every stored raw page with the current code (no network); idempotent.

    \b
    Examples:
      pipeline reprocess --db output/essays.db
      pipeline reprocess --dask local:2
      pipeline reprocess --dask tcp://10.0.0.5:8786
    """
    from pipeline.jobs.cluster import parse_spec
    from pipeline.jobs.reprocess import reprocess

    try:
        stats = reprocess(db, cluster=parse_spec(dask_spec) if dask_spec else None)
    except (PipelineError, Interrupted) as exc:
        fail(exc)
    for line in stats.failures[:20]:
        click.echo(f"failed: {line}", err=True)
    click.echo(f"reprocessed {stats.pages_fetched + stats.pages_failed} pages, {stats.essays_added} essays added, "
               f"{stats.essays_updated} updated, {stats.pages_failed} failed in {stats.seconds:.2f}s -> {db}", err=True)
    sys.exit(1 if stats.pages_failed else 0)


@main.command("check")
@db_option
def check_cmd(db: str) -> None:
    """Check the whole database: SQLite's full integrity_check and the search index's own check.

    Reads only; safe while a crawl runs. Exit status: 0 sound, 1 problems found (listed on
    stdout), 2 no such database.

    \b
    Example:
      pipeline check --db output/essays.db
    """
    from pipeline.store.health import full_check

    try:
        report = full_check(db)
    except PipelineError as exc:
        fail(exc)
    for problem in report.problems:
        click.echo(problem)
    verdict = "ok" if report.ok else f"{len(report.problems)} problems found"
    click.echo(f"checked {db} ({', '.join(report.checks)}): {verdict}", err=True)
    sys.exit(0 if report.ok else 1)


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


__all__ = ["main", "ConfigError"]
