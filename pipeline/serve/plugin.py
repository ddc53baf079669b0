"""The project's datasette plugin, registered through the ``datasette`` entry point (pyproject.toml), so a
plain ``datasette output/essays.db`` loads it as ``pipeline serve`` does. It acts only on databases that
carry the project's marker (``PRAGMA application_id``, see :mod:`pipeline.store.migrations`) in the
layout it reads; any other database is served as plain datasette would.

* ``prepare_connection`` replaces datasette's ``escape_fts`` SQL function (which datasette wraps around
  whatever is typed in a table's search box or sent as ``?_search=``) by
  :func:`pipeline.store.search_index.to_match`, so a query is split into character bigrams and folded
  to simplified characters exactly as ``essays_fts`` was. ``trylast`` makes it run after datasette's own
  hook, so it wins. It also sets a busy timeout, so pages never fail while a run writes.
* ``get_metadata`` gives the project's metadata (:mod:`pipeline.serve.metadata`): descriptions,
  facets, sort orders, canned queries; a ``--metadata`` file of the user's wins over it.
* ``register_routes`` adds ``/DB/-/search`` (and ``/DB/-/search.json``): essays ranked by BM25 with
  highlighted snippets, which datasette's table page cannot do; the essays table's search box leads there.
* ``prepare_jinja2_environment`` adds ``pipeline/serve/templates``: the essay page (``row.html``), the
  essays table's columns and folded notes (``table.html``, ``_table.html``), the search page. Each
  template extends datasette's own and changes nothing for other tables and databases.
* ``extra_template_vars`` and ``render_cell`` feed those templates: the essay with its page, original and
  copies; titles linked to the essay, text cut to an excerpt, ``duplicate_of`` linked to the original.
* ``register_facet_classes`` adds the ``year``, ``month`` and ``duplicate`` facets (:mod:`pipeline.serve.facets`).
* ``menu_links`` and ``database_actions`` lead to the search page.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.facets import Facet
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from pipeline.serve import metadata, views
from pipeline.serve.facets import FACETS
from pipeline.store.search_index import to_match

BUSY_TIMEOUT_MS = 30_000
TEMPLATES = Path(__file__).parent / "templates"


@hookimpl(trylast=True)  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection) -> None:
    if not views.marked(conn):
        return
    conn.create_function("escape_fts", 1, to_match, deterministic=True)
    # WAL lets readers run beside a crawl's writes; the rare wait (a checkpoint, WAL recovery) is waited out
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@hookimpl  # type: ignore[untyped-decorator]
def get_metadata(datasette: Any) -> dict[str, Any]:
    return metadata.metadata(views.project_databases(datasette))


@hookimpl  # type: ignore[untyped-decorator]
def register_facet_classes() -> list[type[Facet]]:
    return FACETS


@hookimpl  # type: ignore[untyped-decorator]
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/(?P<database>[^/]+)/-/search(\.(?P<format>json))?$", views.search_page)]


@hookimpl  # type: ignore[untyped-decorator]
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    first = [FileSystemLoader(datasette.template_dir)] if datasette.template_dir else []  # --template-dir still wins
    env.loader = ChoiceLoader([*first, FileSystemLoader(str(TEMPLATES)), *([env.loader] if env.loader else [])])


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if table != "essays" or column not in ("title", "text", "duplicate_of") or not views.is_project(datasette, database):
        return None

    async def render() -> Any:
        return await views.render_essay_cell(datasette, database, row, column, value)

    return render


@hookimpl  # type: ignore[untyped-decorator]
def extra_template_vars(database: str | None, table: str | None, view_name: str, request: Any, datasette: Any) -> Any:
    if view_name == "index":
        return {"essay_searches": [(name, views.search_url(datasette, name)) for name in views.project_databases(datasette)]}
    if not views.is_project(datasette, database):
        return {}
    assert database is not None
    project = {"essay_project": True, "essay_search": views.search_url(datasette, database)}
    if table == "essays" and view_name == "table":
        return project | {"essay_list_columns": views.list_columns(request)}
    if table == "essays" and view_name == "row" and request is not None:
        async def essay() -> dict[str, Any]:
            return project | await views.essay_context(datasette, database, request.url_vars.get("pks", ""))

        return essay
    return project


@hookimpl  # type: ignore[untyped-decorator]
def menu_links(datasette: Any) -> list[dict[str, str]]:
    names = views.project_databases(datasette)
    return [{"href": views.search_url(datasette, name), "label": f"Search essays ({name})" if len(names) > 1 else "Search essays"}
            for name in names]


@hookimpl  # type: ignore[untyped-decorator]
def database_actions(datasette: Any, database: str) -> list[dict[str, str]]:
    return [{"href": views.search_url(datasette, database), "label": "Search essays"}] if views.is_project(datasette, database) else []
