"""The project's datasette metadata: titles, descriptions of every table and column, facets, sort orders,
label columns and canned queries (named parameters only, never formatted SQL).

Generated here rather than kept in a JSON file so it always names the columns the store creates. The
plugin hands it to datasette through its ``get_metadata`` hook, for the project's databases only, so a
plain ``datasette essays.db`` gets it too; a ``--metadata`` file of the user's wins over it.
"""

from __future__ import annotations

from typing import Any

TITLE = "Essays"
DESCRIPTION = (
    "Articles and model essays (范文) scraped from the web by essay-pipeline: site chrome removed, pages holding "
    "several essays split into one record per essay, copies across pages and sites marked. Search finds Chinese "
    "words of two characters and more (党员, 先锋模范) and English words."
)
SOURCE = "essay-pipeline: pipeline import / pipeline crawl"
LICENSE = "Code MIT; each essay belongs to its author and site (see pages.url)"

ESSAY_COLUMNS = {
    "num": "Row number: the essay's integer key (kept by VACUUM; the search index's key); its page is /DB/essays/NUM",
    "id": "Stable id: the first 16 hex digits of sha1(page_url#position)",
    "page_url": "The page the essay comes from (pages.url)",
    "position": "1-based position of the essay on its page",
    "title": "Title of the essay (the page's title when the essay has none of its own)",
    "text": "Clean text: site chrome removed, paragraphs joined by newlines",
    "chars": "Length of the text in characters",
    "text_sha1": "sha1 of the normalized text: equal texts have equal hashes",
    "duplicate_of": "The id of the first stored essay (of another page) that this one copies, exactly or nearly; empty for originals",
    "host": "Host name of the page's URL (empty for files)",
    "site": "The site: the crawl's site name (its config's name), or the host for imports",
    "category": "Last breadcrumb of the page (the site's own category)",
    "published": "Publication date of the page (ISO 8601)",
    "script": "hans (simplified Chinese), hant (traditional) or empty when not Chinese",
    "gone": "When a re-crawl first found the essay's page removed (404 or 410); empty while the page is there",
    "changed_at": "When this essay's row last changed (UTC): what `pipeline export --since` reads",
}
PAGE_COLUMNS = {
    "url": "The URL (or file:// path) the page was imported from",
    "final_url": "The URL after redirects",
    "host": "Host name of the URL (empty for files)",
    "site": "The site: the crawl's site name (its config's name), or the host for imports",
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
    "gone": "When a re-crawl first found the page removed (404 or 410; status holds which); empty while it is there",
    "run_id": "The run that last stored or tried the page (runs.id)",
    "extractor_version": "Version of the extraction that made the page's essays: `pipeline reprocess --outdated` redoes older ones",
}
SITE_CHROME_COLUMNS = {
    "site": "The site (pages.site: the crawl's site name, else the host; the folder for imported files)",
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
    "status": "ok, partial, degraded (a site's pages stopped giving essays), failed, interrupted or running",
    "reason": "Why the run failed or was degraded, or why it stored nothing",
    "skipped": "What the run skipped and why, with counts (JSON)",
}

QUERIES: dict[str, dict[str, Any]] = {
    "essays_of_site": {
        "title": "Essays of a site",
        "description": "Every essay of one site (its crawl's site name, or its host name for imports), newest first.",
        "sql": "select num, id, title, category, published, chars, duplicate_of, page_url, position\n"
               "from essays where site = :site\norder by published desc, page_url, position",
    },
    "latest_essays": {
        "title": "Latest essays",
        "description": "The 100 essays published most recently, with the time their page was fetched.",
        "sql": "select e.num, e.id, e.title, e.site, e.category, e.published, p.fetched_at, e.page_url\n"
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
        "description": "Full-text search (Chinese words of two characters and more, English words), best matches first. "
                       "The search page (/DB/-/search) shows the same with highlighted snippets.",
        "sql": "select e.num, e.id, e.title, e.site, e.category, e.published, e.page_url, e.position\n"
               "from essays_fts f join essays e on e.num = f.rowid\n"
               "where essays_fts match escape_fts(:q)\norder by bm25(essays_fts, 5.0, 1.0), e.num\nlimit 100",
    },
}


def metadata(names: list[str]) -> dict[str, Any]:
    """Datasette metadata for the project's databases (by their datasette names): descriptions, facets,
    sort orders, label columns, canned queries. Nothing when there is none."""
    if not names:
        return {}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": SOURCE,
        "license": LICENSE,
        "databases": {name: database_metadata() for name in names},
    }


def database_metadata() -> dict[str, Any]:
    """The metadata of one project database: its tables, columns, facets and canned queries."""
    return {
        "description": DESCRIPTION,
        "tables": {
            "essays": {
                "description": "One row per essay; click a title to read it. Search: Chinese words of two characters and "
                               "more (traditional and simplified alike), English words; best matches first.",
                "columns": ESSAY_COLUMNS,
                "label_column": "title",
                "sort_desc": "published",
                "facets": ["site", "category", {"year": "published"}, {"month": "published"}, {"duplicate": "duplicate_of"}],
                "facet_size": 5,  # the rows stay near the top; each facet's "…" shows the rest
                "fts_table": "essays_fts",
                "fts_pk": "num",
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
            "raw": {"description": "Raw responses (zlib-compressed) kept for re-processing without re-fetching.", "sort": "url"},
            "frontier": {"description": "The crawl's persisted queue: what is left to fetch, per site."},
            "source_failures": {"description": "Failures of a run that have no page: a malformed archive record, a bad "
                                               "line of a URL list.", "sort_desc": "id"},
            "essays_fts": {"description": "The search index (character bigrams, see pipeline search)", "hidden": True},
            "essays_fts_pending": {"description": "Essays waiting to be indexed for search", "hidden": True},
            "essay_sigs": {"description": "MinHash signatures of essays (near-duplicate detection)", "hidden": True},
            "essay_lsh": {"description": "LSH buckets of essays (near-duplicate detection)", "hidden": True},
            "essay_lsh_recent": {"description": "LSH buckets of the essays stored since the last merge into essay_lsh",
                                 "hidden": True},
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
