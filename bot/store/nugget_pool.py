"""The nugget pool as the web console browses it: a page of nuggets in id order, or those
matching words (FTS5, the user's words quoted by `fts_expression`, never spliced)."""

from __future__ import annotations

from bot.store.catalog import _NUGGET_COLUMNS, _NUGGET_FROM, NuggetView, _nugget
from bot.store.db import Database
from bot.store.search import fts_expression, nugget_ids_matching


async def pool_page(db: Database, words: str = "", limit: int = 50) -> list[NuggetView]:
    """Up to `limit` nuggets: the best matches of `words`, or the first ones by id."""
    if not words.strip():
        rows = await db.fetch_all(
            f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} ORDER BY n.id LIMIT ?", (limit,)
        )
        return [_nugget(row) for row in rows]
    ids = await nugget_ids_matching(db, fts_expression(words, prefix_last=True), limit)
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await db.fetch_all(
        f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} WHERE n.id IN ({marks})", ids
    )
    by_id = {int(row["id"]): _nugget(row) for row in rows}
    return [by_id[nugget_id] for nugget_id in ids if nugget_id in by_id]
