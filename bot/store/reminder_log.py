"""Talk reminders in the store: their subscriptions, the timed talks and their delivery rows.
Persistence only; the claims go through bot.store.deliveries, the service that plans and
posts is bot.delivery.reminder_service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.reminders import (
    ReminderSubscription,
    ReminderTalk,
    talk_key,
)
from bot.store.content import utc_text
from bot.store.db import Database


def _ts(moment: datetime) -> str:
    return utc_text(moment) or ""


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _subscription(row: aiosqlite.Row) -> ReminderSubscription:
    return ReminderSubscription(
        id=int(row["id"]),
        frontend=str(row["frontend"]),
        guild_id=str(row["guild_id"]),
        channel_id=str(row["channel_id"]),
        conference=row["conference"] or None,
        minutes_before=int(row["minutes_before"]),
        filter_kind=row["filter_kind"],
        filter_value=str(row["filter_value"]),
        created_by=str(row["created_by"]),
        since=datetime.fromisoformat(row["since_at"]),
        enabled=bool(row["enabled"]),
        failures=int(row["failures"]),
        last_error=row["last_error"],
        disabled_reason=row["disabled_reason"],
    )


async def load_subscriptions(
    db: Database, *, frontend: str | None = None, channel_id: str | None = None
) -> list[ReminderSubscription]:
    rows = await db.fetch_all(
        "SELECT * FROM subscriptions WHERE kind = 'reminder' AND (?1 IS NULL OR frontend = ?1) "
        "AND (?2 IS NULL OR channel_id = ?2) ORDER BY id",
        (frontend, channel_id),
    )
    return [_subscription(row) for row in rows]


async def timed_talks(
    db: Database, where: str = "", params: Sequence[object] = ()
) -> list[ReminderTalk]:
    """Every talk with a start time (and `where`, an SQL condition on t and c with `params`,
    when given), in start order (one query)."""
    rows = await db.fetch_all(
        """
        SELECT t.guid, c.slug AS conference, t.slug, t.title, t.room, t.track, t.starts_utc,
            coalesce(c.timezone, 'UTC') AS zone,
            (SELECT group_concat(s.name, char(31)) FROM
                (SELECT s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id
                 WHERE ts.talk_id = t.id ORDER BY ts.position) s) AS speakers
        FROM talks t JOIN conferences c ON c.id = t.conference_id
        WHERE t.starts_utc IS NOT NULL """
        + (f"AND ({where}) " if where else "")
        + "ORDER BY t.starts_utc, t.id",
        tuple(params),
    )
    return [
        ReminderTalk(
            key=talk_key(row["guid"], row["conference"], row["slug"]),
            ref=f"{row['conference']}/{row['slug']}",
            conference=str(row["conference"]),
            title=str(row["title"]),
            speakers=tuple(str(row["speakers"]).split("\x1f")) if row["speakers"] else (),
            room=row["room"],
            track=row["track"],
            starts=datetime.fromisoformat(row["starts_utc"]),
            zone=str(row["zone"]),
        )
        for row in rows
    ]


async def log_rows(db: Database, frontend: str | None = None) -> dict[tuple[int, str], Any]:
    rows = await db.fetch_all(
        "SELECT l.* FROM deliveries l JOIN subscriptions s "
        "ON s.id = l.subscription_id WHERE s.kind = 'reminder' AND (?1 IS NULL OR s.frontend = ?1)",
        (frontend,),
    )
    return {(int(row["subscription_id"]), str(row["key"])): row for row in rows}


async def upsert_subscription(
    db: Database,
    *,
    frontend: str,
    guild_id: str,
    channel_id: str,
    conference: str,
    minutes_before: int,
    filter_kind: str,
    filter_value: str,
    created_by: str,
    now: datetime,
) -> ReminderSubscription:
    """Subscribe a channel (or change N, or turn it back on)."""
    rows = await db.execute_returning(
        """
        INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, conference,
            minutes_before, filter_kind, filter_value, created_by, since_at, created_at,
            updated_at)
        VALUES ('reminder', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)
        ON CONFLICT (kind, frontend, channel_id, conference, filter_kind, filter_value)
        DO UPDATE SET guild_id = excluded.guild_id, minutes_before = excluded.minutes_before,
            created_by = excluded.created_by, since_at = excluded.since_at, enabled = 1,
            updated_at = excluded.updated_at, failures = 0, disabled_reason = NULL
        RETURNING *
        """,
        (
            frontend,
            str(guild_id),
            str(channel_id),
            conference,
            minutes_before,
            filter_kind,
            filter_value,
            created_by,
            _ts(now),
        ),
    )
    return _subscription(rows[0])


async def turn_off(
    db: Database, *, frontend: str, channel_id: str, by: str, subscription_id: int | None
) -> list[ReminderSubscription]:
    """Turn off the channel's enabled reminder subscriptions (or just #id)."""
    rows = await db.execute_returning(
        "UPDATE subscriptions SET enabled = 0, disabled_reason = ? "
        "WHERE kind = 'reminder' AND frontend = ?2 AND channel_id = ?3 AND enabled = 1 "
        "AND (?4 IS NULL OR id = ?4) "
        "RETURNING *",
        (f"unsubscribed by {by}", frontend, str(channel_id), subscription_id),
    )
    return [_subscription(row) for row in rows]
