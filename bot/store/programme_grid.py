"""The talks of one programme day with only what a grid shows (title, times, room,
speakers), for the web console's programme pages.

A 1,000-event day is read in two indexed statements (the talks by schedule day, then their
speakers in one sorted pass) without the summaries, descriptions and links that
`bot.store.programme.day_talks` carries; a speaker subquery per talk cost three times as
much CPU.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import NamedTuple

from bot.store.db import Database

# The day's talks: those the export filed under the day, and those with no schedule day that
# start within its bounds. ?1 conference slug, ?2 ISO day, ?3 and ?4 UTC text bounds.
_DAY = (
    "SELECT id FROM talks WHERE conference_id = (SELECT id FROM conferences WHERE slug = ?1) "
    "AND schedule_day = ?2 AND starts_utc IS NOT NULL "
    "UNION ALL SELECT id FROM talks "
    "WHERE conference_id = (SELECT id FROM conferences WHERE slug = ?1) "
    "AND schedule_day IS NULL AND starts_utc >= ?3 AND starts_utc < ?4"
)


class DayTalk(NamedTuple):  # a tuple: a day makes a thousand, several times faster
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
    starting in [starts_after, starts_before) (UTC text bounds), in start order (then room,
    then id); at most `limit`."""
    bounds = (conference, day, starts_after, starts_before)
    rows = await db.fetch_all(
        "SELECT id, slug, title, starts_at, ends_at, room, starts_utc FROM talks "
        f"WHERE id IN ({_DAY}) ORDER BY starts_utc, room, id LIMIT ?5",
        (*bounds, limit),
    )
    names: defaultdict[int, list[str]] = defaultdict(list)
    for talk_id, name in await db.fetch_all(
        "SELECT ts.talk_id, s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id "
        f"WHERE ts.talk_id IN ({_DAY}) ORDER BY ts.talk_id, ts.position",
        bounds,
    ):
        names[talk_id].append(name)
    # One datetime per distinct time (a day has a few hundred): parsed once, and the grid's
    # look-ups by it hash it once.
    moments = {text: datetime.fromisoformat(text) for row in rows for text in row[3:5] if text}
    nobody: tuple[str, ...] = ()
    return [
        DayTalk(
            conference,
            row[1],
            row[2],
            moments[row[3]],
            moments[row[4]] if row[4] else None,
            row[5],
            tuple(names[row[0]]) if row[0] in names else nobody,
        )
        for row in rows
    ]
