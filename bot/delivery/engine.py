"""The one delivery engine: send a claimed job through the `Poster`, then record what happened.

Every kind of delivery (daily wisdom, talk reminders, and whatever comes next) goes through
here once its planner has said what is due and the store has claimed the row (subscription,
key) under its primary key:

- `attempt(job)`: ask `find_existing` first when the job may have been delivered already (a
  claim left by a crash, a failed send that may have gone out), else send it with its
  idempotency key. The send happens outside any transaction. The `Answer` comes from the
  kind's answer builder (`answer=`); the engine never builds a platform payload.
- `resolve_closed(job)`: a claim whose window has closed is never sent again: it is recorded
  as delivered when `find_existing` finds it, else closed as skipped (or failed, when sends
  had failed).
- Failures: a transient error backs off (`transient_delay`), a permanent one counts towards
  disabling the subscription (`permanent_delay`, `DISABLE_AFTER`).

Records go through `bot.store.deliveries` (one write style); sent rows may be batched
(`record_batch`) and are written at the latest by `flush()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal

from bot.answer import Answer
from bot.clock import Clock
from bot.delivery.model import (
    DISABLE_AFTER,
    OutcomeKind,
    P,
    PermanentSendError,
    Poster,
    TransientSendError,
    describe,
    permanent_delay,
    transient_delay,
)
from bot.store import deliveries
from bot.store.db import Database

Cause = Literal["transient", "permanent", "lookup", ""]


@dataclass(frozen=True)
class Job(Generic[P]):
    """One claimed delivery: the row (subscription, key), what to post, and its window."""

    subscription_id: int
    key: str
    post: P
    deadline: datetime
    """The end of the window: after it the job is closed, never sent."""
    attempts: int = 0
    error: str | None = None
    """The last send error recorded on the row, if any."""
    retry_until: datetime | None = None
    """A retry is never scheduled after this (a reminder: the talk's start)."""
    label: str = ""
    """How the log names the job ('for 2024-03-25', "'Opening talk'")."""


@dataclass(frozen=True)
class Due(Generic[P]):
    """What a planner says is due now: the post for (subscription, key), sent at the earliest
    at `due` and never after `deadline`."""

    subscription_id: int
    key: str
    post: P
    due: datetime
    deadline: datetime
    label: str = ""


@dataclass(frozen=True)
class Result:
    """What the engine did with a job; each kind turns it into its own outcome."""

    kind: OutcomeKind
    subscription_id: int
    key: str
    message_id: str | None = None
    reason: str | None = None
    retry_at: datetime | None = None
    cause: Cause = ""
    """Why a 'retry': a transient or permanent send error, or a lookup that could not tell."""
    disabled_reason: str | None = None


class Engine(Generic[P]):
    """Sends and records jobs of one kind for one poster; see the module docstring."""

    def __init__(
        self,
        db: Database,
        poster: Poster[P],
        answer: Callable[[P], Answer],
        *,
        clock: Clock,
        log: logging.Logger,
        name: str,
        disable_after: int = DISABLE_AFTER,
        record_batch: int = 1,
    ) -> None:
        self.db = db
        self.poster = poster
        self.answer = answer
        self.clock = clock
        self.log = log
        self.name = name
        self.disable_after = disable_after
        self.record_batch = record_batch
        self._unrecorded: list[tuple[datetime, str, int, str]] = []
        self._reset: set[int] = set()

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    async def run(
        self,
        due: Sequence[Due[P]],
        log: Sequence[Mapping[str, Any]],
        now: datetime,
        *,
        dump: Callable[[P], str],
        load: Callable[[str, datetime | None], P],
    ) -> list[Result]:
        """One run for a planner: resolve the claims in `log` (delivery rows, from
        `bot.store.deliveries.log_rows`) first, then claim what the planner says is `due`
        and send it. `dump` / `load` turn a post into its JSON snapshot and back."""
        results: list[Result] = []
        done = {(int(row["subscription_id"]), str(row["key"])) for row in log}
        for row in log:
            retry = row["next_attempt_at"]
            if row["status"] != "claimed" or (retry and now < _parse(retry)):
                continue
            attempted = _parse(row["attempted_at"]) if row["attempted_at"] else None
            post = load(str(row["snapshot"]), attempted)
            job: Job[P] = Job(
                int(row["subscription_id"]),
                str(row["key"]),
                post,
                _parse(row["end_at"]),
                int(row["attempts"]),
                row["error"],
                label=f"subscription #{row['subscription_id']} {row['key']}",
            )
            if now < job.deadline:
                results.append(await self.attempt(job, now, lookup=True))
            else:
                reason = "not delivered before its window closed"
                results.append(await self.resolve_closed(job, now, skipped=reason, gave_up=reason))
        disabled = {r.subscription_id for r in results if r.kind == "disabled"}
        fresh = [
            item
            for item in due
            if (item.subscription_id, item.key) not in done
            and item.due <= now < item.deadline
            and item.subscription_id not in disabled
        ]
        claims = [
            (item.subscription_id, item.key, item.due, item.deadline, dump(item.post), key)
            for item in fresh
            for key in [item.post.idempotency_key]
        ]
        claimed = set(await deliveries.claim(self.db, claims, now))
        for item in fresh:
            # A subscription disabled by an earlier job of this run had its claims closed.
            if item.subscription_id in disabled:
                continue
            if f"{item.subscription_id}/{item.key}" in claimed:
                job = Job(
                    item.subscription_id, item.key, item.post, item.deadline, label=item.label
                )
                result = await self.attempt(job, now, lookup=False)
                if result.kind == "disabled":
                    disabled.add(item.subscription_id)
                results.append(result)
        await self.flush()
        return results

    async def attempt(self, job: Job[P], now: datetime, *, lookup: bool) -> Result:
        """Send one claimed job (after checking for an earlier delivery when `lookup`)."""
        try:
            if lookup:
                existing = await self.poster.find_existing(job.post)
                if existing is not None:
                    return await self.sent(job, existing, recovered=True)
            message_id = await self.poster.send(job.post, self.answer(job.post))
        except PermanentSendError as error:
            return await self._permanent(job, error.reason, now)
        except TransientSendError as error:
            delay = transient_delay(job.attempts + 1, error.retry_after)
            return await self._retry(job, error.reason, now + delay, now, "transient")
        except Exception as error:
            self.log.exception("%s: unexpected error posting %s", self.name, job.label)
            delay = transient_delay(job.attempts + 1, None)
            return await self._retry(job, describe(error), now + delay, now, "transient")
        return await self.sent(job, str(message_id), recovered=False)

    async def resolve_closed(
        self,
        job: Job[P],
        now: datetime,
        *,
        skipped: str,
        gave_up: str,
        check_until: datetime | None = None,
    ) -> Result:
        """A claim whose window has closed: recorded if it was delivered, else closed as
        skipped (reason `skipped`) or, when sends had failed, failed (`gave_up`; last error).
        While `find_existing` cannot tell, the claim stays pending until `check_until` (then
        fails); without `check_until` it is closed at once as not delivered."""
        try:
            existing = await self.poster.find_existing(job.post)
        except PermanentSendError as error:
            # The channel is gone or closed to us: count it, and stop asking about this post.
            result = await self._permanent(job, error.reason, now)
            if result.kind == "disabled":
                return result
            return await self.close(
                job, "failed", f"window closed; could not check it: {error.reason}"
            )
        except Exception as error:
            reason = describe(error)
            if check_until is None:  # no use keeping it open: close it as not delivered
                self.log.warning("%s: could not check %s: %s", self.name, job.label, reason)
                existing = None
            elif now < check_until:
                retry_at = now + transient_delay(job.attempts + 1, None)
                return await self._retry(job, reason, retry_at, now, "lookup")
            else:
                return await self.close(job, "failed", f"could not check it: {reason}")
        if existing is not None:
            return await self.sent(job, existing, recovered=True)
        if job.error:
            return await self.close(job, "failed", f"{gave_up}; last error: {job.error}")
        return await self.close(job, "skipped", skipped)

    async def sent(self, job: Job[P], message_id: str, *, recovered: bool) -> Result:
        self._unrecorded.append((self._now(), message_id, job.subscription_id, job.key))
        self._reset.add(job.subscription_id)
        if len(self._unrecorded) >= self.record_batch:
            await self.flush()
        if recovered:
            self.log.info(
                "%s: %s was already delivered (%s)",
                self.name,
                job.label,
                message_id,
            )
        return Result(
            "recovered" if recovered else "sent", job.subscription_id, job.key, message_id
        )

    async def flush(self) -> None:
        """Write the sent jobs not written yet."""
        rows, self._unrecorded = self._unrecorded, []
        await deliveries.mark_sent(self.db, rows)
        ids, self._reset = sorted(self._reset), set()
        await deliveries.reset_failures(self.db, ids)

    async def close(self, job: Job[P], status: Literal["skipped", "failed"], reason: str) -> Result:
        await self.flush()
        await deliveries.close_claims(
            self.db, job.subscription_id, job.key, status, reason, self._now()
        )
        self.log.warning(
            "%s: %s subscription #%d %s: %s",
            self.name,
            status,
            job.subscription_id,
            job.label,
            reason,
        )
        return Result(status, job.subscription_id, job.key, reason=reason)

    async def _retry(
        self, job: Job[P], reason: str, retry_at: datetime, now: datetime, cause: Cause
    ) -> Result:
        if job.retry_until is not None:
            retry_at = min(retry_at, job.retry_until)  # the last chance, or closing it, is then
        await self.flush()
        await deliveries.note_attempt(self.db, job.subscription_id, job.key, reason, retry_at, now)
        self.log.info(
            "%s: %s failed (%s); retrying at %s",
            self.name,
            job.label,
            reason,
            retry_at.isoformat(timespec="seconds"),
        )
        return Result(
            "retry", job.subscription_id, job.key, reason=reason, retry_at=retry_at, cause=cause
        )

    async def _permanent(self, job: Job[P], reason: str, now: datetime) -> Result:
        await self.flush()
        failures = await deliveries.count_failure(self.db, job.subscription_id, reason, now)
        failures = failures or self.disable_after
        if failures < self.disable_after:
            self.log.warning(
                "%s: %s was refused (%s), failure %d of %d",
                self.name,
                job.label,
                reason,
                failures,
                self.disable_after,
            )
            return await self._retry(job, reason, now + permanent_delay(failures), now, "permanent")
        disabled = f"{reason} ({failures} failed attempts in a row)"
        await deliveries.disable(self.db, job.subscription_id, disabled, now)
        await deliveries.close_claims(
            self.db, job.subscription_id, None, "failed", reason, now, count_attempt=True
        )
        self.log.error(
            "%s: disabled subscription #%d: %s", self.name, job.subscription_id, disabled
        )
        return Result(
            "disabled", job.subscription_id, job.key, reason=reason, disabled_reason=disabled
        )


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
