"""What the plugin shows on the project's databases: which databases those are, the essay page's
data, the cells of the essays table, and the search page (ranked by BM25, with highlighted snippets).

Everything here only reads: SQL runs on datasette's own read connections.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette.utils import tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from pipeline.store import search_index
from pipeline.store.migrations import APPLICATION_ID

# the schema version from which essays have `num`, `host` and `site` (migration 3): older databases are left
# to plain datasette until a write command migrates them
LAYOUT_VERSION = 3
LIST_COLUMNS = ("title", "site", "published", "text")  # the essays table's default columns
EXCERPT_CHARS = 60
SEARCH_SIZE = 50
MAX_SEARCH_SIZE = 500

_PROJECT_FILES: set[tuple[str, int]] = set()
_OTHER_FILES: dict[str, tuple[int, ...]] = {}  # path -> the file's stamp when it was found not to be the project's


def marked(conn: sqlite3.Connection) -> bool:
    """The connection's database carries the project's marker and the layout the plugin reads."""
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error:
        return False
    return bool(app_id == APPLICATION_ID and version >= LAYOUT_VERSION)


def _stamp(path: Path) -> tuple[int, ...]:
    """What changes when a database file is written: the file's and its WAL's size and time."""
    st = path.stat()
    try:
        wal = path.with_name(path.name + "-wal").stat()
        return st.st_ino, st.st_mtime_ns, st.st_size, wal.st_mtime_ns, wal.st_size
    except OSError:
        return st.st_ino, st.st_mtime_ns, st.st_size


def project_file(path: str | None) -> bool:
    """The database file is one of the project's (read-only check; remembered once it is, and until the
    file changes when it is not: the metadata hook asks many times a page)."""
    if not path:
        return False
    try:
        real = Path(path).resolve()
        stamp = _stamp(real)
    except OSError:
        return False
    if (str(real), stamp[0]) in _PROJECT_FILES:
        return True
    if _OTHER_FILES.get(str(real)) == stamp:
        return False
    try:
        conn = sqlite3.connect(f"file:{quote(str(real))}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        found = marked(conn)
    finally:
        conn.close()
    if found:
        _PROJECT_FILES.add((str(real), stamp[0]))
    else:
        _OTHER_FILES[str(real)] = stamp
    return found


def project_databases(datasette: Any) -> list[str]:
    """Names of the datasette databases that are the project's."""
    return [name for name, db in datasette.databases.items() if project_file(getattr(db, "path", None))]


def is_project(datasette: Any, database: str | None) -> bool:
    if not database or database not in datasette.databases:
        return False
    return project_file(getattr(datasette.databases[database], "path", None))


def essay_url(datasette: Any, database: str, num: int) -> str:
    return str(datasette.urls.row(database, "essays", str(num)))


def page_row_url(datasette: Any, database: str, url: str) -> str:
    return str(datasette.urls.row(database, "pages", tilde_encode(url)))


def search_url(datasette: Any, database: str, query: str = "") -> str:
    base = datasette.urls.database(database) + "/-/search"
    return str(base + (f"?q={quote(query)}" if query else ""))


# --- the essays table -------------------------------------------------------------------------


def excerpt(text: str, size: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size].rstrip() + "…"


async def render_essay_cell(datasette: Any, database: str, row: Any, column: str, value: Any) -> Markup | None:
    """The title as a link to the essay's page, the text as a short excerpt, duplicate_of as a link to the original."""
    if column == "title" and value is not None and "num" in row.keys():
        return Markup(f'<a href="{escape(essay_url(datasette, database, row["num"]))}">{escape(value)}</a>')
    if column == "text" and isinstance(value, str):
        return Markup(escape(excerpt(value)))
    if column == "duplicate_of" and value:
        found = await datasette.get_database(database).execute(
            "select num, title from essays where id = ?", [value])
        if found.rows:
            num, title = found.rows[0]
            return Markup(f'<a href="{escape(essay_url(datasette, database, num))}" title="{escape(title or "")}">'
                          f"{escape(value)}</a>")
    return None


def list_columns(request: Any) -> list[str] | None:
    """The columns the essays table shows, or None for every column (the user chose with _col / _nocol / _all)."""
    if request is None or any(k in request.args for k in ("_col", "_nocol", "_all")):
        return None
    return list(LIST_COLUMNS)


