"""Full-text search over essays that finds Chinese words of two characters and more, and English.

The problem: SQLite's FTS5 tokenizers do not segment Chinese. ``unicode61`` makes one token of a
whole run of Han characters (so 党员 inside 发挥党员先锋模范作用 is never found) and ``trigram``
finds nothing shorter than three characters. Datasette passes the text typed in its search box
to ``MATCH`` (through its ``escape_fts`` SQL function), so the index and the query must be split
the same way.

Options weighed:

* a custom FTS5 tokenizer registered on each connection (sqlitefts, ICU, a CJK extension): the
  index becomes unreadable and *unwritable* for every connection that lacks it (``sqlite3``,
  ``sqlite-utils``, a plain ``datasette``, another module's connection: "no such tokenizer"),
  and sqlitefts reaches into CPython's connection struct through cffi. Too brittle.
* jieba segmentation into a shadow column: the query is segmented differently from the
  indexed text (先锋模范 indexed as 先锋 / 模范, or 党员 inside 老党员), so recall is below 100%.
* ``trigram``: misses every two-character query.

The choice: a shadow FTS5 table over *character bigrams*, with the built-in tokenizer.
:func:`index_text` rewrites every run of CJK characters as its overlapping bigrams separated by
spaces (发挥党员 -> "发挥 挥党 党员"; a lone character stays as it is), leaves other text alone,
and ``essays_fts`` (``porter unicode61 remove_diacritics 2``, a built-in tokenizer that every
SQLite reads) indexes that. :func:`to_match` applies the same rewrite to a query and quotes each
term as an FTS5 phrase, so 先锋模范 becomes the phrase "先锋 锋模 模范": consecutive bigrams,
which is exactly "the text contains 先锋模范". Quoting also makes FTS syntax characters, quotes
and keywords plain text. Datasette gets the same function: the plugin in
:mod:`pipeline.datasette_plugin` replaces datasette's ``escape_fts`` SQL function with
:func:`to_match` on each connection, so its search box and ``?_search=`` find 先锋模范 as typed,
and the box still shows what the user typed. Even without the plugin, a two-character query
matches, since a bigram token equals the query token.

``essays_fts`` is contentless (``content=''``): it keeps only the index, not a second, bigram-
spelled copy of every text, which would more than double the database (it answers MATCH, rowid
and bm25, all that search and datasette ask of it).

Keeping the index in sync needs no Python function inside SQLite (which would break every writer
without it): plain SQL triggers on ``essays`` queue each insert, update and delete in
``essays_fts_pending``, with the title and text the index holds for the row, which a contentless
index needs to forget them; :func:`sync` applies the queue and is called by ``store.save_result``
inside the same transaction (import, crawl, reprocess), and ``pipeline index`` rebuilds the index
for rows written by anything else. Until then a deleted essay's rowid may still match, but
every query joins on ``essays`` (datasette's ``rowid in (...)`` too), so it is never shown.

The index is keyed on the essays' rowid, which is the explicit ``num INTEGER PRIMARY KEY`` column
of ``essays`` (migration 2): SQLite keeps such a key through ``VACUUM``, unlike the implicit rowid of
a table with a text primary key.

Traditional and simplified Chinese are found alike: :func:`fold` maps every traditional character
to its simplified form (OpenCC's ``t2s`` character table, applied one character at a time so that a
text keeps its length) in the index and in the query, so 黨員 finds 党员 and 党员 finds 黨員.

The index keeps no text (``content=''``), so a snippet is cut from the essay's own text:
:func:`snippet` finds the query's words in the text folded the same way, character for character,
and returns the window around the first one with the offsets of every word found in it.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlite_utils

from pipeline.errors import ConfigError, StoreError
from pipeline.text import fold as folding
from pipeline.text.fold import CJK_CHAR, CJK_RUN
from pipeline.text.fold import fold as fold  # re-exported: what the index and queries see
from pipeline.text.fold import split_marked as split_marked  # re-exported: highlight pieces

VERSION = 3  # bump when index_text changes (3: traditional folded to simplified): the index is rebuilt
FTS = "essays_fts"
PENDING = "essays_fts_pending"
TOKENIZER = "porter unicode61 remove_diacritics 2"
MAX_QUERY_CHARS = 500  # longer queries are cut here (an FTS expression has a depth limit)
MAX_TERMS = 32
TITLE_WEIGHT = 5.0
SPARE_ROWS = 16
AUTOMERGE = 16  # segments of one size merged at a time (see tune)

_CJK_RUN = CJK_RUN
_CJK_CHAR = CJK_CHAR
_TERMS = re.compile(r'\s+|(".*?")')
SNIPPET_CHARS = 80


class QueryError(ConfigError):
    """A search query with nothing to search for."""


class SearchFailed(StoreError):
    """SQLite could not run a search (a locked or damaged database)."""


@dataclass(frozen=True)
class Hit:
    """One essay found by a search."""

    id: str
    title: str
    page_url: str
    position: int
    site: str
    category: str
    published: str
    duplicate_of: str
    snippet: str
    highlights: tuple[tuple[int, int], ...] = field(default=())  # (start, end) of each word found, in snippet
    num: int = 0  # essays.num, the essay's integer key (its datasette row)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def pieces(self) -> list[tuple[str, bool]]:
        """The snippet as (text, is a word found) pieces, for rendering the highlights."""
        return split_marked(self.snippet, self.highlights)


def _grams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(map(str.__add__, run[:-1], run[1:]))  # each character with the next (faster than slicing)


def index_text(text: str) -> str:
    """The text as it is indexed: folded (:func:`fold`), each run of CJK characters as overlapping bigrams."""
    text = fold(text)
    return _CJK_RUN.sub(lambda m: " " + _grams(m.group()) + " ", text)


def split_terms(query: str) -> list[str]:
    """Split a query the way datasette does: on whitespace, keeping "quoted phrases" together."""
    if query.count('"') % 2:
        query += '"'
    terms = []
    for bit in _TERMS.split(query):
        if not bit:
            continue
        if bit.startswith('"') and bit.endswith('"') and len(bit) >= 2:
            bit = bit[1:-1]
        if bit.strip():
            terms.append(bit.strip())
    return terms


def _printable(text: str) -> str:
    """Control and format characters (NUL ends an FTS5 string early) become spaces."""
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def searchable(term: str) -> bool:
    return any(ch.isalnum() for ch in term)


def _ends_with_lone_cjk(term: str) -> bool:
    """The term's last token is a single CJK character (党, 入党的 党, 2022年): matched as a prefix."""
    end = len(term)
    while end and not term[end - 1].isalnum():
        end -= 1
    runs = list(_CJK_RUN.finditer(term, 0, end))
    return bool(runs) and runs[-1].end() == end and len(runs[-1].group()) == 1


