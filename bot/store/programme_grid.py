"""The talks of one programme day with only what a grid shows (title, times, room,
speakers), for the web console's programme pages.

A 1,000-event day is one statement over one index (`talks_by_day_and_start`, migrations 16
and 17: every column the grid shows, in start order, so no table row is read and nothing is
sorted), each talk's speakers already joined in their order on the talk row (kept there by
migration 17's triggers). Without the summaries, descriptions and links that
`bot.store.programme.day_talks` carries.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from bot.store.db import Database

# The day's talks: those the export filed under the day, and those with no schedule day that
# start within its bounds (two ranges of one index, merged in order). ?1 conference slug,
# ?2 ISO day, ?3 and ?4 UTC text bounds.
_TALK = (
    "SELECT t.id, t.slug, t.title, t.starts_at, t.ends_at, t.room, t.speaker_names, "
    "t.starts_utc AS start_order FROM talks t "
    "WHERE t.conference_id = (SELECT id FROM conferences WHERE slug = ?1) "
)
_DAY = (
    f"{_TALK}AND t.schedule_day = ?2 AND t.starts_utc IS NOT NULL "
    f"UNION ALL {_TALK}AND t.schedule_day IS NULL AND t.starts_utc >= ?3 AND t.starts_utc < ?4 "
    "ORDER BY start_order, 6, 1 LIMIT ?5"
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
    rows = await db.fetch_all(_DAY, (conference, day, starts_after, starts_before, limit))
    # One datetime per distinct time (a day has a few hundred): parsed once, and the grid's
    # look-ups by it hash it once. The tuples are made by tuple.__new__: a named tuple's own
    # __new__ is a Python call.
    moments: dict[str, datetime] = {}
    new = tuple.__new__
    talks: list[DayTalk] = []
    add = talks.append
    for _, slug, title, starts, ends, room, names, _ in rows:
        starts_at = moments.get(starts)
        if starts_at is None:
            starts_at = moments[starts] = datetime.fromisoformat(starts)
        ends_at = None
        if ends:
            ends_at = moments.get(ends)
            if ends_at is None:
                ends_at = moments[ends] = datetime.fromisoformat(ends)
        speakers = tuple(names.split("\x1f")) if names else ()
        add(new(DayTalk, (conference, slug, title, starts_at, ends_at, room, speakers)))
    return talks
