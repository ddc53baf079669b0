"""The LSH band keys of the essays' MinHash signatures, in two levels so that writing them stays cheap.

A band key is a random 64-bit hash, so the keys of a batch of new essays land on leaf pages all
over a B-tree keyed on them: with one big tree, every commit dirtied nearly every leaf of it (each
written to the WAL and again at the checkpoint), and the bytes written per byte stored grew with
the database. So (migration 8):

* `essay_lsh` (bkey, essay_id): the settled keys, a WITHOUT ROWID table whose primary key is the
  lookup key (one B-tree: no rowid table beside it, no index on `essay_id`);
* `essay_lsh_recent` (seq, bkey, essay_id): the keys written since the last merge, appended in
  `seq` order with no index, so a commit writes only the pages it adds. They are looked up through
  a map {bkey: seq} that each connection keeps (`Recent`), read from the table at
  the first lookup and then only the rows appended since; any sign that rows it read went away (a
  rollback, a merge, another connection's writes) makes it read the table again. A lookup
  re-reads the rows the map names from the table, so the answer is the table's.

When the recent table passes RECENT_ROWS at a commit (`store.batch` calls `settle`), its rows are
merged into `essay_lsh` in key order and deleted, inside the transaction being committed: a kill -9
at any moment leaves the rows either before the merge or after it. Which table holds a key never
changes a lookup's answer, so the duplicate decisions are those of one table.

An essay's keys are found from its stored signature (`essay_sigs`), so removing them needs no
index on `essay_id`: `forget` deletes by primary key (and by `seq` in the recent table).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

MAIN = "essay_lsh"
RECENT = "essay_lsh_recent"
# rows the recent table holds at most at a commit (16 per essay: about 4,000 essays); PIPELINE_LSH_RECENT_ROWS overrides
RECENT_ROWS = int(os.environ.get("PIPELINE_LSH_RECENT_ROWS") or 65536)
MAX_SEQS = 512  # recent rows named in one lookup at most (beyond: the recent table is scanned for the keys)

_MAIN_TABLE = (f"CREATE TABLE IF NOT EXISTS [{MAIN}] ([bkey] INTEGER NOT NULL, [essay_id] TEXT NOT NULL, "
               "PRIMARY KEY ([bkey], [essay_id])) WITHOUT ROWID")
_RECENT_TABLE = (f"CREATE TABLE IF NOT EXISTS [{RECENT}] ([seq] INTEGER PRIMARY KEY, [bkey] INTEGER NOT NULL, "
                 "[essay_id] TEXT NOT NULL)")


@dataclass
class Recent:
    """A connection's map of the recent table: bkey -> the `seq` of its first row (`first`) and of any
    others (`more`: keys that near copies share), read up to row `high` (whose key and essay were `tail`).
    Plain ints, about 5 MB for RECENT_ROWS rows."""

    first: dict[int, int] = field(default_factory=dict)
    more: dict[int, list[int]] = field(default_factory=dict)
    high: int = 0
    tail: tuple[int, str] | None = None

    def add(self, rows: list[tuple[int, int, str]]) -> None:
        first, more = self.first, self.more
        for seq, bkey, _ in rows:
            if first.setdefault(bkey, seq) != seq:
                more.setdefault(bkey, []).append(seq)
        if rows:
            self.high, self.tail = rows[-1][0], (rows[-1][1], rows[-1][2])

    def clear(self) -> None:
        self.first.clear()
        self.more.clear()
        self.high, self.tail = 0, None

    def seqs(self, keys: Sequence[int]) -> list[int]:
        """The rows (seq) that had one of these band keys when they were read."""
        out = []
        for k in keys:
            seq = self.first.get(k)
            if seq is not None:
                out.append(seq)
                out.extend(self.more.get(k, ()))
        return out


def _recent(conn: sqlite3.Connection) -> Recent:
    """The connection's map, brought up to date with the table."""
    state: Recent | None = getattr(conn, "lsh_recent", None)
    if state is None:
        state = Recent()
        try:
            setattr(conn, "lsh_recent", state)  # noqa: B010  # store.open_db's connections take attributes
        except AttributeError:  # a plain sqlite3 connection: a map for this call only
            pass
    last = conn.execute(f"select seq, bkey, essay_id from [{RECENT}] order by seq desc limit 1").fetchone()
    if state.high:
        at_high = last if last is not None and last[0] == state.high else \
            conn.execute(f"select seq, bkey, essay_id from [{RECENT}] where seq = ?", [state.high]).fetchone()
        if last is None or last[0] < state.high or at_high is None or (at_high[1], at_high[2]) != state.tail:
            state.clear()  # rows it read went away or changed: read the table again
    if last is not None and last[0] > state.high:
        state.add(conn.execute(f"select seq, bkey, essay_id from [{RECENT}] where seq > ? order by seq",
                               [state.high]).fetchall())
    return state


