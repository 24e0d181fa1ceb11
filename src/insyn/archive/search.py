"""Full-text search over the archive with Swedish stemming.

Two backends behind one interface, chosen by the database vendor:

- SQLite (embedded): an FTS5 table ``archive_search`` whose rowid is the item id. FTS5 has
  no Swedish stemmer, so text is stemmed in Python with the Snowball Swedish stemmer both
  when indexing and when querying; "snöröjningen" and "snöröjning" meet as "snöröjning".
- PostgreSQL: ``archive_search_pg`` with a ``tsvector`` and a GIN index. The text is stemmed
  in Python with the same Snowball stemmer and rules as on SQLite and stored with the
  ``simple`` configuration, so both databases find exactly the same items. (PostgreSQL's
  built-in ``swedish`` configuration uses an older Snowball that leaves "badhuset" and
  "skolan" unstemmed.)

The index tables are created by migration 0002 for the vendor at hand and are derived data.

Date filters on SQLite: each document also carries a month token (``zzm202611``). A query
with a date window ANDs the window's months (OR-ed) into the MATCH, so FTS5 intersects the
doclists itself instead of handing every match of a common word to a join; the exact
bounds are then checked on the items. PostgreSQL combines the GIN index with the date
index on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import snowballstemmer
from django.db import connection

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_INDEXED_CHARS = 200_000


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("swedish")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # Snowball's Swedish stemmer leaves the definite "-an" of "-a" nouns alone ("skolan",
    # "gatan", "ansökan"), so "skola" and "skolan" would never meet. Dropping the "n" first
    # sends both to the same stem; the same function runs on the text and on the query.
    if len(word) >= 5 and word.endswith("an"):
        word = word[:-1]
    return _stemmer().stemWord(word)


def stem_text(text: str) -> str:
    words = _WORD.findall(text[:_MAX_INDEXED_CHARS].casefold())
    # The same "-an" rule as in _stem; the stemmer (C, with its own cache) takes the list.
    words = [w[:-1] if len(w) >= 5 and w.endswith("an") else w for w in words]
    return " ".join(_stemmer().stemWords(words))


def _month_token(when: datetime) -> str:
    return f"zzm{when.year:04d}{when.month:02d}"


def _months(since: datetime, until: datetime) -> list[str]:
    year, month, tokens = since.year, since.month, []
    while (year, month) <= (until.year, until.month):
        tokens.append(f"zzm{year:04d}{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tokens


# Windows longer than this many months are filtered on the items only.
_MAX_MONTH_TOKENS = 36


def _fts_query(query: str, since: datetime | None = None, until: datetime | None = None) -> str:
    # Every word must match (AND); words are quoted so FTS5 syntax in user input is inert.
    terms = [_stem(w) for w in _WORD.findall(query.casefold())][:12]
    match = " ".join(f'"{t}"' for t in terms if t)
    if match and since is not None and until is not None:
        months = _months(since.astimezone(UTC), until.astimezone(UTC))
        if months and len(months) <= _MAX_MONTH_TOKENS:
            match += " AND (" + " OR ".join(months) + ")"
    return match


def create_index_tables(conn) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS archive_search USING fts5("
                "body, tokenize = 'unicode61 remove_diacritics 0')"
            )
        elif conn.vendor == "postgresql":
            cursor.execute(
                # Derived data: no foreign key (it would block TRUNCATE); gallring unindexes.
                "CREATE TABLE IF NOT EXISTS archive_search_pg (item_id bigint PRIMARY KEY, vector tsvector NOT NULL)"
            )
            cursor.execute("CREATE INDEX IF NOT EXISTS archive_search_pg_vector ON archive_search_pg USING gin(vector)")


def drop_index_tables(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS archive_search" if conn.vendor == "sqlite" else "DROP TABLE IF EXISTS archive_search_pg")


def index_items(rows: Iterable[tuple[int, str, datetime | None]], *, new: bool = False) -> None:
    """(Re)index items: ``rows`` are (item id, all text to index: versions and author, the
    item's time for date filters). ``new``: none of them is in the index yet."""
    rows = list(rows)
    if not rows:
        return
    ids = [] if new else [r[0] for r in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                cursor.execute(f"DELETE FROM archive_search WHERE rowid IN ({','.join('%s' for _ in chunk)})", chunk)
            cursor.executemany("INSERT INTO archive_search(rowid, body) VALUES (%s, %s)",
                               [(item_id, stem_text(text) + (" " + _month_token(when.astimezone(UTC)) if when else ""))
                                for item_id, text, when in rows])
        else:
            cursor.executemany(
                "INSERT INTO archive_search_pg(item_id, vector) VALUES (%s, to_tsvector('simple', %s)) "
                "ON CONFLICT (item_id) DO UPDATE SET vector = EXCLUDED.vector",
                [(item_id, stem_text(text)) for item_id, text, _when in rows],
            )


def unindex_items(ids: Iterable[int]) -> None:
    ids = list(ids)
    if not ids:
        return
    table, column = ("archive_search", "rowid") if connection.vendor == "sqlite" else ("archive_search_pg", "item_id")
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({','.join('%s' for _ in chunk)})", chunk)


@dataclass
class Hit:
    item_id: int
    rank: float


def search_ids(
    query: str, *, account_ids: list[int] | None = None, since: datetime | None = None,
    until: datetime | None = None, order: str = "relevance", limit: int = 50, offset: int = 0,
    extra_where: str = "", extra_params: list | None = None,
) -> list[Hit]:
    """Item ids matching every word of ``query``, filtered, ranked by relevance or date."""
    where, params = [], []
    if account_ids is not None:
        if not account_ids:
            return []
        where.append(f"i.account_id IN ({','.join('%s' for _ in account_ids)})")
        params += account_ids
    if since is not None:
        where.append("COALESCE(i.created_at, i.inkommen_at) >= %s")
        params.append(since)
    if until is not None:
        where.append("COALESCE(i.created_at, i.inkommen_at) < %s")
        params.append(until)
    if extra_where:
        where.append(extra_where)
        params += extra_params or []
    filters = "".join(f" AND {w}" for w in where)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            match = _fts_query(query, since, until)
            if not match:
                return []
            order_sql = "s.rank" if order == "relevance" else "COALESCE(i.created_at, i.inkommen_at) DESC"
            cursor.execute(
                f"SELECT i.id, s.rank FROM archive_search s JOIN archive_item i ON i.id = s.rowid "
                f"WHERE archive_search MATCH %s{filters} ORDER BY {order_sql} LIMIT %s OFFSET %s",
                [match, *params, limit, offset],
            )
            return [Hit(row[0], -row[1]) for row in cursor.fetchall()]
        order_sql = "rank DESC" if order == "relevance" else "COALESCE(i.created_at, i.inkommen_at) DESC"
        terms = [_stem(w) for w in _WORD.findall(query.casefold())][:12]
        if not terms:
            return []
        cursor.execute(
            f"SELECT i.id, ts_rank(s.vector, q) AS rank FROM archive_search_pg s "
            f"JOIN archive_item i ON i.id = s.item_id, plainto_tsquery('simple', %s) q "
            f"WHERE s.vector @@ q{filters} ORDER BY {order_sql} LIMIT %s OFFSET %s",
            [" ".join(terms), *params, limit, offset],
        )
        return [Hit(row[0], row[1]) for row in cursor.fetchall()]
