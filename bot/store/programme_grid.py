"""The talks of one programme day with only what a grid shows (title, times, room,
speakers), for the web console's programme pages: a 1,000-event day is read in one statement
without the summaries, descriptions and links that `bot.store.programme.day_talks` carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Database


@dataclass(frozen=True)
class DayTalk:
    conference_slug: str
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    room: str | None
    speakers: tuple[str, ...]


async def grid_talks(
    db: Database,
    *,
    conference: str,
    day: str,
    starts_after: str,
    starts_before: str,
    limit: int,
) -> list[DayTalk]:
    """As `day_talks`: the talks filed under `day` (ISO date), and those with no schedule day
    starting in [starts_after, starts_before) (UTC text bounds), in start order."""
    rows = await db.fetch_all(
        "SELECT t.slug, t.title, t.starts_at, t.ends_at, t.room, "
        "(SELECT group_concat(s.name, char(31)) FROM (SELECT s.name FROM talk_speakers ts "
        "JOIN speakers s ON s.id = ts.speaker_id WHERE ts.talk_id = t.id "
        "ORDER BY ts.position) s) "
        "FROM talks t WHERE t.conference_id = (SELECT id FROM conferences WHERE slug = ?1) "
        "AND t.starts_utc IS NOT NULL AND (t.schedule_day = ?2 OR "
        "(t.schedule_day IS NULL AND t.starts_utc >= ?3 AND t.starts_utc < ?4)) "
        "ORDER BY t.starts_utc, t.room, t.id LIMIT ?5",
        (conference, day, starts_after, starts_before, limit),
    )
    parse = datetime.fromisoformat
    return [
        DayTalk(
            conference,
            row[0],
            row[1],
            parse(row[2]),
            parse(row[3]) if row[3] else None,
            row[4],
            tuple(row[5].split("\x1f")) if row[5] else (),
        )
        for row in rows
    ]