def is_two_level(conn: sqlite3.Connection) -> bool:
    """True when the database has the two-level layout (migration 8 done)."""
    row = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [MAIN]).fetchone()
    recent = conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [RECENT]).fetchone()
    return bool(row and recent and "WITHOUT ROWID" in row[0].upper())


def create(conn: sqlite3.Connection) -> None:
    """Migration 8: `essay_lsh` rebuilt as a WITHOUT ROWID table keyed (bkey, essay_id), its rows copied
    in key order, and `essay_lsh_recent` created. One transaction; does nothing when done already."""
    if is_two_level(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [MAIN]).fetchone()
        if old is not None and "WITHOUT ROWID" not in old[0].upper():
            conn.execute(_MAIN_TABLE.replace(f"[{MAIN}]", f"[{MAIN}_v8]"))
            conn.execute(f"INSERT OR IGNORE INTO [{MAIN}_v8] (bkey, essay_id) SELECT bkey, essay_id FROM [{MAIN}] "
                         "WHERE bkey IS NOT NULL AND essay_id IS NOT NULL ORDER BY bkey, essay_id")
            conn.execute(f"DROP TABLE [{MAIN}]")  # its indexes on bkey and essay_id go with it
            conn.execute(f"ALTER TABLE [{MAIN}_v8] RENAME TO [{MAIN}]")
        else:
            conn.execute(_MAIN_TABLE)
        conn.execute(_RECENT_TABLE)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def candidates(conn: sqlite3.Connection, keys: Sequence[int], page_url: str, before: int) -> list[tuple[str, int, bytes]]:
    """(id, rowid, signature) of the essays that share a band key with `keys`, of pages other than
    `page_url` and stored before rowid `before`, in rowid order."""
    seqs = _recent(conn).seqs(keys)
    marks = ",".join("?" * len(keys))
    source = f"select essay_id from [{MAIN}] where bkey in ({marks})"
    recent: list[int] = []
    if len(seqs) > MAX_SEQS:  # keys that many copies share: the table read through (a few ms), not SQL variables
        source += f" union all select essay_id from [{RECENT}] where bkey in ({marks})"
        recent = list(keys)
    elif seqs:
        source += f" union all select essay_id from [{RECENT}] where seq in ({','.join('?' * len(seqs))})"
        recent = seqs
    return conn.execute(
        f"select distinct e.id, e.rowid, s.sig from ({source}) l join essays e on e.id = l.essay_id "
        f"join essay_sigs s on s.essay_id = e.id where e.page_url != ? and e.rowid < ? order by e.rowid",
        [*keys, *recent, page_url, before],
    ).fetchall()


def put(conn: sqlite3.Connection, essay_id: str, keys: Sequence[int]) -> None:
    """Store an essay's band keys (appended to the recent level)."""
    _recent(conn)  # first: the map sees a rollback before new rows take the rowids it knew
    conn.executemany(f"INSERT INTO [{RECENT}] (bkey, essay_id) VALUES (?, ?)", [(k, essay_id) for k in keys])


def forget(conn: sqlite3.Connection, essay_id: str, keys: Sequence[int]) -> None:
    """Remove an essay's band keys (those of its stored signature) from both levels."""
    marks = ",".join("?" * len(keys))
    conn.execute(f"DELETE FROM [{MAIN}] WHERE bkey IN ({marks}) AND essay_id = ?", [*keys, essay_id])
    seqs = _recent(conn).seqs(keys)  # this essay's rows among them: the essay_id decides
    if len(seqs) > MAX_SEQS:
        conn.execute(f"DELETE FROM [{RECENT}] WHERE bkey IN ({marks}) AND essay_id = ?", [*keys, essay_id])
    elif seqs:
        conn.execute(f"DELETE FROM [{RECENT}] WHERE seq IN ({','.join('?' * len(seqs))}) AND essay_id = ?", [*seqs, essay_id])


def merge(conn: sqlite3.Connection) -> int:
    """Move the recent keys into `essay_lsh`, in key order; returns how many. Call it inside a transaction."""
    moved = conn.execute(f"INSERT OR IGNORE INTO [{MAIN}] (bkey, essay_id) SELECT bkey, essay_id FROM [{RECENT}] "
                         "ORDER BY bkey, essay_id").rowcount
    conn.execute(f"DELETE FROM [{RECENT}]")
    return int(moved)


def settle(conn: sqlite3.Connection, limit: int | None = None) -> int:
    """Merge when the recent level holds more than `limit` rows (RECENT_ROWS); returns the rows moved.
    Inside the transaction about to be committed (`store.batch`)."""
    limit = RECENT_ROWS if limit is None else limit
    if not conn.in_transaction or not is_two_level(conn):
        return 0
    span = conn.execute(f"select max(seq) - min(seq) + 1 from [{RECENT}]").fetchone()[0]  # rows at most: two seeks
    return merge(conn) if span is not None and int(span) > limit else 0
