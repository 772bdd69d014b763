"""The delivery log, whatever the kind: what is recorded after a send, and how a claim ends.

Persistence only: nothing here calls a poster or builds an `Answer`. Both kinds (daily
wisdom, talk reminders) record through these functions, in one write style:

- a *claim batch* (reading what is due and inserting the 'claimed' rows) runs in one
  `db.transaction()`, and only when no transaction is open on the shared connection (a data
  load): `claim_allowed(db)` is asked first, and a refused claim is tried again 5 s later;
- sends happen outside any transaction;
- every *record* after a send (sent, attempt and backoff, failure count, disable, close) is
  one statement through `Database.execute` / `execute_returning`, which waits for another
  coroutine's transaction instead of slipping into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bot.store.db import Database

CHUNK = 200
"""Rows per multi-row statement (SQLite's variable limit is far above CHUNK * 9)."""

CLAIM_RETRY = timedelta(seconds=5)
"""How soon a claim refused because a transaction was open is tried again."""


def ts(moment: datetime) -> str:
    """A moment as stored: UTC ISO 8601 with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def placeholders(count: int) -> str:
    return ", ".join("?" for _ in range(count))


def claim_allowed(db: Database) -> bool:
    """May a claim batch start now? Not while any transaction is open on the connection.

    A claim made inside someone else's transaction (a data load awaiting its next statement)
    would vanish with that transaction's rollback after the post went out, so the date could
    be claimed and posted again. Checked right before `db.transaction()` is entered.
    """
    return not db.in_transaction


async def mark_sent(db: Database, rows: Sequence[tuple[datetime, str, int, str]]) -> None:
    """Record deliveries as sent: (sent at, message id, subscription id, key), in batches."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        await db.execute(
            f"""
            WITH sent(sent_at, message_id, subscription_id, key) AS (
                VALUES {", ".join("(?, ?, ?, ?)" for _ in chunk)}
            )
            UPDATE deliveries SET status = 'sent', sent_at = sent.sent_at,
                updated_at = sent.sent_at, message_id = sent.message_id, next_attempt_at = NULL
            FROM sent
            WHERE deliveries.subscription_id = sent.subscription_id
                AND deliveries.key = sent.key
            """,
            [value for sent_at, *rest in chunk for value in (ts(sent_at), *rest)],
        )


