"""Daily wisdom subscriptions in the store: parsing a row, get, list, subscribe (or change),
unsubscribe, and the one query a run starts with. Persistence only."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time
from typing import Any

import aiosqlite

from bot.store import deliveries
from bot.store.db import Database
from bot.wisdom import (
    Subscription,
    WisdomInputError,
    channel_seed,
    first_post_date,
    format_post_time,
    parse_post_time,
    parse_zone,
)

_ts = deliveries.ts


def _dt(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def _need_dt(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


_SUBSCRIPTION_COLUMNS = (
    "id",
    "frontend",
    "guild_id",
    "channel_id",
    "post_time",
    "zone",
    "enabled",
    "created_by",
    "created_at",
    "start_date",
    "seed",
    "failures",
    "last_error",
    "last_error_at",
    "disabled_reason",
)


_SUBSCRIPTION_SELECT = ", ".join(f"s.{name}" for name in _SUBSCRIPTION_COLUMNS)


def _subscription(row: aiosqlite.Row) -> Subscription:
    return _subscription_from(tuple(row[name] for name in _SUBSCRIPTION_COLUMNS))


@functools.lru_cache(maxsize=4096)
def _subscription_from(values: tuple[Any, ...]) -> Subscription:
    """Parse a subscription row (cached: the post loop reads every row every minute)."""
    row = dict(zip(_SUBSCRIPTION_COLUMNS, values, strict=True))
    return Subscription(
        id=int(row["id"]),
        frontend=str(row["frontend"]),
        guild_id=str(row["guild_id"]),
        channel_id=str(row["channel_id"]),
        post_time=parse_post_time(str(row["post_time"])),
        zone=str(row["zone"]),
        enabled=bool(row["enabled"]),
        created_by=str(row["created_by"]),
        created_at=_need_dt(str(row["created_at"])),
        start_date=date.fromisoformat(str(row["start_date"])),
        seed=int(row["seed"]),
        failures=int(row["failures"]),
        last_error=row["last_error"],
        last_error_at=_dt(row["last_error_at"]),
        disabled_reason=row["disabled_reason"],
    )


# --------------------------------------------------------------------------------------------
# Subscriptions


async def get_subscription(db: Database, frontend: str, channel_id: str) -> Subscription | None:
    row = await db.fetch_one(
        "SELECT * FROM subscriptions WHERE kind = 'wisdom' AND frontend = ? AND channel_id = ?",
        (frontend, str(channel_id)),
    )
    return _subscription(row) if row is not None else None


async def list_subscriptions(
    db: Database,
    *,
    frontend: str | None = None,
    guild_id: str | None = None,
    include_disabled: bool = True,
) -> list[Subscription]:
    clauses: list[str] = ["kind = 'wisdom'"]
    params: list[Any] = []
    if frontend is not None:
        clauses.append("frontend = ?")
        params.append(frontend)
    if guild_id is not None:
        clauses.append("guild_id = ?")
        params.append(str(guild_id))
    if not include_disabled:
        clauses.append("enabled = 1")
    where = f"WHERE {' AND '.join(clauses)}"
    rows = await db.fetch_all(f"SELECT * FROM subscriptions {where} ORDER BY id", params)
    return [_subscription(row) for row in rows]


async def subscribe(
    db: Database,
    *,
    frontend: str,
    guild_id: str,
    channel_id: str,
    post_time: str,
    zone: str,
    created_by: str,
    can_post: bool,
    now: datetime,
) -> Subscription:
    """Subscribe a channel (or change its time and zone, or turn it back on).

    `can_post` is the front end's answer to "can the bot post in this channel?". Bad input
    raises WisdomInputError with every problem in one message, and stores nothing.
    """
    problems: list[str] = []
    parsed_time: time | None = None
    try:
        parsed_time = parse_post_time(post_time)
    except WisdomInputError as error:
        problems.append(str(error))
    parsed_zone = None
    try:
        parsed_zone = parse_zone(zone)
    except WisdomInputError as error:
        problems.append(str(error))
    if not str(channel_id).strip():
        problems.append("Name the channel to post in.")
    elif not can_post:
        problems.append(
            "I cannot post in that channel. Give me permission to send messages (and embed "
            "links) there, or pick another channel."
        )
    if problems or parsed_time is None or parsed_zone is None:
        raise WisdomInputError("\n".join(problems))
    start = first_post_date(parsed_time, parsed_zone, now)
    rows = await db.execute_returning(
        """
        INSERT INTO subscriptions (
            kind, frontend, guild_id, channel_id, post_time, zone, enabled, created_by,
            created_at, updated_at, start_date, seed, failures
        ) VALUES ('wisdom', ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, 0)
        ON CONFLICT (kind, frontend, channel_id, conference, filter_kind, filter_value)
        DO UPDATE SET
            guild_id = excluded.guild_id,
            post_time = excluded.post_time,
            zone = excluded.zone,
            enabled = 1,
            created_by = excluded.created_by,
            updated_at = excluded.updated_at,
            start_date = excluded.start_date,
            failures = 0,
            disabled_reason = NULL
        RETURNING *
        """,
        (
            frontend,
            str(guild_id),
            str(channel_id),
            format_post_time(parsed_time),
            parsed_zone.key,
            created_by,
            _ts(now),
            _ts(now),
            start.isoformat(),
            channel_seed(frontend, str(channel_id)),
        ),
    )
    return _subscription(rows[0])


async def unsubscribe(
    db: Database, *, frontend: str, channel_id: str, by: str, now: datetime
) -> Subscription | None:
    """Turn a channel's daily wisdom off. The row and its post log stay, so subscribing again
    the same day cannot post that day twice and the rotation carries on."""
    rows = await db.execute_returning(
        """
        UPDATE subscriptions SET enabled = 0, disabled_reason = ?, updated_at = ?
        WHERE kind = 'wisdom' AND frontend = ? AND channel_id = ? RETURNING *
        """,
        (f"unsubscribed by {by}", _ts(now), frontend, str(channel_id)),
    )
    if not rows:
        return None
    sub = _subscription(rows[0])
    await deliveries.close_claims(
        db, sub.id, None, "skipped", "unsubscribed before it was posted", now
    )
    return sub


async def due_subscriptions(
    db: Database, frontend: str
) -> tuple[dict[int, Subscription], dict[int, date], bool]:
    """For one run: the enabled subscriptions of a front end, the newest date in each one's
    log, and whether any has a claim pending (one query)."""
    rows = await db.fetch_all(
        f"""
        SELECT {_SUBSCRIPTION_SELECT},
            (SELECT p.key FROM deliveries p WHERE p.subscription_id = s.id
             ORDER BY p.key DESC LIMIT 1) AS last_date,
            EXISTS (SELECT 1 FROM deliveries p INDEXED BY deliveries_claimed
                    WHERE p.subscription_id = s.id AND p.status = 'claimed') AS pending
        FROM subscriptions s
        WHERE s.kind = 'wisdom' AND s.frontend = ? AND s.enabled = 1
        ORDER BY s.id
        """,
        (frontend,),
    )
    width = len(_SUBSCRIPTION_COLUMNS)
    subs = {int(row[0]): _subscription_from(tuple(row)[:width]) for row in rows}
    last_dates = {
        int(row["id"]): date.fromisoformat(row["last_date"]) for row in rows if row["last_date"]
    }
    return subs, last_dates, any(int(row["pending"]) for row in rows)
