"""A person's own agenda in the store: who follows what, their lead time, the pause of their
direct messages, their calendar token, and forgetting them (migration 13); their IM channel
with the app (migration 15).

Persistence only: the rules (what a follow matches, what is due) are pure, in
`bot.delivery.agenda_plan`. A person is an 'agenda' row of `subscriptions` (channel_id = the
platform user id); their follows, their extras and their delivery log cascade from it, so
`forget` is one DELETE.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.reminders import ReminderTalk
from bot.store.db import Database
from bot.store.deliveries import CHUNK, placeholders, ts
from bot.store.reminder_log import timed_talks
from bot.store.rows import utc_text

DEFAULT_MINUTES = 10
SELF = "self"
"""`subscriptions.created_by` of an agenda: never the person's name or id (privacy)."""


@dataclass(frozen=True)
class Person:
    """One person on one front end: their subscription id, lead time and pause."""

    id: int
    frontend: str
    user_id: str
    minutes_before: int
    enabled: bool
    paused_reason: str | None
    notice_pending: bool
    calendar_token: str | None


@dataclass(frozen=True)
class Follow:
    """What a person follows in a community: a talk (by key), a speaker (folded name), a
    track or a room (name); `conference` '' is any conference."""

    subscription_id: int
    community: str
    kind: str
    value: str
    conference: str
    label: str
    created_at: datetime


_PERSON = """
SELECT s.id, s.frontend, s.channel_id, s.minutes_before, s.enabled, s.disabled_reason,
    coalesce(p.notice_pending, 0) AS notice_pending, p.calendar_token
FROM subscriptions s LEFT JOIN agenda_people p ON p.subscription_id = s.id
WHERE s.kind = 'agenda'
"""


def person_of_row(row: Any) -> Person:
    return Person(
        id=int(row["id"]),
        frontend=str(row["frontend"]),
        user_id=str(row["channel_id"]),
        minutes_before=int(row["minutes_before"] or DEFAULT_MINUTES),
        enabled=bool(row["enabled"]),
        paused_reason=row["disabled_reason"],
        notice_pending=bool(row["notice_pending"]),
        calendar_token=row["calendar_token"],
    )


def follow_of_row(row: Any) -> Follow:
    return Follow(
        subscription_id=int(row["subscription_id"]),
        community=str(row["community"]),
        kind=str(row["kind"]),
        value=str(row["value"]),
        conference=str(row["conference"]),
        label=str(row["label"]),
        created_at=datetime.fromisoformat(str(row["created_at"])),
    )


async def person(db: Database, frontend: str, user_id: str) -> Person | None:
    row = await db.fetch_one(
        _PERSON + " AND s.frontend = ? AND s.channel_id = ?", (frontend, user_id)
    )
    return person_of_row(row) if row is not None else None


async def ensure_person(db: Database, frontend: str, user_id: str, now: datetime) -> Person:
    """The person, made (with the default lead time) on their first follow."""
    await db.execute(
        """
        INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by, created_at,
            updated_at, minutes_before, since_at)
        VALUES ('agenda', ?1, '', ?2, ?3, ?4, ?4, ?5, ?4)
        ON CONFLICT DO NOTHING
        """,
        (frontend, user_id, SELF, ts(now), DEFAULT_MINUTES),
    )
    found = await person(db, frontend, user_id)
    assert found is not None
    await db.execute(
        "INSERT INTO agenda_people (subscription_id) VALUES (?) ON CONFLICT DO NOTHING",
        (found.id,),
    )
    return found


async def people(db: Database, frontend: str, ids: Iterable[int] | None = None) -> list[Person]:
    """Every person of the front end (or just those of `ids`)."""
    if ids is None:
        rows = await db.fetch_all(_PERSON + " AND s.frontend = ? ORDER BY s.id", (frontend,))
        return [person_of_row(row) for row in rows]
    rows = await rows_in(db, _PERSON + " AND s.frontend = ? AND s.id IN ({in})", ids, frontend)
    return [person_of_row(row) for row in rows]


async def add_follow(db: Database, follow: Follow) -> bool:
    """Store a follow; False when the person followed it already."""
    rows = await db.execute_returning(
        """
        INSERT INTO agenda_follows (subscription_id, community, kind, value, conference, label,
            created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING RETURNING subscription_id
        """,
        (
            follow.subscription_id,
            follow.community,
            follow.kind,
            follow.value,
            follow.conference,
            follow.label,
            ts(follow.created_at),
        ),
    )
    return bool(rows)


