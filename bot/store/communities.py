"""Which conference(s) a community (a Discord server, a Slack workspace) is about.

`/conference use SLUG…` stores them with `set_conferences`; every command of that community
reads them back with `conferences_of` (cached by bot.commands.scope) to default to them when
no `--conference` is given, and its daily wisdom quotes them (`community_pool`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database


async def set_conferences(
    db: Database, frontend: str, community: str, slugs: Sequence[str]
) -> None:
    """The community is about `slugs` (in this order) from now on; none clears it."""
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


async def conferences_of(db: Database, frontend: str, community: str) -> list[str]:
    """The conferences the community said it is about, in the order named; [] for none."""
    if not community:
        return []
    rows = await db.fetch_all(
        "SELECT conference_slug FROM community_conferences "
        "WHERE frontend = ? AND community = ? ORDER BY position",
        (frontend, community),
    )
    return [str(row[0]) for row in rows]


async def community_pool(
    db: Database, frontend: str, community: str, pool: Sequence[str]
) -> Sequence[str]:
    """The nuggets of `pool` (keys) a daily post in this community quotes: those of the
    conferences it is about, when it said (/conference use) and one of them is loaded; else
    all of `pool`. Daily wisdom subscriptions have no conference of their own, so this is
    the one place their conference default is decided."""
    rows = await db.fetch_all(
        "SELECT c.id FROM community_conferences cc JOIN conferences c "
        "ON c.slug = cc.conference_slug WHERE cc.frontend = ? AND cc.community = ?",
        (frontend, community),
    )
    if not community or not rows:
        return pool
    marks = ",".join("?" * len(rows))
    keys = await db.fetch_all(
        f"SELECT n.key FROM nuggets n JOIN talks t ON t.id = n.talk_id "
        f"WHERE t.conference_id IN ({marks})",
        [row[0] for row in rows],
    )
    quoted = {str(row[0]) for row in keys}
    return [key for key in pool if key in quoted]


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
