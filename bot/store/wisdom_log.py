"""Daily wisdom's post log in the store: its rows, the rotation read from it, the claim, and
the reads of the service and the report. Persistence only: the service that posts is
bot.delivery.wisdom_service; subscriptions are bot.store.wisdom_subscriptions."""

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
    Pick,
    PostRecord,
    Slot,
    Subscription,
    WisdomPost,
    idempotency_key,
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


def _post(sub: Subscription, row: aiosqlite.Row) -> WisdomPost:
    """The post a claimed row stands for, from the snapshot taken when it was claimed."""
    snapshot = _snapshot(row)
    return WisdomPost(
        subscription_id=sub.id,
        frontend=sub.frontend,
        guild_id=sub.guild_id,
        channel_id=sub.channel_id,
        local_date=date.fromisoformat(str(row["key"])),
        scheduled_at=_need_dt(str(row["due_at"])),
        zone=sub.zone,
        nugget_key=str(row["item"]),
        text=str(snapshot["text"]),
        speaker=snapshot.get("speaker"),
        source=str(snapshot["source"]),
        talk_title=str(snapshot["talk_title"]),
        conference_name=str(snapshot["conference_name"]),
        manual=bool(row["manual"]),
        stored_key=row["idempotency_key"],
        # The claim is written right before the first send, so no delivery is older.
        attempted_at=_dt(row["attempted_at"]),
    )


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


async def _rotation(
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


async def _nugget_details(db: Database, keys: Sequence[str]) -> dict[str, aiosqlite.Row]:
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


_CLAIM_SQL = """
WITH picks(subscription_id, key, item, cycle, due_at, end_at, manual,
           attempted_at, idempotency_key) AS (VALUES {values})
INSERT INTO deliveries (
    subscription_id, key, status, due_at, end_at, manual, cycle, item, snapshot,
    attempted_at, attempts, idempotency_key
)
SELECT p.subscription_id, p.key, 'claimed', p.due_at, p.end_at, p.manual, p.cycle,
    n.key, json_object('text', n.text, 'speaker', n.speaker, 'source', n.source,
        'talk_title', t.title, 'conference_name', c.name), p.attempted_at, 0, p.idempotency_key
FROM picks p
JOIN nuggets n ON n.key = p.item
JOIN talks t ON t.id = n.talk_id
JOIN conferences c ON c.id = t.conference_id
WHERE true
ON CONFLICT (subscription_id, key) DO {conflict}
RETURNING *
"""

_RECLAIM = """UPDATE SET status = 'claimed', due_at = excluded.due_at,
    end_at = excluded.end_at, manual = 1, cycle = excluded.cycle,
    item = excluded.item, snapshot = excluded.snapshot,
    idempotency_key = coalesce(deliveries.idempotency_key, excluded.idempotency_key),
    attempted_at = excluded.attempted_at,
    next_attempt_at = NULL, sent_at = NULL, message_id = NULL
WHERE deliveries.status IN ('skipped', 'failed')"""


async def _claim(
    db: Database,
    picks: Sequence[tuple[Subscription, Slot, Pick, bool]],
    now: datetime,
    *,
    reclaim: bool = False,
) -> list[aiosqlite.Row]:
    """Claim posts in one transaction; returns the rows this call claimed. A date that already
    has a row is not claimed again (with `reclaim`, a skipped or failed row is). Claims nothing
    while a transaction is open on the connection (`deliveries.claim_allowed`)."""
    if not picks or not deliveries.claim_allowed(db):
        return []
    async with db.transaction():
        return await _claim_chunks(db, picks, now, reclaim)


async def _claim_chunks(
    db: Database,
    picks: Sequence[tuple[Subscription, Slot, Pick, bool]],
    now: datetime,
    reclaim: bool,
) -> list[aiosqlite.Row]:
    claimed: list[aiosqlite.Row] = []
    for start in range(0, len(picks), _CHUNK):
        chunk = picks[start : start + _CHUNK]
        params: list[Any] = []
        for sub, slot, pick, manual in chunk:
            params += [
                sub.id,
                slot.local_date.isoformat(),
                pick.key,
                pick.cycle,
                _ts(slot.due),
                _ts(slot.end),
                int(manual),
                _ts(now),
                idempotency_key(sub.id, slot.local_date),
            ]
        sql = _CLAIM_SQL.format(
            values=", ".join("(?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in chunk),
            conflict=_RECLAIM if reclaim else "NOTHING",
        )
        claimed += await db.fetch_all(sql, params)
    return claimed


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


async def record_missed(db: Database, rows: Sequence[tuple[Any, ...]]) -> None:
    """Dates that passed unposted: (subscription id, date, due, end, reason) as 'skipped'."""
    await db.execute_many(
        """
        INSERT INTO deliveries (subscription_id, key, status, due_at, end_at,
            error)
        VALUES (?, ?, 'skipped', ?, ?, ?)
        ON CONFLICT (subscription_id, key) DO NOTHING
        """,
        rows,
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