async def remove_follow(
    db: Database, subscription_id: int, community: str, kind: str, value: str
) -> list[str]:
    """Remove the person's follows of (kind, value) in the community, any conference; returns
    the labels removed."""
    rows = await db.execute_returning(
        """
        DELETE FROM agenda_follows WHERE subscription_id = ? AND community = ? AND kind = ?
            AND value = ? RETURNING label
        """,
        (subscription_id, community, kind, value),
    )
    return [str(row[0]) for row in rows]


async def follows_of(
    db: Database, subscription_id: int, community: str | None = None
) -> list[Follow]:
    """The person's follows, in one community or all of them, oldest first."""
    rows = await db.fetch_all(
        "SELECT * FROM agenda_follows WHERE subscription_id = ?1 "
        "AND (?2 IS NULL OR community = ?2) ORDER BY created_at, kind, value",
        (subscription_id, community),
    )
    return [follow_of_row(row) for row in rows]


async def track_names(db: Database, conference: str | None = None) -> list[str]:
    """The tracks of the timed programme (of one conference), by name."""
    rows = await db.fetch_all(
        "SELECT DISTINCT t.track FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.track IS NOT NULL AND t.track != '' AND t.starts_utc IS NOT NULL "
        "AND (?1 IS NULL OR c.slug = ?1) ORDER BY t.track COLLATE NOCASE",
        (conference,),
    )
    return [str(row[0]) for row in rows]


async def followed_talks(
    db: Database, follows: Sequence[Follow], after: datetime | None = None
) -> list[ReminderTalk]:
    """The timed talks (starting after `after`) that any of `follows` may take in, read
    through the indexes rather than the whole programme; the caller keeps the exact matches
    (`bot.delivery.agenda_plan.followed`: a follow's conference)."""
    by_kind: dict[str, list[str]] = {}
    for follow in follows:
        by_kind.setdefault(follow.kind, []).append(follow.value)
    clauses: list[str] = []
    params: list[object] = []
    if keys := by_kind.get("talk"):
        clauses.append(f"t.guid IN ({placeholders(len(keys))})")
        clauses.append(f"c.slug || '/' || t.slug IN ({placeholders(len(keys))})")
        params += [*keys, *keys]
    for kind, column in (("room", "t.room"), ("track", "t.track")):
        if names := by_kind.get(kind):
            clauses.append(f"{column} COLLATE NOCASE IN ({placeholders(len(names))})")
            params += names
    if speakers := by_kind.get("speaker"):
        clauses.append(
            "t.id IN (SELECT ts.talk_id FROM talk_speakers ts JOIN speakers s "
            f"ON s.id = ts.speaker_id WHERE s.folded IN ({placeholders(len(speakers))}))"
        )
        params += speakers
    if not clauses:
        return []
    where = " OR ".join(clauses)
    if after is not None:
        where = f"t.starts_utc > ? AND ({where})"
        params.insert(0, utc_text(after))
    return await timed_talks(db, where, params)


async def talk_ends(db: Database, refs: Sequence[str]) -> dict[str, datetime]:
    """When each talk ('conference/slug') ends, where the programme says."""
    rows = await rows_in(
        db,
        "SELECT c.slug || '/' || t.slug, t.ends_utc FROM talks t "
        "JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.ends_utc IS NOT NULL AND c.slug || '/' || t.slug IN ({in})",
        refs,
    )
    return {str(row[0]): datetime.fromisoformat(str(row[1])) for row in rows}


async def set_minutes(db: Database, subscription_id: int, minutes: int, now: datetime) -> None:
    await db.execute(
        "UPDATE subscriptions SET minutes_before = ?, updated_at = ? WHERE id = ?",
        (minutes, ts(now), subscription_id),
    )


async def note_paused(db: Database, subscription_ids: Sequence[int]) -> None:
    """Their DMs were paused (the engine disabled the subscription): tell them once."""
    for start in range(0, len(subscription_ids), CHUNK):
        chunk = list(subscription_ids[start : start + CHUNK])
        await db.execute(
            f"UPDATE agenda_people SET notice_pending = 1 "
            f"WHERE subscription_id IN ({placeholders(len(chunk))})",
            chunk,
        )


async def paused_with_notice(db: Database) -> list[tuple[str, str]]:
    """(frontend, user id) of everyone still to be told that their DMs are paused."""
    rows = await db.fetch_all(
        "SELECT s.frontend, s.channel_id FROM agenda_people p "
        "JOIN subscriptions s ON s.id = p.subscription_id WHERE p.notice_pending = 1"
    )
    return [(str(row[0]), str(row[1])) for row in rows]