# --- the essay page ---------------------------------------------------------------------------


async def essay_context(datasette: Any, database: str, pks: str) -> dict[str, Any]:
    """Template variables of an essay's page: the essay, its page, the original it copies, its copies and siblings."""
    if not pks.isdigit():
        return {}
    db = datasette.get_database(database)
    found = await db.execute("select * from essays where num = ?", [int(pks)])
    if not found.rows:
        return {}
    essay = dict(found.rows[0])
    page = await db.execute("select url, final_url, title, summary, author, source from pages where url = ?",
                            [essay["page_url"]])
    siblings = await db.execute("select num, position, title from essays where page_url = ? order by position",
                                [essay["page_url"]])
    original = None
    if essay["duplicate_of"]:
        rows = await db.execute("select num, title, site, page_url from essays where id = ?", [essay["duplicate_of"]])
        if rows.rows:
            original = dict(rows.rows[0]) | {"url": essay_url(datasette, database, rows.rows[0]["num"])}
    copies = await db.execute("select num, title, site from essays where duplicate_of = ? order by num limit 50", [essay["id"]])
    url = essay["page_url"] or ""
    return {
        "essay": essay | {"paragraphs": [p.strip() for p in (essay["text"] or "").split("\n") if p.strip()]},
        "essay_page": dict(page.rows[0]) if page.rows else {},
        "essay_page_link": url if url.lower().startswith(("http://", "https://")) else "",
        "essay_page_row": page_row_url(datasette, database, url),
        "essay_original": original,
        "essay_copies": [dict(r) | {"url": essay_url(datasette, database, r["num"])} for r in copies.rows],
        "essay_siblings": [dict(r) | {"url": essay_url(datasette, database, r["num"])} for r in siblings.rows],
        "essay_json": datasette.urls.row(database, "essays", pks, format="json"),
        "essay_search": search_url(datasette, database),
    }


# --- the search page --------------------------------------------------------------------------


def _size(value: str | None) -> int:
    try:
        return max(1, min(MAX_SEARCH_SIZE, int(value or SEARCH_SIZE)))
    except ValueError:
        return SEARCH_SIZE


def _run_search(query: str, size: int) -> Any:
    def run(conn: sqlite3.Connection) -> tuple[list[search_index.Hit], int, str]:
        if not search_index.split_terms(query):
            return [], 0, ""
        try:
            return search_index.search(conn, query, size), search_index.count(conn, query), ""
        except (search_index.QueryError, search_index.SearchFailed) as exc:
            return [], 0, str(exc)

    return run


async def search_page(datasette: Any, request: Any) -> Response:
    """``/DB/-/search?q=...`` (and ``.json``): essays best first (BM25, title weighted), with highlighted snippets."""
    database = request.url_vars["database"]
    if not is_project(datasette, database):
        raise NotFound(f"no essays database named {database}")
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "essays")),
                                                       ("view-database", database), "view-instance"])
    query = request.args.get("q", "")
    size = _size(request.args.get("_size"))
    hits, total, error = await datasette.get_database(database).execute_fn(_run_search(query, size))
    if request.url_vars.get("format") == "json":
        return Response.json({"query": query, "total": total, "error": error or None,
                              "hits": [h.as_dict() | {"url": essay_url(datasette, database, h.num)} for h in hits]},
                             status=400 if error else 200)
    shown = [{
        "url": essay_url(datasette, database, h.num),
        "title": search_index.split_marked(h.title, search_index.find_words(h.title, query)),
        "meta": [x for x in (h.site, h.published, h.category, f"essay {h.position} on its page") if x],
        "snippet": h.pieces(),
        "duplicate_of": h.duplicate_of,
    } for h in hits]
    context = {"database": database, "q": query, "hits": shown, "total": total, "error": error, "size": size,
               "essays_url": datasette.urls.table(database, "essays"),
               "json_url": search_url(datasette, database, query).replace("/-/search", "/-/search.json", 1)}
    html = await datasette.render_template("essay_search.html", context, request=request, view_name="essay_search")
    return Response.html(html)
