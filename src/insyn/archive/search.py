"""Full-text search over the archive with Swedish stemming.

Two backends behind one interface, chosen by the database vendor:

- SQLite (embedded): an FTS5 table ``archive_search`` whose rowid is the item id. FTS5 has
  no Swedish stemmer, so text is stemmed in Python with the Snowball Swedish stemmer both
  when indexing and when querying; "snöröjningen" and "snöröjning" meet as "snöröjning".
- PostgreSQL: ``archive_search_pg`` with a ``tsvector`` built by ``to_tsvector('swedish', …)``
  and a GIN index; queries use ``plainto_tsquery('swedish', …)``.

The index tables are created by migration 0002 for the vendor at hand and are derived data:
``rebuild_index`` recreates them from the items.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
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
    return _stemmer().stemWord(word)


def stem_text(text: str) -> str:
    return " ".join(_stem(w) for w in _WORD.findall(text[:_MAX_INDEXED_CHARS].casefold()))


def _fts_query(query: str) -> str:
    # Every word must match (AND); words are quoted so FTS5 syntax in user input is inert.
    terms = [_stem(w) for w in _WORD.findall(query.casefold())][:12]
    return " ".join(f'"{t}"' for t in terms if t)


def create_index_tables(conn) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS archive_search USING fts5("
                "body, tokenize = 'unicode61 remove_diacritics 0')"
            )
        elif conn.vendor == "postgresql":
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS archive_search_pg ("
                " item_id bigint PRIMARY KEY REFERENCES archive_item(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
                " vector tsvector NOT NULL)"
            )
            cursor.execute("CREATE INDEX IF NOT EXISTS archive_search_pg_vector ON archive_search_pg USING gin(vector)")


def drop_index_tables(conn) -> None:
    with conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS archive_search" if conn.vendor == "sqlite" else "DROP TABLE IF EXISTS archive_search_pg")


def index_items(rows: Iterable[tuple[int, str]]) -> None:
    """(Re)index items: ``rows`` are (item id, all text to index: versions and author)."""
    rows = list(rows)
    if not rows:
        return
    ids = [r[0] for r in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                cursor.execute(f"DELETE FROM archive_search WHERE rowid IN ({','.join('%s' for _ in chunk)})", chunk)
            cursor.executemany("INSERT INTO archive_search(rowid, body) VALUES (%s, %s)",
                               [(item_id, stem_text(text)) for item_id, text in rows])
        else:
            cursor.executemany(
                "INSERT INTO archive_search_pg(item_id, vector) VALUES (%s, to_tsvector('swedish', %s)) "
                "ON CONFLICT (item_id) DO UPDATE SET vector = EXCLUDED.vector",
                [(item_id, text[:_MAX_INDEXED_CHARS]) for item_id, text in rows],
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
            match = _fts_query(query)
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
        cursor.execute(
            f"SELECT i.id, ts_rank(s.vector, q) AS rank FROM archive_search_pg s "
            f"JOIN archive_item i ON i.id = s.item_id, plainto_tsquery('swedish', %s) q "
            f"WHERE s.vector @@ q{filters} ORDER BY {order_sql} LIMIT %s OFFSET %s",
            [query[:1000], *params, limit, offset],
        )
        return [Hit(row[0], row[1]) for row in cursor.fetchall()]
