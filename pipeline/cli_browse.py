"""The commands that only read the database: `pipeline search` and `pipeline serve`."""

from __future__ import annotations

import json
import sys

import click

from pipeline.cli_options import db_option, fail, log, log_options, start
from pipeline.errors import PipelineError


@click.command("search")
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the essays found as a JSON array.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="At most this many essays.")
@log_options
def search_cmd(query: str, db: str, as_json: bool, limit: int) -> None:
    """Full-text search of the essays: Chinese words of two characters and more, and English.

    Every word must match; "quoted words" must match as a phrase. Best matches first. Reads only:
    a missing or stale search index is named (`pipeline index` rebuilds it), never rebuilt here.

    \b
    Examples:
      pipeline search 党员
      pipeline search 先锋模范 --json --limit 5
      pipeline search "community garden" --db my.db
    """
    from pipeline.store.queries import run_search

    start()
    try:
        hits, notes = run_search(db, query, limit)
    except PipelineError as exc:
        fail(exc)
    for note in notes:
        log.warning(f"warning: {note}")
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=1))
    else:
        bold = sys.stdout.isatty()  # the words found in bold on a terminal, plain text in a pipe
        for h in hits:
            click.echo(f"{h.id}  {h.title}  ({', '.join(x for x in (h.site, h.category, h.published) if x)})")
            click.echo("    " + "".join(click.style(t, bold=True, fg="red") if hit and bold else t for t, hit in h.pieces()))
    log.info(f"{len(hits)} essays found for {query[:60]!r}" + (" (limit reached)" if len(hits) == limit else ""))


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it on loopback).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the essays table in a web browser.")
@click.option("--setting", "settings", nargs=2, multiple=True, metavar="NAME VALUE",
              help="A datasette setting, as `datasette --setting` takes it (repeatable).")
@click.option("--metadata", type=click.Path(dir_okay=False), help="A datasette metadata file (JSON or YAML); it wins over the project's.")
@click.option("--plugins-dir", type=click.Path(file_okay=False), help="A folder of further datasette plugins.")
@click.option("--template-dir", type=click.Path(file_okay=False), help="A folder of datasette templates that win over the project's.")
@log_options
def serve_cmd(db: str, host: str, port: int, open_browser: bool, settings: tuple[tuple[str, str], ...], metadata: str | None,
              plugins_dir: str | None, template_dir: str | None) -> None:
    """Browse and query the database in datasette, with the project's metadata, facets, canned queries,
    essay pages and Chinese full-text search (best matches first). Reads only: a missing or stale
    search index is named (`pipeline index` rebuilds it). Stop it with Ctrl-C.

    A plain `datasette output/essays.db` gets the same: the plugin is installed with the project.

    \b
    Examples:
      pipeline serve                      # http://127.0.0.1:8001/essays/essays
      pipeline serve --db my.db --port 8002 --open
      pipeline serve --setting default_page_size 50 --metadata my-metadata.yml
    """
    from pipeline.serve.launcher import serve, settings_from_pairs

    start()
    try:
        serve(db, host=host, port=port, open_browser=open_browser, say=log.warning,
              settings=settings_from_pairs(settings), metadata=metadata, plugins_dir=plugins_dir, template_dir=template_dir)
    except PipelineError as exc:
        fail(exc)