async def take_notice(db: Database, frontend: str, user_id: str) -> str | None:
    """The reason their DMs are paused, once: the notice is cleared as it is read."""
    rows = await db.execute_returning(
        """
        UPDATE agenda_people SET notice_pending = 0
        WHERE notice_pending = 1 AND subscription_id = (SELECT id FROM subscriptions
            WHERE kind = 'agenda' AND frontend = ? AND channel_id = ?)
        RETURNING (SELECT coalesce(disabled_reason, '') FROM subscriptions
            WHERE id = agenda_people.subscription_id)
        """,
        (frontend, user_id),
    )
    return str(rows[0][0]) if rows else None


async def resume(db: Database, subscription_id: int, now: datetime) -> bool:
    """Turn their DMs back on; True when they were paused."""
    rows = await db.execute_returning(
        """
        UPDATE subscriptions SET enabled = 1, failures = 0, disabled_reason = NULL,
            last_error = NULL, last_error_at = NULL, updated_at = ?
        WHERE id = ? AND enabled = 0 RETURNING id
        """,
        (ts(now), subscription_id),
    )
    await db.execute(
        "UPDATE agenda_people SET notice_pending = 0 WHERE subscription_id = ?",
        (subscription_id,),
    )
    return bool(rows)


async def dm_channel(db: Database, frontend: str, user_id: str) -> str | None:
    """The person's stored IM channel with the app, or None when none was learned."""
    row = await db.fetch_one(
        "SELECT p.dm_channel FROM agenda_people p JOIN subscriptions s "
        "ON s.id = p.subscription_id WHERE s.kind = 'agenda' AND s.frontend = ? "
        "AND s.channel_id = ?",
        (frontend, user_id),
    )
    return str(row[0]) if row is not None and row[0] else None


async def set_dm_channel(db: Database, frontend: str, user_id: str, channel: str | None) -> bool:
    """Store (or with None, clear) the person's IM channel; False when they are no person of
    the agenda (they follow nothing, so nothing about them is kept)."""
    rows = await db.execute_returning(
        """
        UPDATE agenda_people SET dm_channel = ?
        WHERE subscription_id = (SELECT id FROM subscriptions
            WHERE kind = 'agenda' AND frontend = ? AND channel_id = ?)
        RETURNING subscription_id
        """,
        (channel, frontend, user_id),
    )
    return bool(rows)


async def calendar_token(db: Database, subscription_id: int, *, reset: bool = False) -> str:
    """The person's calendar feed token (made on first ask; a new one on `reset`, which
    revokes the old link)."""
    if not reset:
        row = await db.fetch_one(
            "SELECT calendar_token FROM agenda_people WHERE subscription_id = ?",
            (subscription_id,),
        )
        if row is not None and row[0]:
            return str(row[0])
    token = secrets.token_urlsafe(24)
    await db.execute(
        """
        INSERT INTO agenda_people (subscription_id, calendar_token) VALUES (?1, ?2)
        ON CONFLICT (subscription_id) DO UPDATE SET calendar_token = ?2
        """,
        (subscription_id, token),
    )
    return token


async def person_by_token(db: Database, token: str) -> Person | None:
    """Whose calendar feed `token` opens (None for a revoked or made-up token)."""
    if not token:
        return None
    row = await db.fetch_one(_PERSON + " AND p.calendar_token = ?", (token,))
    return person_of_row(row) if row is not None else None


async def forget(db: Database, frontend: str, user_id: str) -> bool:
    """Delete everything held about the person: their subscription row, and through its
    cascade their follows, extras and delivery log. True when there was anything."""
    rows = await db.execute_returning(
        "DELETE FROM subscriptions WHERE kind = 'agenda' AND frontend = ? AND channel_id = ? "
        "RETURNING id",
        (frontend, user_id),
    )
    return bool(rows)


async def rows_in(db: Database, sql: str, values: Iterable[Any], *before: Any) -> list[Any]:
    """`sql`, whose ``{in}`` is a list of placeholders, run for each CHUNK of the distinct
    `values` after the parameters `before`."""
    unique = sorted(set(values))
    out: list[Any] = []
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        out += await db.fetch_all(sql.replace("{in}", placeholders(len(chunk))), (*before, *chunk))
    return out
