"""Datasette on the essays database: the project's metadata (titles, descriptions, facets, sort orders,
label columns, canned queries, search) and the launcher behind ``pipeline serve``.

The metadata is generated here rather than kept in a JSON file so it always names the columns the
store creates. Chinese search and the year/month/duplicate facets come from
:mod:`pipeline.datasette_plugin`, which :func:`make_datasette` registers with datasette's plugin
manager. Canned queries take named parameters only (``:site``), never formatted SQL.
"""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

TITLE = "Essays"
DESCRIPTION = (
    "Articles and model essays (范文) scraped from the web by essay-pipeline: site chrome removed, pages holding "
    "several essays split into one record per essay, copies across pages and sites marked. Search finds Chinese "
    "words of two characters and more (党员, 先锋模范) and English words."
)
SOURCE = "essay-pipeline: pipeline import / pipeline crawl"
LICENSE = "Code MIT; each essay belongs to its author and site (see pages.url)"

ESSAY_COLUMNS = {
    "id": "Stable id: the first 16 hex digits of sha1(page_url#position)",
    "page_url": "The page the essay comes from (pages.url)",
    "position": "1-based position of the essay on its page",
    "title": "Title of the essay (the page's title when the essay has none of its own)",
    "text": "Clean text: site chrome removed, paragraphs joined by newlines",
    "chars": "Length of the text in characters",
    "text_sha1": "sha1 of the normalized text: equal texts have equal hashes",
    "duplicate_of": "The first stored essay (of another page) that this one copies, exactly or nearly; empty for originals",
    "site": "Host name of the site",
    "category": "Last breadcrumb of the page (the site's own category)",
    "published": "Publication date of the page (ISO 8601)",
    "script": "hans (simplified Chinese), hant (traditional) or empty when not Chinese",
}
PAGE_COLUMNS = {
    "url": "The URL (or file:// path) the page was imported from",
    "final_url": "The URL after redirects",
    "site": "Host name of the site",
    "status": "HTTP status of the last fetch (empty for files)",
    "fetched_at": "When the page was last fetched (UTC)",
    "etag": "ETag of the last response, for conditional GET",
    "last_modified": "Last-Modified of the last response, for conditional GET",
    "content_sha1": "sha1 of the raw response body",
    "encoding": "Character encoding the page was decoded with",
    "title": "Title of the page",
    "published": "Publication date (ISO 8601)",
    "breadcrumb": "Breadcrumb trail as a JSON array, without Home and the page itself",
    "category": "Last breadcrumb",
    "summary": "Summary or preface of the page",
    "author": "Author, when the page names one",
    "source": "Source, when the page names one",
    "essay_count": "How many essays were stored from the page",
    "expected_count": "How many essays the title promises (e.g. 三篇), when it does",
    "incomplete": "Why the page may be incomplete (a paywall, a missing part)",
    "split_form": "How the page was split into essays (篇一, repeated title, ...)",
    "parts": "URLs of the further parts of a multi-page article (JSON array)",
    "error": "Why the last fetch or extraction failed; empty when it worked",
    "run_id": "The run that last stored or tried the page (runs.id)",
}
SITE_CHROME_COLUMNS = {
    "site": "The site (site config name for crawls, host for imported URLs, folder for files)",
    "fp": "Fingerprint of the masked line",
    "line": "The line with the page's own title as 〈T〉 and numbers and dates as #",
    "pages": "Pages of the site the line stands on",
    "site_pages": "Pages of the site counted",
    "chrome": "1: the site's chrome, removed from its essays; 0: kept (a line few pages share)",
}
RUN_COLUMNS = {
    "id": "Run number",
    "kind": "import, crawl or reprocess",
    "started": "Start (UTC)",
    "finished": "End (UTC); empty while running or when killed",
    "config": "Sources or site configs of the run (JSON)",
    "pages_fetched": "Pages fetched and stored",
    "pages_unchanged": "Pages unchanged since the last run (HTTP 304 or same content)",
    "pages_failed": "Pages that failed (see pages.error)",
    "essays_added": "New essays",
    "essays_updated": "Essays whose text changed",
    "status": "ok, partial, failed or running",
}

