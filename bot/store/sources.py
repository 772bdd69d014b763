"""Followed schedule sources: persistence only (the policy lives in bot/sources/follow.py).

A row holds the URL as given (credentials included: the fetch needs them; every caller shows
it through `redact_url`), the polling interval, the validators and body hash of the last good
import, and the record of the last attempts. Times are stored as fixed-width UTC text with
microseconds, so text order is time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.store.db import Database

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_COLUMNS = (
    "id, url, interval_seconds, added_at, etag, last_modified, body_hash, last_attempt_at, "
    "last_success_at, last_import_at, consecutive_failures, next_poll_at, last_error, "
    "conference_slug, timezone"
)


@dataclass(frozen=True)
class Source:
    id: int
    url: str
    interval: timedelta
    added_at: datetime
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None  # the last poll that confirmed or imported the programme
    last_import_at: datetime | None
    failures: int  # consecutive
    next_poll_at: datetime
    last_error: str | None
    conference_slug: str | None
    timezone: str | None = None  # the zone of local times in an export that names none


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def _moment(text: str | None) -> datetime | None:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC) if text else None


def _source(row: aiosqlite.Row) -> Source:
    added_at = _moment(row["added_at"])
    next_poll_at = _moment(row["next_poll_at"])
    assert added_at is not None and next_poll_at is not None
    return Source(
        id=int(row["id"]),
        url=str(row["url"]),
        interval=timedelta(seconds=int(row["interval_seconds"])),
        added_at=added_at,
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        last_attempt_at=_moment(row["last_attempt_at"]),
        last_success_at=_moment(row["last_success_at"]),
        last_import_at=_moment(row["last_import_at"]),
        failures=int(row["consecutive_failures"]),
        next_poll_at=next_poll_at,
        last_error=row["last_error"],
        conference_slug=row["conference_slug"],
        timezone=row["timezone"],
    )


async def add_source(
    db: Database, url: str, interval: timedelta, now: datetime, timezone: str | None = None
) -> bool:
    """Follow `url`, due at once; an existing one keeps its state and takes the new interval
    (and `timezone`, when given). True when it is new."""
    seconds = int(interval.total_seconds())
    async with db.transaction():
        changed = await db.execute(
            "UPDATE sources SET interval_seconds = ?, timezone = coalesce(?, timezone) "
            "WHERE url = ?",
            (seconds, timezone, url),
        )
        if changed:
            return False
        await db.execute(
            "INSERT INTO sources(url, interval_seconds, added_at, next_poll_at, timezone) "
            "VALUES (?, ?, ?, ?, ?)",
            (url, seconds, stamp(now), stamp(now), timezone),
        )
    return True


async def remove_source(db: Database, url: str) -> bool:
    return await db.execute("DELETE FROM sources WHERE url = ?", (url,)) > 0


async def list_sources(db: Database) -> list[Source]:
    rows = await db.fetch_all(f"SELECT {_COLUMNS} FROM sources ORDER BY url")
    return [_source(row) for row in rows]


async def due_sources(db: Database, now: datetime) -> list[Source]:
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM sources WHERE next_poll_at <= ? ORDER BY next_poll_at, id",
        (stamp(now),),
    )
    return [_source(row) for row in rows]


async def sources_of_conference(db: Database, conference_slug: str) -> list[Source]:
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM sources WHERE conference_slug = ? ORDER BY url",
        (conference_slug,),
    )
    return [_source(row) for row in rows]


async def claim_poll(db: Database, source: Source, now: datetime, hold_until: datetime) -> bool:
    """Take the poll of `source` that is due: its next poll moves to `hold_until` unless
    another poller (a tick still running, another process) took it first."""
    return (
        await db.execute(
            "UPDATE sources SET next_poll_at = ?, last_attempt_at = ? "
            "WHERE id = ? AND next_poll_at = ?",
            (stamp(hold_until), stamp(now), source.id, stamp(source.next_poll_at)),
        )
        > 0
    )


async def record_success(
    db: Database,
    source_id: int,
    now: datetime,
    next_poll_at: datetime,
    *,
    etag: str | None,
    last_modified: str | None,
    body_hash: str | None = None,
    conference_slug: str | None = None,
) -> None:
    """A poll that confirmed the programme (304, same body) or imported a new one (`body_hash`
    given). An import replaces the validators; a confirmation keeps any not sent again."""
    await db.execute(
        "UPDATE sources SET last_success_at = ?1, consecutive_failures = 0, last_error = NULL, "
        "next_poll_at = ?2, "
        "etag = CASE WHEN ?5 IS NULL THEN coalesce(?3, etag) ELSE ?3 END, "
        "last_modified = CASE WHEN ?5 IS NULL THEN coalesce(?4, last_modified) ELSE ?4 END, "
        "body_hash = coalesce(?5, body_hash), "
        "last_import_at = CASE WHEN ?5 IS NULL THEN last_import_at ELSE ?1 END, "
        "conference_slug = coalesce(?6, conference_slug) WHERE id = ?7",
        (
            stamp(now),
            stamp(next_poll_at),
            etag,
            last_modified,
            body_hash,
            conference_slug,
            source_id,
        ),
    )


async def record_failure(
    db: Database, source_id: int, next_poll_at: datetime, *, failures: int, error: str
) -> None:
    await db.execute(
        "UPDATE sources SET consecutive_failures = ?, last_error = ?, next_poll_at = ? "
        "WHERE id = ?",
        (failures, error, stamp(next_poll_at), source_id),
    )
