"""Keyword search over the stored documents.

On SQLite, the FTS5 index ``documents_fts`` (migration 0003, kept by triggers). The user's words are
never FTS or SQL syntax: each word becomes one quoted FTS string (its quotes doubled) and the query goes to
the database as a bound parameter, so ``'; DROP TABLE`` or ``NEAR(a b)`` are searched as words. On
PostgreSQL, its full-text search in the French configuration (stems: "vélos" finds "vélo"), accents folded
(``translate``: "velo" finds "vélo"), over the generated column of migration 0005 and its index; the
words go through ``plainto_tsquery``, which reads no operators. Either way the best hits are ranked among
the most recent matches only (``RANKED``), so a frequent word costs no more than a rare one.

>>> fts_query('vélo "cargo" OR ; -- *')
'"vélo" "cargo" "OR"'
>>> fts_query("   ")
''
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from signals.core.schema import Document, Source

MAX_TERMS = 12
# Ranking reads every match; a frequent word matches a good part of a large store. The best hits are taken
# among the most recent ``RANKED`` matches (documents are numbered as they are collected), which the index
# finds without ranking the rest (200 000 documents, a word in 58 000 of them: 230 ms ranked all, 6 ms so).
RANKED = 1000
_WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)


def fts_query(user_text: str) -> str:
    """An FTS5 match expression of the user's words, each quoted (all must appear)."""
    words = _WORD.findall(user_text)[:MAX_TERMS]
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


@dataclass
class Hit:
    id: int
    title: str
    url: str | None
    published_at: datetime
    territory: str | None
    source: str
    excerpt: str


# PostgreSQL: the documents' accent-folded vectors are a generated column (migration 0005, which folds with
# the same two strings); the query is folded alike, so "velo" finds "vélo" without the unaccent extension.
ACCENTED = "àâäáãåéèêëíìîïóòôöõúùûüýÿçñÀÂÄÁÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÝŸÇÑ"
FOLDED = "aaaaaaeeeeiiiiooooouuuuyycnAAAAAAEEEEIIIIOOOOOUUUUYYCN"
_POSTGRESQL_SEARCH = text(
    "WITH recent AS (SELECT id, search_vector FROM documents "
    "WHERE search_vector @@ plainto_tsquery('french', translate(:q, :accented, :folded)) "
    "ORDER BY id DESC LIMIT :k) "
    "SELECT id FROM recent "
    "ORDER BY ts_rank(search_vector, plainto_tsquery('french', translate(:q, :accented, :folded))) DESC, id DESC "
    "LIMIT :n"
)
_SQLITE_FLOOR = text(
    "SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :k"
)
_SQLITE_SEARCH = text(
    "SELECT rowid FROM documents_fts WHERE documents_fts MATCH :q AND rowid >= :floor ORDER BY rank LIMIT :n"
)


def search_documents(session: Session, user_text: str, limit: int = 50) -> list[Hit]:
    """Documents matching every word of ``user_text``, best first."""
    expression = fts_query(user_text)
    if not expression:
        return []
    if session.get_bind().dialect.name == "sqlite":
        floor = session.scalar(_SQLITE_FLOOR, {"q": expression, "k": RANKED - 1}) or 0
        ids = [
            row[0] for row in session.execute(_SQLITE_SEARCH, {"q": expression, "floor": floor, "n": limit})
        ]
    else:
        words = " ".join(_WORD.findall(user_text)[:MAX_TERMS])
        ids = [
            row[0]
            for row in session.execute(
                _POSTGRESQL_SEARCH,
                {"q": words, "accented": ACCENTED, "folded": FOLDED, "k": RANKED, "n": limit},
            )
        ]
    # the columns a hit shows, its source's name joined (no document objects, no JSON decoded)
    rows = session.execute(
        select(
            Document.id,
            Document.title,
            Document.url,
            Document.published_at,
            Document.territory,
            Source.name,
            Document.text,
        )
        .join(Source, Source.id == Document.source_id)
        .where(Document.id.in_(ids))
    )
    found = {row[0]: row for row in rows}
    return [_hit(*found[i], user_text) for i in ids if i in found]


def _hit(
    document_id: int,
    title: str,
    url: str | None,
    published_at: datetime,
    territory: str | None,
    source: str,
    text: str,
    user_text: str,
    width: int = 220,
) -> Hit:
    words = [w.casefold() for w in _WORD.findall(user_text)]
    body = " ".join(text.split())
    folded = body.casefold()
    at = min((i for i in (folded.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    excerpt = (
        ("…" if start else "") + body[start : start + width] + ("…" if start + width < len(body) else "")
    )
    return Hit(document_id, title, url, published_at, territory, source, excerpt)