QUERIES: dict[str, dict[str, Any]] = {
    "essays_of_site": {
        "title": "Essays of a site",
        "description": "Every essay of one site (its host name, e.g. www.16system.cn), newest first.",
        "sql": "select id, title, category, published, chars, duplicate_of, page_url, position\n"
               "from essays where site = :site\norder by published desc, page_url, position",
    },
    "latest_essays": {
        "title": "Latest essays",
        "description": "The 100 essays published most recently, with the time their page was fetched.",
        "sql": "select e.id, e.title, e.site, e.category, e.published, p.fetched_at, e.page_url\n"
               "from essays e join pages p on p.url = e.page_url\n"
               "order by e.published is null, e.published desc, p.fetched_at desc, e.page_url, e.position\nlimit 100",
    },
    "failed_last_run": {
        "title": "Pages that failed in the last run",
        "description": "Pages that the most recent run could not fetch or extract, and why.",
        "sql": "select p.url, p.status, p.error, p.fetched_at, r.id as run_id, r.kind\n"
               "from pages p join runs r on r.id = p.run_id\n"
               "where p.error is not null and p.run_id = (select max(id) from runs)\norder by p.url",
    },
    "near_duplicate_groups": {
        "title": "Near-duplicate groups",
        "description": "Essays copied across pages and sites: each original with the number of copies and where they are.",
        "sql": "select o.id as original, o.title, o.site, count(*) as copies,\n"
               "  group_concat(d.page_url || '#' || d.position, ' | ') as copied_at\n"
               "from essays d join essays o on o.id = d.duplicate_of\n"
               "group by o.id order by copies desc, o.id",
    },
    "run_history": {
        "title": "Run history",
        "description": "Every import, crawl and reprocess run, newest first.",
        "sql": "select id, kind, status, started, finished, pages_fetched, pages_unchanged, pages_failed,\n"
               "  essays_added, essays_updated\nfrom runs order by id desc",
    },
    "essays_per_category": {
        "title": "Essays per category",
        "description": "How many essays, pages and copies each category holds, with the mean length.",
        "sql": "select category, count(*) as essays, count(distinct page_url) as pages,\n"
               "  sum(duplicate_of is not null) as duplicates, cast(round(avg(chars)) as integer) as mean_chars\n"
               "from essays group by category order by essays desc, category",
    },
    "search_essays": {
        "title": "Search essays",
        "description": "Full-text search (Chinese words of two characters and more, English words), best matches first.",
        "sql": "select e.id, e.title, e.site, e.category, e.published, e.page_url, e.position\n"
               "from essays_fts f join essays e on e.rowid = f.rowid\n"
               "where essays_fts match escape_fts(:q)\norder by bm25(essays_fts, 5.0, 1.0), e.rowid\nlimit 100",
    },
}


def database_name(db_path: str | Path) -> str:
    """The name datasette gives a database file (its stem)."""
    return Path(db_path).stem