async def reset_failures(db: Database, subscription_ids: Sequence[int]) -> None:
    """A delivery went out: the subscriptions' counts of permanent failures start again."""
    ids = sorted(set(subscription_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await db.execute(
            f"UPDATE subscriptions SET failures = 0 "
            f"WHERE id IN ({placeholders(len(chunk))}) AND failures > 0",
            chunk,
        )


async def note_attempt(
    db: Database, subscription_id: int, key: str, reason: str, retry_at: datetime, now: datetime
) -> None:
    """A send (or a lookup) of a claimed row failed: count it, back off until `retry_at`,
    and keep the reason on the row and on the subscription."""
    await db.execute(
        """
        UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, error = ?,
            updated_at = ?
        WHERE subscription_id = ? AND key = ? AND status = 'claimed'
        """,
        (ts(retry_at), reason, ts(now), subscription_id, key),
    )
    await db.execute(
        "UPDATE subscriptions SET last_error = ?, last_error_at = ? WHERE id = ?",
        (reason, ts(now), subscription_id),
    )


async def count_failure(db: Database, subscription_id: int, reason: str, now: datetime) -> int:
    """A permanent send failure: returns the subscription's consecutive count (0 when the
    subscription is gone)."""
    rows = await db.execute_returning(
        """
        UPDATE subscriptions SET failures = failures + 1, last_error = ?, last_error_at = ?
        WHERE id = ? RETURNING failures
        """,
        (reason, ts(now), subscription_id),
    )
    return int(rows[0][0]) if rows else 0


async def disable(db: Database, subscription_id: int, reason: str, now: datetime) -> None:
    """Turn a subscription off (repeated permanent failures, or an unsubscribe)."""
    await db.execute(
        "UPDATE subscriptions SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ?",
        (reason, ts(now), subscription_id),
    )


async def close_claims(
    db: Database,
    subscription_id: int,
    key: str | None,
    status: str,
    reason: str,
    now: datetime,
    *,
    count_attempt: bool = False,
) -> None:
    """End claimed rows, one (`key`) or all of the subscription's, as 'skipped' or 'failed'.

    A closed row loses its rotation cycle (daily wisdom gives its nugget back to the walk).
    """
    await db.execute(
        """
        UPDATE deliveries SET status = ?1, error = ?2, cycle = NULL, next_attempt_at = NULL,
            attempts = attempts + ?3, updated_at = ?4
        WHERE subscription_id = ?5 AND (?6 IS NULL OR key = ?6) AND status = 'claimed'
        """,
        (status, reason, int(count_attempt), ts(now), subscription_id, key),
    )


async def reschedule(
    db: Database, subscription_id: int, key: str, due: datetime, end: datetime, snapshot: str
) -> None:
    """A claimed row that must wait for a later moment (its talk moved later): new due
    moment, window and snapshot; nothing is tried before `due`."""
    await db.execute(
        """
        UPDATE deliveries SET due_at = ?1, next_attempt_at = ?1, end_at = ?2, snapshot = ?3
        WHERE subscription_id = ?4 AND key = ?5 AND status = 'claimed'
        """,
        (ts(due), ts(end), snapshot, subscription_id, key),
    )


async def update_subscription(db: Database, subscription_id: int, **values: Any) -> None:
    columns = ", ".join(f"{name} = ?" for name in values)
    await db.execute(
        f"UPDATE subscriptions SET {columns} WHERE id = ?", (*values.values(), subscription_id)
    )


class Claim(NamedTuple):
    """One row to claim: (subscription, key), its window, what it will post, and whether it
    may take over a row that ended skipped or failed (never one claimed or sent)."""

    subscription_id: int
    key: str
    due: datetime
    end: datetime
    snapshot: str
    idempotency_key: str
    item: str | None = None
    cycle: int | None = None
    manual: bool = False
    reclaim: bool = False


class Skip(NamedTuple):
    """One delivery missed before it was claimed, recorded as 'skipped' with its reason."""

    subscription_id: int
    key: str
    due: datetime
    end: datetime
    reason: str
    snapshot: str | None = None
    idempotency_key: str | None = None
    reclaim: bool = False
    """May replace an earlier skipped row of the same key."""


_INSERT = """
INSERT INTO deliveries (subscription_id, key, status, due_at, end_at, snapshot,
    idempotency_key, item, cycle, manual, attempted_at, updated_at)
VALUES {values}
ON CONFLICT (subscription_id, key) DO {conflict}
RETURNING subscription_id, key
"""

_TAKE_OVER = """UPDATE SET status = 'claimed', due_at = excluded.due_at,
    end_at = excluded.end_at, snapshot = excluded.snapshot, item = excluded.item,
    cycle = excluded.cycle, manual = excluded.manual,
    idempotency_key = coalesce(deliveries.idempotency_key, excluded.idempotency_key),
    attempted_at = excluded.attempted_at, attempts = 0, error = NULL, next_attempt_at = NULL,
    sent_at = NULL, message_id = NULL, updated_at = excluded.updated_at
WHERE deliveries.status IN ('skipped', 'failed')"""

_SKIP = """
INSERT INTO deliveries (subscription_id, key, status, due_at, end_at, error, snapshot,
    idempotency_key, updated_at)
VALUES (?1, ?2, 'skipped', ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (subscription_id, key) DO UPDATE SET due_at = excluded.due_at,
    end_at = excluded.end_at, error = excluded.error, snapshot = excluded.snapshot,
    updated_at = excluded.updated_at
WHERE ?9 AND deliveries.status = 'skipped'
"""


async def claim(
    db: Database, rows: Sequence[Claim], now: datetime, *, missed: Sequence[Skip] = ()
) -> list[str] | None:
    """Claim deliveries and record the missed ones, in one transaction. A key that already
    has a row is never claimed again (the primary key; a `reclaim` row takes over one that
    ended skipped or failed). Returns the "subscription id/key" of the rows this call
    claimed, or None when a transaction is open (`claim_allowed`) and nothing was written."""
    if not rows and not missed:
        return []
    if not claim_allowed(db):
        return None
    claimed: list[str] = []
    stamp = ts(now)
    async with db.transaction():
        if missed:
            await db.execute_many(
                _SKIP,
                [
                    (sub_id, key, ts(due), ts(end), reason, snapshot, idem, stamp, int(reclaim))
                    for sub_id, key, due, end, reason, snapshot, idem, reclaim in missed
                ],
            )
        for reclaim in (False, True):
            batch = [row for row in rows if row.reclaim == reclaim]
            size = 1 if reclaim else CHUNK
            for start in range(0, len(batch), size):
                chunk = batch[start : start + size]
                values = ", ".join("(?, ?, 'claimed', ?, ?, ?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
                sql = _INSERT.format(values=values, conflict=_TAKE_OVER if reclaim else "NOTHING")
                params = [
                    value
                    for row in chunk
                    for value in (
                        row.subscription_id,
                        row.key,
                        ts(row.due),
                        ts(row.end),
                        row.snapshot,
                        row.idempotency_key,
                        row.item,
                        row.cycle,
                        int(row.manual),
                        stamp,
                        stamp,
                    )
                ]
                claimed += [f"{found[0]}/{found[1]}" for found in await db.fetch_all(sql, params)]
    return claimed


async def log_rows(db: Database, subscription_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Every delivery row of the subscriptions (for a planner), oldest key first."""
    out: list[dict[str, Any]] = []
    ids = sorted(set(subscription_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = await db.fetch_all(
            f"SELECT * FROM deliveries WHERE subscription_id IN ({placeholders(len(chunk))}) "
            "ORDER BY subscription_id, key",
            chunk,
        )
        out += [dict(row) for row in rows]
    return out
