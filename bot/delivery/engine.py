"""The one delivery engine: carry out a planner's `Plan`: claim, send through the `Poster`, record.

Every kind of delivery (daily wisdom, talk reminders, cancellation notices, and whatever
comes next) goes through `Engine.run(plan, now)` once its pure planner (bot/delivery/plan.py
says what a plan holds) has said what is due; the store claims each row (subscription, key)
under its primary key before anything is sent:

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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Literal

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
from bot.delivery.plan import Due, Job, Plan
from bot.store import deliveries
from bot.store.db import Database

Cause = Literal["transient", "permanent", "lookup", ""]

__all__ = ["Due", "Engine", "Job", "Plan", "Result"]


@dataclass(frozen=True)
class Result(Generic[P]):
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
    post: P | None = None
    """The post it was about (None for a missed delivery that had none)."""


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
        self.next_wakeup: datetime | None = None
        """After `run`: the earliest moment this kind has something to do (None: nothing)."""
        self._unrecorded: list[tuple[datetime, str, int, str]] = []
        self._reset: set[int] = set()

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    async def run(
        self, plan: Plan[P], now: datetime, *, dump: Callable[[P], str]
    ) -> list[Result[P]]:
        """Carry out one planner's `plan` at `now`: resolve its pending claims, move its
        waits, record what it missed and claim what is due (one transaction), then send each
        claim. `dump` turns a post into its JSON snapshot. Afterwards `next_wakeup` is the
        earliest moment this kind has something to do: the planner's, a retry's, or a claim
        refused because a transaction was open (a data load), tried again soon."""
        wakeups = [plan.wakeup] if plan.wakeup is not None else []
        results: list[Result[P]] = []
        if not deliveries.claim_allowed(self.db):  # a data load is open: do it all later
            self.next_wakeup = min([*wakeups, now + deliveries.CLAIM_RETRY])
            return results
        disabled: set[int] = set()
        for pending in plan.pending:
            if pending.job.subscription_id in disabled:
                continue
            if pending.close is None:
                result = await self.attempt(pending.job, now, lookup=True)
            else:
                close = pending.close
                result = await self.resolve_closed(
                    pending.job,
                    now,
                    skipped=close.skipped,
                    gave_up=close.gave_up,
                    check_until=close.check_until,
                )
            results.append(result)
            if result.kind == "disabled":
                disabled.add(result.subscription_id)
        for wait in plan.waits:
            await deliveries.reschedule(
                self.db, wait.subscription_id, wait.key, wait.due, wait.deadline, dump(wait.post)
            )
            results.append(
                Result(
                    "retry",
                    wait.subscription_id,
                    wait.key,
                    reason=wait.reason,
                    retry_at=wait.due,
                    post=wait.post,
                )
            )
        missed = [item for item in plan.missed if item.subscription_id not in disabled]
        fresh = [
            item
            for item in plan.due
            if item.due <= now < item.deadline and item.subscription_id not in disabled
        ]
        claimed = await deliveries.claim(
            self.db,
            [
                deliveries.Claim(
                    item.subscription_id,
                    item.key,
                    item.due,
                    item.deadline,
                    dump(item.post),
                    item.post.idempotency_key,
                    item.item,
                    item.cycle,
                    item.manual,
                    item.reclaim,
                )
                for item in fresh
            ],
            now,
            missed=[
                deliveries.Skip(
                    item.subscription_id,
                    item.key,
                    item.due,
                    item.deadline,
                    item.reason,
                    None if item.post is None else dump(item.post),
                    None if item.post is None else item.post.idempotency_key,
                    item.reclaim,
                )
                for item in missed
            ],
        )
        if claimed is None or len(claimed) < len(fresh):  # refused, or a row came first
            wakeups.append(now + deliveries.CLAIM_RETRY)
        for skip in missed if claimed is not None else ():
            self.log.warning("%s: skipped %s: %s", self.name, skip.label or skip.key, skip.reason)
            results.append(
                Result(
                    "skipped", skip.subscription_id, skip.key, reason=skip.reason, post=skip.post
                )
            )
        for item in fresh:
            if item.subscription_id in disabled:
                continue  # its claim was closed when the subscription was turned off
            if claimed and f"{item.subscription_id}/{item.key}" in claimed:
                job = Job(
                    item.subscription_id,
                    item.key,
                    item.post,
                    item.deadline,
                    retry_until=item.retry_until,
                    label=item.label,
                )
                result = await self.attempt(job, now, lookup=item.lookup)
                results.append(result)
                if result.kind == "disabled":
                    disabled.add(result.subscription_id)
        await self.flush()
        wakeups += [result.retry_at for result in results if result.retry_at is not None]
        self.next_wakeup = min(wakeups, default=None)
        return results

    async def attempt(self, job: Job[P], now: datetime, *, lookup: bool) -> Result[P]:
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
    ) -> Result[P]:
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

    async def sent(self, job: Job[P], message_id: str, *, recovered: bool) -> Result[P]:
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
            "recovered" if recovered else "sent",
            job.subscription_id,
            job.key,
            message_id,
            post=job.post,
        )

    async def flush(self) -> None:
        """Write the sent jobs not written yet."""
        rows, self._unrecorded = self._unrecorded, []
        await deliveries.mark_sent(self.db, rows)
        ids, self._reset = sorted(self._reset), set()
        await deliveries.reset_failures(self.db, ids)

    async def close(
        self, job: Job[P], status: Literal["skipped", "failed"], reason: str
    ) -> Result[P]:
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
        return Result(status, job.subscription_id, job.key, reason=reason, post=job.post)

    async def _retry(
        self, job: Job[P], reason: str, retry_at: datetime, now: datetime, cause: Cause
    ) -> Result[P]:
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
            "retry",
            job.subscription_id,
            job.key,
            reason=reason,
            retry_at=retry_at,
            cause=cause,
            post=job.post,
        )

    async def _permanent(self, job: Job[P], reason: str, now: datetime) -> Result[P]:
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
            "disabled",
            job.subscription_id,
            job.key,
            reason=reason,
            disabled_reason=disabled,
            post=job.post,
        )
