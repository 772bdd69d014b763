"""The timed programme: talks by time and room, the span of each conference, its rooms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.store.catalog import TALK_COLUMNS, TalkView, like_escape, talk_of
from bot.store.db import Database


async def scheduled_talks(
    db: Database,
    *,
    starts_before: str,
    ends_after: str | None = None,
    starts_after: str | None = None,
    conference: str | None = None,
    room: str = "",
    limit: int = 50,
    exact_room: bool = False,
) -> list[TalkView]:
    """Timed talks, in start order, filtered by UTC text bounds (see content.utc_text):
    `ends_after` keeps talks still running then, `starts_after` keeps talks starting then or
    later; `room` is a case-insensitive part of the room name (the whole name when
    `exact_room`)."""
    rows = await db.fetch_all(
        f"SELECT {TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.starts_utc IS NOT NULL AND t.starts_utc < ?1 "
        "AND (?2 IS NULL OR t.ends_utc > ?2) AND (?3 IS NULL OR t.starts_utc >= ?3) "
        "AND (?4 = '' OR c.slug = ?4) "
        "AND (?5 = '' OR t.room LIKE ?5 ESCAPE '\\') "
        "ORDER BY t.starts_utc, t.room, t.id LIMIT ?6",
        (
            starts_before,
            ends_after,
            starts_after,
            conference or "",
            _room_pattern(room, exact_room),
            limit,
        ),
    )
    return [talk_of(row) for row in rows]


@dataclass(frozen=True)
class ScheduledConference:
    slug: str
    name: str
    timezone: str | None
    first_start: datetime
    last_end: datetime
    longest_talk: timedelta
    first_offset: timedelta | None = None  # the UTC offset the schedule gave its first talk
    # The first and last schedule days the export filed talks under (None without days).
    first_day: date | None = None
    last_day: date | None = None


async def scheduled_conferences(db: Database) -> list[ScheduledConference]:
    """Conferences that have timed talks, with the span of their programme (index lookups)."""
    rows = await db.fetch_all(
        "SELECT slug, name, timezone, longest_talk_seconds, "
        "(SELECT min(starts_utc) FROM talks WHERE conference_id = c.id) AS first_start, "
        "(SELECT max(ends_utc) FROM talks WHERE conference_id = c.id) AS last_end, "
        "(SELECT starts_at FROM talks WHERE conference_id = c.id AND starts_utc IS NOT NULL "
        "ORDER BY starts_utc LIMIT 1) AS first_local, "
        "(SELECT min(schedule_day) FROM talks WHERE conference_id = c.id) AS first_day, "
        "(SELECT max(schedule_day) FROM talks WHERE conference_id = c.id) AS last_day "
        "FROM conferences c WHERE first_start IS NOT NULL ORDER BY first_start",
    )
    return [
        ScheduledConference(
            slug=str(row["slug"]),
            name=str(row["name"]),
            timezone=row["timezone"],
            first_start=datetime.fromisoformat(row["first_start"]),
            last_end=datetime.fromisoformat(row["last_end"]),
            longest_talk=timedelta(seconds=int(row["longest_talk_seconds"])),
            first_offset=datetime.fromisoformat(row["first_local"]).utcoffset(),
            first_day=date.fromisoformat(row["first_day"]) if row["first_day"] else None,
            last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
        )
        for row in rows
    ]


async def day_talks(
    db: Database,
    *,
    day: str,
    starts_after: str,
    starts_before: str,
    conference: str,
    room: str = "",
    exact_room: bool = False,
    limit: int = 50,
) -> list[TalkView]:
    """The talks of one schedule day (ISO date), in start order: those the export filed
    under that day, and talks with no schedule day that start in [starts_after,
    starts_before) (UTC text bounds)."""
    rows = await db.fetch_all(
        f"SELECT {TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ?1 AND t.starts_utc IS NOT NULL AND (t.schedule_day = ?2 OR "
        "(t.schedule_day IS NULL AND t.starts_utc >= ?3 AND t.starts_utc < ?4)) "
        "AND (?5 = '' OR t.room LIKE ?5 ESCAPE '\\') "
        "ORDER BY t.starts_utc, t.room, t.id LIMIT ?6",
        (conference, day, starts_after, starts_before, _room_pattern(room, exact_room), limit),
    )
    return [talk_of(row) for row in rows]


async def day_last_end(db: Database, *, conference: str, day: str) -> datetime | None:
    """When the last talk filed under schedule day `day` (ISO date) ends, if any is."""
    row = await db.fetch_one(
        "SELECT max(t.ends_utc) FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ?1 AND t.schedule_day = ?2",
        (conference, day),
    )
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def next_per_room(
    db: Database,
    *,
    after: str,
    conference: str | None,
    room: str,
    limit: int,
    exact_room: bool = False,
) -> list[TalkView]:
    """The first talk starting at or after `after` in each room, in start order."""
    rows = await db.fetch_all(
        f"SELECT {TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.id IN (SELECT id FROM (SELECT t2.id, row_number() OVER "
        "(PARTITION BY coalesce(t2.room, '') ORDER BY t2.starts_utc, t2.id) AS place "
        "FROM talks t2 JOIN conferences c2 ON c2.id = t2.conference_id "
        "WHERE t2.starts_utc >= ?1 AND (?2 = '' OR c2.slug = ?2) "
        "AND (?3 = '' OR t2.room LIKE ?3 ESCAPE '\\')) WHERE place = 1) "
        "ORDER BY t.starts_utc, t.room LIMIT ?4",
        (after, conference or "", _room_pattern(room, exact_room), limit),
    )
    return [talk_of(row) for row in rows]


def _room_pattern(room: str, exact: bool) -> str:
    """The LIKE pattern for a room filter ('' for none): the whole name, or any part."""
    if not room:
        return ""
    return like_escape(room) if exact else f"%{like_escape(room)}%"


async def rooms(db: Database, conference: str | None = None) -> list[str]:
    """The rooms of the timed talks (of one conference, by slug, if given), by name."""
    return await _names(db, "room", conference)


async def tracks(db: Database, conference: str | None = None) -> list[str]:
    """The tracks of the timed talks (of one conference, by slug, if given), by name."""
    return await _names(db, "track", conference)


async def _names(db: Database, column: str, conference: str | None) -> list[str]:
    assert column in ("room", "track")
    rows = await db.fetch_all(
        f"SELECT DISTINCT t.{column} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        f"WHERE t.starts_utc IS NOT NULL AND t.{column} IS NOT NULL AND t.{column} != '' "
        f"AND (?1 = '' OR c.slug = ?1) ORDER BY t.{column} COLLATE NOCASE",
        (conference or "",),
    )
    return [str(row[0]) for row in rows]
