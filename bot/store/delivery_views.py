"""What the web console shows of the delivery log: every subscription of every kind, and the
deliveries most recently posted, failed or given up, newest first.

Reads only; the writes stay with the delivery services (bot/delivery/) and the store modules
they use (bot/store/deliveries.py and the kind modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.store.db import Database


@dataclass(frozen=True)
class SubscriptionRow:
    """One subscription of any kind, as a table row; the kind's own settings are None for the
    other kinds."""

    id: int
    kind: str
    frontend: str
    guild_id: str
    channel_id: str
    enabled: bool
    created_by: str
    updated_at: datetime
    failures: int
    last_error: str | None
    disabled_reason: str | None
    post_time: str | None
    zone: str | None
    conference: str
    minutes_before: int | None
    filter_kind: str
    filter_value: str


@dataclass(frozen=True)
class DeliveryRow:
    subscription_id: int
    kind: str
    frontend: str
    channel_id: str
    key: str
    status: str
    due_at: datetime
    sent_at: datetime | None
    attempts: int
    error: str | None
    message_id: str | None
    updated_at: datetime | None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _subscription(row: aiosqlite.Row) -> SubscriptionRow:
    updated = _moment(row["updated_at"])
    assert updated is not None
    return SubscriptionRow(
        id=int(row["id"]),
        kind=str(row["kind"]),
        frontend=str(row["frontend"]),
        guild_id=str(row["guild_id"]),
        channel_id=str(row["channel_id"]),
        enabled=bool(row["enabled"]),
        created_by=str(row["created_by"]),
        updated_at=updated,
        failures=int(row["failures"]),
        last_error=row["last_error"],
        disabled_reason=row["disabled_reason"],
        post_time=row["post_time"],
        zone=row["zone"],
        conference=str(row["conference"]),
        minutes_before=row["minutes_before"],
        filter_kind=str(row["filter_kind"]),
        filter_value=str(row["filter_value"]),
    )


async def subscriptions(db: Database, *, enabled: bool | None = None) -> list[SubscriptionRow]:
    """Every subscription (or only the enabled or the disabled ones), by kind and id."""
    rows = await db.fetch_all(
        "SELECT id, kind, frontend, guild_id, channel_id, enabled, created_by, updated_at, "
        "failures, last_error, disabled_reason, post_time, zone, conference, minutes_before, "
        "filter_kind, filter_value FROM subscriptions "
        "WHERE ?1 IS NULL OR enabled = ?1 ORDER BY kind, id",
        (None if enabled is None else int(enabled),),
    )
    return [_subscription(row) for row in rows]


async def subscription(db: Database, subscription_id: int) -> SubscriptionRow | None:
    rows = await db.fetch_all(
        "SELECT id, kind, frontend, guild_id, channel_id, enabled, created_by, updated_at, "
        "failures, last_error, disabled_reason, post_time, zone, conference, minutes_before, "
        "filter_kind, filter_value FROM subscriptions WHERE id = ?",
        (subscription_id,),
    )
    return _subscription(rows[0]) if rows else None


async def recent_deliveries(
    db: Database, *, limit: int = 100, problems_only: bool = False
) -> list[DeliveryRow]:
    """The latest deliveries (by when they were last touched); with `problems_only`, only
    those that failed, were skipped or are waiting for a retry."""
    rows = await db.fetch_all(
        "SELECT d.subscription_id, s.kind, s.frontend, s.channel_id, d.key, d.status, d.due_at, "
        "d.sent_at, d.attempts, d.error, d.message_id, d.updated_at "
        "FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
        "WHERE ?1 = 0 OR d.status IN ('failed', 'skipped') OR d.error IS NOT NULL "
        "ORDER BY coalesce(d.updated_at, d.due_at) DESC, d.subscription_id, d.key LIMIT ?2",
        (int(problems_only), limit),
    )
    out: list[DeliveryRow] = []
    for row in rows:
        due = _moment(row[6])
        assert due is not None
        out.append(
            DeliveryRow(
                subscription_id=int(row[0]),
                kind=str(row[1]),
                frontend=str(row[2]),
                channel_id=str(row[3]),
                key=str(row[4]),
                status=str(row[5]),
                due_at=due,
                sent_at=_moment(row[7]),
                attempts=int(row[8]),
                error=row[9],
                message_id=row[10],
                updated_at=_moment(row[11]),
            )
        )
    return out
