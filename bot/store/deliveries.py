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
from typing import Any

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


async def update_row(db: Database, subscription_id: int, key: str, **values: Any) -> None:
    """Set columns of one delivery row (a reminder whose talk moved: new due time)."""
    columns = ", ".join(f"{name} = ?" for name in values)
    await db.execute(
        f"UPDATE deliveries SET {columns} WHERE subscription_id = ? AND key = ?",
        (*values.values(), subscription_id, key),
    )


async def update_subscription(db: Database, subscription_id: int, **values: Any) -> None:
    columns = ", ".join(f"{name} = ?" for name in values)
    await db.execute(
        f"UPDATE subscriptions SET {columns} WHERE id = ?", (*values.values(), subscription_id)
    )


async def claim(
    db: Database,
    rows: Sequence[tuple[int, str, datetime, datetime, str, str]],
    now: datetime,
) -> list[str]:
    """Claim deliveries, in one transaction: (subscription id, key, due, window end, JSON
    snapshot, idempotency key). A key that already has a row is never claimed again (the
    primary key); returns the "subscription id/key" of the rows this call claimed, or nothing
    when a transaction is open (`claim_allowed`)."""
    if not rows or not claim_allowed(db):
        return []
    claimed: list[str] = []
    async with db.transaction():
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            result = await db.fetch_all(
                f"""
                INSERT INTO deliveries (subscription_id, key, status, due_at, end_at, snapshot,
                    idempotency_key, attempted_at, updated_at)
                VALUES {", ".join("(?, ?, 'claimed', ?, ?, ?, ?, ?, ?)" for _ in chunk)}
                ON CONFLICT (subscription_id, key) DO NOTHING
                RETURNING subscription_id, key
                """,
                [
                    value
                    for sub_id, key, due, end, snapshot, idem in chunk
                    for value in (sub_id, key, ts(due), ts(end), snapshot, idem, ts(now), ts(now))
                ],
            )
            claimed += [f"{row[0]}/{row[1]}" for row in result]
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
