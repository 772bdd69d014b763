"""Name lookups that must not read every talk: a cold `confbot ask` on a database of 100,000
talks answers a slug from the index on talks(slug) instead of loading all titles first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.records import SLUG_PATTERN
from bot.store.catalog import in_scope, scope_json
from bot.store.db import Database


async def talk_ids_by_ref(db: Database, ref: str, conferences: Sequence[str] = ()) -> list[int]:
    """Talks whose slug, or 'conference/slug', is `ref` (lowercased), in id order (of
    `conferences`, when any are named)."""
    conference_slug, _, talk_slug = ref.rpartition("/")
    if not SLUG_PATTERN.match(talk_slug) or (conference_slug and "/" in conference_slug):
        return []  # not a slug: no query needed (and no odd text sent to SQLite)
    rows = await db.fetch_all(
        "SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
        f"WHERE t.slug = ?1 AND (?2 = '' OR c.slug = ?2) AND {in_scope('?3')} "
        "ORDER BY t.id",
        (talk_slug, conference_slug, scope_json(conferences)),
    )
    return [int(row[0]) for row in rows]


async def talk_slugs(db: Database) -> list[str]:
    """Every talk's slug (once each), for a lookup that keeps them in memory."""
    rows = await db.fetch_all("SELECT DISTINCT slug FROM talks", own_budget=True)
    return [str(row[0]) for row in rows]


async def conference_slugs(db: Database) -> list[str]:
    """Every loaded conference's slug, sorted."""
    rows = await db.fetch_all("SELECT slug FROM conferences ORDER BY slug")
    return [str(row[0]) for row in rows]