def to_match(query: str) -> str:
    """An FTS5 MATCH expression for what a user typed: every term a quoted phrase, all required.

    Never raises and never returns invalid FTS syntax; a query with nothing searchable (only
    punctuation or emoji) gives ``'""'``, which matches nothing. A term ending in a lone CJK
    character matches it as a prefix (党 finds 党员).
    """
    query = _printable(fold(str(query or ""))[:MAX_QUERY_CHARS])
    phrases = []
    for term in split_terms(query):
        if not searchable(term):
            continue
        phrase = '"' + index_text(term).strip().replace('"', '""') + '"'
        if _ends_with_lone_cjk(term):
            phrase += "*"
        phrases.append(phrase)
        if len(phrases) == MAX_TERMS:
            break
    return " ".join(phrases) if phrases else '""'


# --- the index -------------------------------------------------------------------------------


def _triggers() -> dict[str, str]:
    """Plain SQL: queue every change with the values the index holds for the row (if it holds any).

    Invariant: every essay is either indexed with its current title and text, or queued. A queued
    row with ``indexed = 1`` carries the title and text that were indexed, which the contentless
    index needs to remove them; a later change to a queued row keeps the first entry.
    """
    v = f"{FTS}_v{VERSION}"
    queue_old = (f"INSERT OR IGNORE INTO [{PENDING}](rowid, indexed, old_title, old_text) "
                 "VALUES (old.rowid, 1, old.title, old.text)")
    return {
        f"{v}_ai": f"CREATE TRIGGER IF NOT EXISTS [{v}_ai] AFTER INSERT ON essays BEGIN "
                   f"INSERT OR IGNORE INTO [{PENDING}](rowid, indexed) VALUES (new.rowid, 0); END",
        f"{v}_au": f"CREATE TRIGGER IF NOT EXISTS [{v}_au] AFTER UPDATE OF title, text ON essays "
                   f"WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN {queue_old}; END",
        f"{v}_ad": f"CREATE TRIGGER IF NOT EXISTS [{v}_ad] AFTER DELETE ON essays BEGIN {queue_old}; END",
    }


