"""Which conference(s) a community (a Discord server, a Slack workspace) is about.

`/conference use SLUG…` stores them with `set_conferences`; every command of that community
reads them back with `conferences_of` to default to them when no `--conference` is given.
That read is kept in memory for CACHE_SECONDS per open database (it was a round trip on
every Discord and Slack command); `set_conferences` forgets it at once, and a change made
by another process (`confbot ask "/conference use ..."`) shows within those seconds.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database

CACHE_SECONDS = 2.0

# (frontend, community) -> (when read, its conferences), per open database.
_Read = dict[tuple[str, str], tuple[float, tuple[str, ...]]]
_read: weakref.WeakKeyDictionary[Database, _Read] = weakref.WeakKeyDictionary()


async def set_conferences(
    db: Database, frontend: str, community: str, slugs: Sequence[str]
) -> None:
    """The community is about `slugs` (in this order) from now on; none clears it."""
    try:
        async with db.transaction():
            await db.execute(
                "DELETE FROM community_conferences WHERE frontend = ? AND community = ?",
                (frontend, community),
            )
            await db.execute_many(
                "INSERT OR IGNORE INTO community_conferences"
                "(frontend, community, conference_slug, position) VALUES (?, ?, ?, ?)",
                [(frontend, community, slug, n) for n, slug in enumerate(slugs)],
            )
    finally:
        _read.get(db, {}).pop((frontend, community), None)


async def conferences_of(db: Database, frontend: str, community: str) -> list[str]:
    """The conferences the community said it is about, in the order named; [] for none."""
    if not community:
        return []
    read = _read.setdefault(db, {})
    now = time.monotonic()
    known = read.get((frontend, community))
    if known is not None and now - known[0] < CACHE_SECONDS:
        return list(known[1])
    rows = await db.fetch_all(
        "SELECT conference_slug FROM community_conferences "
        "WHERE frontend = ? AND community = ? ORDER BY position",
        (frontend, community),
    )
    slugs = tuple(str(row[0]) for row in rows)
    read[(frontend, community)] = (now, slugs)
    return list(slugs)


@dataclass(frozen=True)
class ListedConference:
    """One loaded conference for /conference list: its dates are its talks' (None untimed)."""

    slug: str
    name: str
    year: int | None
    first_start: datetime | None
    last_end: datetime | None
    timezone: str | None


async def listed_conferences(db: Database) -> list[ListedConference]:
    """Every loaded conference with the span of its timed talks, by slug."""
    rows = await db.fetch_all(
        "SELECT c.slug, c.name, c.year, c.timezone, min(t.starts_utc), "
        "max(coalesce(t.ends_utc, t.starts_utc)) FROM conferences c "
        "LEFT JOIN talks t ON t.conference_id = c.id GROUP BY c.id ORDER BY c.slug"
    )
    return [
        ListedConference(
            slug=str(row[0]),
            name=str(row[1]),
            year=int(row[2]) if row[2] is not None else None,
            timezone=str(row[3]) if row[3] else None,
            first_start=_moment(row[4]),
            last_end=_moment(row[5]),
        )
        for row in rows
    ]


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
