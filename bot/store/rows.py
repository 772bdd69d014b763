"""The rows a talk record becomes, shared by a fresh insert (content.py) and a diff (diff.py).

Both paths must write exactly the same values for the same record, so that a re-import
ends where a fresh import of the same export would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.records import Conference, Talk
from bot.store.db import Database


def conference_values(conference: Conference) -> tuple[object, ...]:
    """The conference's columns after id and slug: name, year, url, timezone, description,
    origin, longest_talk_seconds."""
    return (
        conference.name,
        conference.year,
        conference.url,
        conference.timezone,
        conference.description,
        conference.origin,
        longest_talk_seconds(conference.talks),
    )


def longest_talk_seconds(talks: Sequence[Talk]) -> int:
    """How long the longest timed talk lasts: bounds the "what's on now" range scan."""
    return max(
        (
            int((t.ends_at - t.starts_at).total_seconds())
            for t in talks
            if t.starts_at is not None and t.ends_at is not None
        ),
        default=0,
    )


def utc_text(moment: datetime | None) -> str | None:
    """A sortable UTC text form ('2019-08-21T09:00:00Z') for range queries in SQL."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def next_id(db: Database, table: str) -> int:
    """Ids only ever grow (never reused after a delete), so an id a running Core has cached
    can never come to mean another talk."""
    row = await db.fetch_one(
        f"SELECT max((SELECT coalesce(max(id), 0) + 1 FROM {table}), "
        "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?), 1))",
        (f"next_{table}_id",),
    )
    return int(row[0]) if row else 1


def talk_row(talk_id: int, conference_id: int, talk: Talk) -> tuple[object, ...]:
    return (
        talk_id,
        conference_id,
        talk.slug,
        talk.title,
        talk.kind,
        talk.summary,
        talk.speaker_note,
        talk.transcript,
        talk.transcript_source,
        talk.url,
        talk.source,
        talk.starts_at.isoformat() if talk.starts_at else None,
        talk.ends_at.isoformat() if talk.ends_at else None,
        utc_text(talk.starts_at),
        utc_text(talk.ends_at or talk.starts_at),
        talk.room,
        talk.track,
        talk.language,
        json.dumps(list(talk.links)) if talk.links else "[]",
        talk.guid,
        talk.origin_file,
        talk.description,
        talk.schedule_day.isoformat() if talk.schedule_day else None,
    )


def searchable_summary(talk: Talk) -> str:
    """The text the search index holds for a talk's summary: the abstract and the
    description, so words found only in the description are found too."""
    if talk.description:
        return f"{talk.summary}\n\n{talk.description}" if talk.summary else talk.description
    return talk.summary


async def speaker_ids(db: Database, talks: Sequence[Talk]) -> dict[str, int]:
    """Insert every speaker once (unique by `str.casefold`, which folds any script, unlike
    SQLite's ASCII-only NOCASE) and map the folded name -> id."""
    names: dict[str, str] = {}
    biographies: dict[str, str | None] = {}
    for talk in talks:
        for speaker in talk.speakers:
            key = speaker.name.casefold()
            names.setdefault(key, speaker.name)
            if not biographies.get(key):
                biographies[key] = speaker.biography
    await db.execute_many(
        "INSERT INTO speakers(name, folded, biography) VALUES (?, ?, ?) "
        "ON CONFLICT(folded) DO UPDATE SET biography = coalesce(excluded.biography, biography)",
        [(name, key, biographies[key]) for key, name in names.items()],
    )
    rows = await db.fetch_all("SELECT id, folded FROM speakers")
    return {str(row[1]): int(row[0]) for row in rows}