def install_triggers(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """(Re)create the triggers that queue changes of essays (after the essays table was rebuilt)."""
    for sql in _triggers().values():
        _conn(db).execute(sql)


def _conn(db: sqlite_utils.Database | sqlite3.Connection) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


def fts_ready(db: sqlite_utils.Database | sqlite3.Connection) -> bool:
    names = {r[0] for r in _conn(db).execute("select name from sqlite_master where type in ('table', 'trigger')")}
    return {FTS, PENDING, *_triggers()} <= names


def tune(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """Merge the index's segments AUTOMERGE at a time (FTS5's default is 4). Every commit adds a small
    segment; with 4, each indexed word was rewritten by a merge at every fourth-as-large level, about
    half of all bytes a bulk import wrote. With 16 it is rewritten about half as often, and a query
    reads at most 15 segments per level (measured: no slower on 20,000 essays). Kept in the index's
    own config table; set again whenever the index is created."""
    _conn(db).execute(f"INSERT INTO [{FTS}]([{FTS}], rank) VALUES ('automerge', {AUTOMERGE})")


def ensure_fts(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """Create the index, its queue and triggers when missing (or of an older VERSION), and fill it."""
    conn = _conn(db)
    if fts_ready(conn):
        return
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        if not fts_ready(conn):  # another process may have done it while we waited for the lock
            old = [r[0] for r in conn.execute(
                "select name from sqlite_master where type = 'trigger' and tbl_name = 'essays' and name like ?", [f"{FTS}_v%"])]
            for name in old:
                conn.execute(f"DROP TRIGGER [{name}]")
            conn.execute(f"DROP TABLE IF EXISTS [{FTS}]")
            conn.execute(f"DROP TABLE IF EXISTS [{PENDING}]")
            conn.execute(f"CREATE VIRTUAL TABLE [{FTS}] USING fts5(title, text, content = '', tokenize = '{TOKENIZER}')")
            tune(conn)
            conn.execute(f"CREATE TABLE [{PENDING}] (rowid INTEGER PRIMARY KEY, indexed INTEGER NOT NULL, old_title TEXT, old_text TEXT)")
            for sql in _triggers().values():
                conn.execute(sql)
            conn.execute(f"INSERT INTO [{PENDING}](rowid, indexed) SELECT rowid, 0 FROM essays")
            sync(conn)
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def sync(db: sqlite_utils.Database | sqlite3.Connection, grams: Mapping[str, str] | None = None) -> int:
    """Index the queued essays; returns how many. Commits nothing: call it inside a transaction
    (``store.save_result`` does) or use :func:`catch_up`. `grams`: text -> its :func:`index_text`
    computed elsewhere (by a Dask worker); a text not in it is turned here."""
    conn = _conn(db)
    known = grams or {}

    def indexed(text: str | None) -> str:
        found = known.get(text or "")
        return index_text(text or "") if found is None else found

    rows = conn.execute(
        f"select p.rowid, p.indexed, p.old_title, p.old_text, e.rowid, e.title, e.text "
        f"from [{PENDING}] p left join essays e on e.rowid = p.rowid").fetchall()
    if not rows:
        return 0
    conn.executemany(  # a contentless index forgets a row given exactly the values it indexed
        f"INSERT INTO [{FTS}]([{FTS}], rowid, title, text) VALUES ('delete', ?, ?, ?)",
        [(r[0], indexed(r[2]), indexed(r[3])) for r in rows if r[1]],
    )
    conn.executemany(
        f"INSERT INTO [{FTS}](rowid, title, text) VALUES (?, ?, ?)",
        [(r[0], indexed(r[5]), indexed(r[6])) for r in rows if r[4] is not None],
    )
    conn.executemany(f"DELETE FROM [{PENDING}] WHERE rowid = ?", [(r[0],) for r in rows])
    return len(rows)


def catch_up(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Index essays written by anything that did not call :func:`sync`, in a transaction of its own."""
    conn = _conn(db)
    if conn.execute(f"select 1 from [{PENDING}] limit 1").fetchone() is None:
        return 0
    with conn:
        return sync(conn)


def rebuild(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Re-index every essay (after a VACUUM renumbered rowids, or to drop stale rows)."""
    conn = _conn(db)
    with conn:
        conn.execute(f"INSERT INTO [{FTS}]([{FTS}]) VALUES ('delete-all')")
        conn.execute(f"DELETE FROM [{PENDING}]")
        conn.execute(f"INSERT INTO [{PENDING}](rowid, indexed) SELECT rowid, 0 FROM essays")
        return sync(conn)


# --- querying --------------------------------------------------------------------------------


def query_words(query: str) -> list[str]:
    """The words of a query as they are looked for in a text (see :func:`pipeline.text.fold.find_spans`)."""
    return folding.words_of(split_terms(query[:MAX_QUERY_CHARS]))


def find_words(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) of every place the query's words occur in the text, traditional or simplified, any case."""
    return folding.find_spans(text, query_words(query))


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About `width` characters of the text around the first word of the query, and where its words are in it."""
    return folding.snippet(text, query_words(query), width)


def search(db: sqlite_utils.Database | sqlite3.Connection, query: str, limit: int = 20) -> list[Hit]:
    """Essays matching every term of the query, best first (BM25, title weighted).

    Raises QueryError when the query has no letters or digits to search for.
    """
    match = to_match(query)
    if match == '""':
        raise QueryError(f"nothing to search for in {query[:40]!r}: type words of letters, digits or Chinese characters")
    # rank inside the index first, then read only the best rows (joining every match costs 3x on common words);
    # a few spare rowids cover deleted essays the index has not heard of yet
    sql = (
        f"with best as (select rowid, bm25([{FTS}], {TITLE_WEIGHT}, 1.0) as score from [{FTS}] "
        f"where [{FTS}] match :match order by score, rowid limit :limit + {SPARE_ROWS}) "
        "select e.id, e.title, e.page_url, e.position, e.site, e.category, e.published, e.duplicate_of, e.text, e.rowid "
        "from best join essays e on e.rowid = best.rowid order by best.score, best.rowid limit :limit"
    )
    try:
        rows = _conn(db).execute(sql, {"match": match, "limit": max(0, int(limit))}).fetchall()
    except sqlite3.OperationalError as exc:
        raise SearchFailed(f"search for {query[:40]!r} failed: {exc}") from None
    hits = []
    for r in rows:
        text, marks = snippet(r[8] or "", query)
        hits.append(Hit(id=r[0], title=r[1] or "", page_url=r[2] or "", position=r[3] or 0, site=r[4] or "",
                        category=r[5] or "", published=r[6] or "", duplicate_of=r[7] or "", snippet=text, highlights=marks,
                        num=r[9]))
    return hits


def count(db: sqlite_utils.Database | sqlite3.Connection, query: str) -> int:
    """How many essays match the query (0 when it has nothing to search for)."""
    match = to_match(query)
    if match == '""':
        return 0
    sql = f"select count(*) from [{FTS}] f join essays e on e.rowid = f.rowid where [{FTS}] match ?"
    try:
        return int(_conn(db).execute(sql, [match]).fetchone()[0])
    except sqlite3.OperationalError as exc:
        raise SearchFailed(f"search for {query[:40]!r} failed: {exc}") from None
