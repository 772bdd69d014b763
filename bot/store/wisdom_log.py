"""Daily wisdom's post log in the store: its rows, the rotation read from it, the nuggets'
details, and the reads of the service and the report. Persistence only: claims go through
bot.store.deliveries, the service that plans and posts is bot.delivery.wisdom_service;
subscriptions are bot.store.wisdom_subscriptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import aiosqlite

from bot.store import deliveries
from bot.store.db import Database
from bot.store.wisdom_subscriptions import _dt, _need_dt
from bot.wisdom import (
    CycleState,
    PostRecord,
)

_CHUNK = deliveries.CHUNK
_ts = deliveries.ts
_placeholders = deliveries.placeholders


def _record(row: aiosqlite.Row) -> PostRecord:
    return PostRecord(
        subscription_id=int(row["subscription_id"]),
        local_date=date.fromisoformat(str(row["key"])),
        status=row["status"],
        scheduled_at=_need_dt(str(row["due_at"])),
        end_at=_need_dt(str(row["end_at"])),
        manual=bool(row["manual"]),
        nugget_key=row["item"],
        text=_snapshot(row).get("text"),
        claimed_at=_dt(row["attempted_at"]),
        sent_at=_dt(row["sent_at"]),
        message_id=row["message_id"],
        attempts=int(row["attempts"]),
        next_attempt_at=_dt(row["next_attempt_at"]),
        error=row["error"],
    )


def _snapshot(row: aiosqlite.Row) -> dict[str, Any]:
    """What a claimed row said it would post: the nugget and its attribution (JSON)."""
    data = json.loads(row["snapshot"]) if row["snapshot"] else {}
    return data if isinstance(data, dict) else {}


async def post_log(
    db: Database, subscription_id: int, *, limit: int | None = None
) -> list[PostRecord]:
    """The post log of one subscription, newest first."""
    sql = "SELECT * FROM deliveries WHERE subscription_id = ? ORDER BY key DESC"
    params: list[Any] = [subscription_id]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [_record(row) for row in await db.fetch_all(sql, params)]


async def rotation(
    db: Database, subscription_ids: Sequence[int]
) -> tuple[list[str], dict[int, CycleState]]:
    """The nugget pool and the rotation state of each subscription, in one round trip.

    The state is read from the post log: the newest cycle number, the keys of its claimed and
    sent rows, and the last of them (rows that ended skipped or failed have no cycle, so their
    nugget goes back to the walk).
    """
    pool: list[str] = []
    states: dict[int, CycleState] = {}
    ids = list(dict.fromkeys(subscription_ids))
    for start in range(0, max(len(ids), 1), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        with_pool = (
            "SELECT NULL, NULL, NULL, (SELECT group_concat(key, char(31)) FROM nuggets) UNION ALL"
            if start == 0
            else ""
        )
        rows = await db.fetch_all(
            f"""
            WITH current AS MATERIALIZED (
                SELECT s.id AS subscription_id,
                    (SELECT MAX(q.cycle) FROM deliveries q WHERE q.subscription_id = s.id)
                        AS cycle
                FROM subscriptions s WHERE s.id IN ({_placeholders(len(chunk))})
            )
            {with_pool}
            SELECT c.subscription_id, c.cycle,
                (SELECT p.item FROM deliveries p INDEXED BY deliveries_by_cycle
                 WHERE p.subscription_id = c.subscription_id AND p.cycle = c.cycle
                 ORDER BY p.key DESC LIMIT 1),
                (SELECT group_concat(p.item, char(31))
                 FROM deliveries p INDEXED BY deliveries_by_cycle
                 WHERE p.subscription_id = c.subscription_id AND p.cycle = c.cycle)
            FROM current c WHERE c.cycle IS NOT NULL
            """,
            chunk,
        )
        for row in rows:
            keys = str(row[3]).split("\x1f") if row[3] else []
            if row[0] is None:
                pool = keys
            else:
                states[int(row[0])] = CycleState(int(row[1]), frozenset(keys), str(row[2]))
    return pool, states


async def nugget_details(db: Database, keys: Sequence[str]) -> dict[str, aiosqlite.Row]:
    if not keys:
        return {}
    rows = await db.fetch_all(
        f"""
        SELECT n.key, n.text AS nugget_text, n.speaker, n.source, t.title AS talk_title,
            c.name AS conference_name
        FROM nuggets n JOIN talks t ON t.id = n.talk_id JOIN conferences c ON c.id = t.conference_id
        WHERE n.key IN ({_placeholders(len(keys))})
        """,
        list(keys),
    )
    return {str(row["key"]): row for row in rows}


# --------------------------------------------------------------------------------------------
# Reads for the service and the report


async def status_rows(
    db: Database, subscription_id: int
) -> tuple[list[PostRecord], dict[str, int]]:
    """The last sent row and every claimed row of a subscription, and its counts by status."""
    rows = await db.fetch_all(
        """
        SELECT * FROM deliveries WHERE subscription_id = ? AND (
            key = (SELECT key FROM deliveries
                          WHERE subscription_id = ? AND status = 'sent'
                          ORDER BY key DESC LIMIT 1)
            OR status = 'claimed')
        """,
        (subscription_id, subscription_id),
    )
    counts_rows = await db.fetch_all(
        "SELECT status, COUNT(*) FROM deliveries WHERE subscription_id = ? GROUP BY status",
        (subscription_id,),
    )
    return [_record(row) for row in rows], {str(row[0]): int(row[1]) for row in counts_rows}


async def open_claim(db: Database, subscription_id: int, now: datetime) -> aiosqlite.Row | None:
    """The oldest claim of a subscription whose window is still open."""
    return await db.fetch_one(
        """SELECT * FROM deliveries WHERE subscription_id = ? AND status = 'claimed'
           AND end_at > ? ORDER BY key LIMIT 1""",
        (subscription_id, _ts(now)),
    )


async def open_claims(db: Database, subscription_id: int, now: datetime) -> list[aiosqlite.Row]:
    """Every claim of a subscription whose window is still open (key, due_at, item)."""
    return await db.fetch_all(
        """SELECT key, due_at, item FROM deliveries
           WHERE subscription_id = ? AND status = 'claimed' AND end_at > ?""",
        (subscription_id, _ts(now)),
    )


async def delivery_row(db: Database, subscription_id: int, key: str) -> aiosqlite.Row | None:
    return await db.fetch_one(
        "SELECT * FROM deliveries WHERE subscription_id = ? AND key = ?", (subscription_id, key)
    )


async def last_key(db: Database, subscription_id: int) -> date | None:
    """The newest local date in a subscription's post log."""
    row = await db.fetch_one(
        "SELECT key FROM deliveries WHERE subscription_id = ? ORDER BY key DESC LIMIT 1",
        (subscription_id,),
    )
    return date.fromisoformat(row[0]) if row is not None and row[0] else None


async def pending_claims(db: Database, subscription_ids: Sequence[int]) -> list[aiosqlite.Row]:
    """Every claimed row of the subscriptions, by date."""
    return await db.fetch_all(
        f"""
        SELECT * FROM deliveries
        WHERE status = 'claimed' AND subscription_id IN ({_placeholders(len(subscription_ids))})
        ORDER BY key, subscription_id
        """,
        list(subscription_ids),
    )


async def last_dates(db: Database) -> tuple[dict[int, str | None], dict[int, str | None]]:
    """Per subscription: the newest date in its log, and the newest date it posted."""
    rows = await db.fetch_all(
        """
        SELECT subscription_id, MAX(key) AS last_date,
            MAX(CASE WHEN status = 'sent' THEN key END) AS last_sent
        FROM deliveries GROUP BY subscription_id
        """
    )
    return (
        {int(r["subscription_id"]): r["last_date"] for r in rows},
        {int(r["subscription_id"]): r["last_sent"] for r in rows},
    )