def metadata(db_path: str | Path) -> dict[str, Any]:
    """Datasette metadata for the database: descriptions, facets, sort orders, label columns, queries."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": SOURCE,
        "license": LICENSE,
        "databases": {
            database_name(db_path): {
                "description": DESCRIPTION,
                "tables": {
                    "essays": {
                        "description": "One row per essay. Search box: Chinese words of two characters and more, English words; "
                                       '"quoted words" as a phrase.',
                        "columns": ESSAY_COLUMNS,
                        "label_column": "title",
                        "sort_desc": "published",
                        "facets": ["site", "category", {"year": "published"}, {"month": "published"},
                                   {"duplicate": "duplicate_of"}],
                        "fts_table": "essays_fts",
                        "fts_pk": "rowid",
                    },
                    "pages": {
                        "description": "One row per URL: metadata of the page, how it was split, and any error.",
                        "columns": PAGE_COLUMNS,
                        "label_column": "title",
                        "sort_desc": "fetched_at",
                        "facets": ["site", "category", "status", {"year": "published"}],
                    },
                    "runs": {
                        "description": "One row per import, crawl or reprocess run.",
                        "columns": RUN_COLUMNS,
                        "sort_desc": "id",
                        "facets": ["kind", "status"],
                    },
                    "raw": {"description": "Raw responses (zlib-compressed) kept for re-processing without re-fetching.",
                            "sort": "url"},
                    "frontier": {"description": "The crawl's persisted queue: what is left to fetch, per site."},
                    "essays_fts_pending": {"description": "Essays waiting to be indexed for search", "hidden": True},
                    "essay_sigs": {"description": "MinHash signatures of essays (near-duplicate detection)", "hidden": True},
                    "essay_lsh": {"description": "LSH buckets of essays (near-duplicate detection)", "hidden": True},
                    "site_chrome": {
                        "description": "What each site learned from its own pages: every line (title, numbers and dates masked) "
                                       "on two of its pages or more; chrome = 1 where it stands on enough of them to be "
                                       "removed from the site's essays (30% of at least 10 pages).",
                        "columns": SITE_CHROME_COLUMNS, "label_column": "line", "sort_desc": "pages", "facets": ["site", "chrome"],
                    },
                    "chrome_removed": {
                        "description": "The removal record: the lines its site's learned chrome took out of each page's essays, and why.",
                        "columns": {"url": "The page (pages.url)", "n": "Order on the page", "fp": "Fingerprint of the masked line",
                                    "site": "The site that learned it", "text": "The line as the page had it",
                                    "reason": "Why it went, e.g. site-repeated: on 57 of 60 pages of SITE"},
                        "facets": ["site"],
                    },
                    "chrome_pages": {"description": "Line fingerprints of each page, counted by its site (site chrome)", "hidden": True},
                },
                "queries": QUERIES,
            }
        },
    }


def prepare(db_path: str | Path) -> Path:
    """Check the database exists, bring its schema and search index up to date; returns its path."""
    from pipeline import store
    from pipeline.store import search_index as search

    path = Path(db_path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}: import something first (pipeline demo, or pipeline import PATH --db {path})")
    db = store.open_db(path)
    try:
        search.catch_up(db)
    finally:
        db.conn.close()
    return path


def register_plugin() -> None:
    """Register pipeline.datasette_plugin with datasette's plugin manager (once per process)."""
    from datasette.plugins import pm

    from pipeline.serve import plugin as datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="essay_pipeline")


def make_datasette(db_path: str | Path, settings: dict[str, Any] | None = None) -> Any:
    """A Datasette instance on the database with the project's metadata and plugin."""
    from datasette.app import Datasette

    path = prepare(db_path)
    register_plugin()
    return Datasette([str(path)], metadata=metadata(path), settings={"facet_time_limit_ms": 1000, "truncate_cells_html": 120, **(settings or {})})


def table_url(host: str, port: int, db_path: str | Path) -> str:
    return f"http://{host}:{port}/{database_name(db_path)}/essays"


def check_port(host: str, port: int) -> None:
    """Raise ConfigError when the address cannot be listened on (port taken, unknown host)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = str(exc.strerror or exc).split(" (while", 1)[0]
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}; pass another --port") from None


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False,
          say: Callable[[str], None] | None = None) -> None:
    """Run datasette (uvicorn) until interrupted; `say` gets the address once it is about to listen."""
    import uvicorn

    ds = make_datasette(db_path)
    check_port(host, port)
    if say:
        say(f"serving {db_path} at {table_url(host, port, db_path)} (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(table_url(host, port, db_path))
    # a long search (10,000 Chinese characters is a 90 kB URL) must reach datasette, not h11's 16 kB limit
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1,
                h11_max_incomplete_event_size=1 << 20)
