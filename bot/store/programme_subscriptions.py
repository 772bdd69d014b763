"""Change announcements in the store: their subscriptions (kind 'programme') and the reads a
run of the announcement service starts with. Persistence only; the planner is
bot/delivery/announce_plan.py and the service bot/delivery/announce_service.py.

A subscription is a channel, one conference ('' for every conference) and a room or track
filter; `since_batch` is the newest change batch when it was made (migration 14), so it is
told only about the batches after it. Delivery rows are keyed by batch (`batch_key`), so the
newest key of a subscription says up to which batch it has been served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.store.changes import latest_batch
from bot.store.content import utc_text
from bot.store.db import Database
from bot.store.deliveries import CHUNK, placeholders

KEY_PREFIX = "batch-"


def batch_key(batch_id: int, part: int) -> str:
    """The delivery key of message `part` (1, 2, ...) of a batch: sorts in batch order."""
    return f"{KEY_PREFIX}{batch_id:010d}-{part:03d}"


def batch_of(key: str) -> int:
    """The batch id in a delivery key made by `batch_key` (0 for any other key)."""
    if not key.startswith(KEY_PREFIX):
        return 0
    digits = key[len(KEY_PREFIX) :].partition("-")[0]
    return int(digits) if digits.isdigit() else 0


@dataclass(frozen=True)
class ProgrammeSubscription:
    """A channel told about programme changes: one conference (None: all), every talk or
    only those whose room or track contains `filter_value` (case-insensitive)."""

    id: int
    frontend: str
    guild_id: str
    channel_id: str
    conference: str | None
    filter_kind: str
    filter_value: str
    since_batch: int
    created_by: str
    enabled: bool = True
    last_error: str | None = None
    disabled_reason: str | None = None

    def describe(self) -> str:
        """'changes in a room matching "curie" (camp2019)'."""
        which = "" if self.filter_kind == "all" else f' in a {self.filter_kind} matching "'
        which += f'{self.filter_value}"' if which else ""
        where = f" ({self.conference})" if self.conference else " (all conferences)"
        return f"changes{which}{where}"


def _subscription(row: aiosqlite.Row) -> ProgrammeSubscription:
    return ProgrammeSubscription(
        id=int(row["id"]),
        frontend=str(row["frontend"]),
        guild_id=str(row["guild_id"]),
        channel_id=str(row["channel_id"]),
        conference=row["conference"] or None,
        filter_kind=str(row["filter_kind"]),
        filter_value=str(row["filter_value"]),
        since_batch=int(row["since_batch"] or 0),
        created_by=str(row["created_by"]),
        enabled=bool(row["enabled"]),
        last_error=row["last_error"],
        disabled_reason=row["disabled_reason"],
    )


async def load_subscriptions(
    db: Database,
    *,
    frontend: str,
    guild_id: str | None = None,
    channel_id: str | None = None,
    enabled_only: bool = False,
) -> list[ProgrammeSubscription]:
    rows = await db.fetch_all(
        "SELECT * FROM subscriptions WHERE kind = 'programme' AND frontend = ?1 "
        "AND (?2 IS NULL OR guild_id = ?2) AND (?3 IS NULL OR channel_id = ?3) "
        "AND (?4 = 0 OR enabled = 1) ORDER BY id",
        (frontend, guild_id, channel_id, int(enabled_only)),
    )
    return [_subscription(row) for row in rows]


async def subscribe(
    db: Database,
    *,
    frontend: str,
    guild_id: str,
    channel_id: str,
    conferences: Sequence[str],
    filter_kind: str,
    filter_value: str,
    created_by: str,
    now: datetime,
) -> list[ProgrammeSubscription]:
    """Subscribe a channel for each conference ('' for all), in one transaction; a
    subscription that was off starts again from the newest batch, one that is on keeps its
    place (so nothing it has not been told yet is lost)."""
    stamp = utc_text(now) or ""
    out: list[ProgrammeSubscription] = []
    async with db.transaction():
        newest = await latest_batch(db)
        for conference in conferences:
            rows = await db.fetch_all(
                """
                INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, conference,
                    filter_kind, filter_value, created_by, since_batch, since_at, created_at,
                    updated_at)
                VALUES ('programme', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)
                ON CONFLICT (kind, frontend, channel_id, conference, filter_kind, filter_value)
                DO UPDATE SET guild_id = excluded.guild_id, created_by = excluded.created_by,
                    since_batch = CASE WHEN subscriptions.enabled = 1
                        THEN subscriptions.since_batch ELSE excluded.since_batch END,
                    since_at = CASE WHEN subscriptions.enabled = 1
                        THEN subscriptions.since_at ELSE excluded.since_at END,
                    enabled = 1, updated_at = excluded.updated_at, failures = 0,
                    disabled_reason = NULL
                RETURNING *
                """,
                (
                    frontend,
                    guild_id,
                    channel_id,
                    conference,
                    filter_kind,
                    filter_value,
                    created_by,
                    newest,
                    stamp,
                ),
            )
            out += [_subscription(row) for row in rows]
    return out


async def turn_off(
    db: Database,
    *,
    frontend: str,
    channel_id: str,
    by: str,
    now: datetime,
    subscription_id: int | None = None,
) -> list[ProgrammeSubscription]:
    """Turn off every enabled programme subscription of the channel (or just #id)."""
    rows = await db.execute_returning(
        "UPDATE subscriptions SET enabled = 0, disabled_reason = ?1, updated_at = ?2 "
        "WHERE kind = 'programme' AND frontend = ?3 AND channel_id = ?4 AND enabled = 1 "
        "AND (?5 IS NULL OR id = ?5) RETURNING *",
        (f"unsubscribed by {by}", utc_text(now) or "", frontend, channel_id, subscription_id),
    )
    return [_subscription(row) for row in rows]


async def served_batches(db: Database, subscription_ids: Sequence[int]) -> dict[int, int]:
    """For each subscription, the newest batch it has a delivery row for (claimed, sent,
    skipped or failed); subscriptions without one are left out."""
    rows = await _of_subscriptions(
        db,
        "SELECT subscription_id, max(key) FROM deliveries WHERE subscription_id IN ({ids}) "
        "GROUP BY subscription_id",
        subscription_ids,
    )
    return {int(row[0]): batch_of(str(row[1])) for row in rows}


async def open_claims(db: Database, subscription_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The delivery rows of the subscriptions still 'claimed' (a crash, a failed send), for
    the engine to resolve."""
    rows = await _of_subscriptions(
        db,
        "SELECT * FROM deliveries WHERE status = 'claimed' AND subscription_id IN ({ids}) "
        "ORDER BY subscription_id, key",
        subscription_ids,
    )
    return [dict(row) for row in rows]


async def _of_subscriptions(
    db: Database, sql: str, subscription_ids: Sequence[int]
) -> list[aiosqlite.Row]:
    """`sql` run for the subscriptions, CHUNK ids at a time (`{ids}` is their placeholders)."""
    out: list[aiosqlite.Row] = []
    ids = sorted(set(subscription_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        out += await db.fetch_all(sql.format(ids=placeholders(len(chunk))), chunk)
    return out


async def conference_names(db: Database) -> dict[str, str]:
    """Every conference's name by slug (for the title of an announcement)."""
    rows = await db.fetch_all("SELECT slug, name FROM conferences")
    return {str(row[0]): str(row[1]) for row in rows}
