"""Daily wisdom: the service the front ends call (subscribe, unsubscribe, status, preview,
post_now, the post loop's `run_due`), over the store (bot.store.wisdom_log), the pure rules
(bot.wisdom) and the one engine (bot.delivery.engine).

How a post is made (the order is what gives the guarantees):

1. *Claim*: one INSERT of the row (subscription, local date) with status 'claimed', the chosen
   nugget and a snapshot of its text and attribution. The primary key makes a second claim for
   the same channel and local date impossible, whichever process or restart tries it.
2. *Send* through the front end's `Poster` (bot.delivery.model), with the post's idempotency key.
3. *Record*: status 'sent' with the platform's message id.

A process that dies between 1 and 3 leaves a 'claimed' row. Every `run_due` (and so the one at
start-up) resolves such rows first: it asks the poster whether a message with the key already
exists (`find_existing`) and records it, or sends again with the same key if the post's window
is still open, or records it as skipped when the window has closed. Send failures keep the
claim and set `next_attempt_at` (backoff, no sleeping); permanent failures count towards
disabling the subscription. Nothing is sent while a database transaction is open, and every
write is a single atomic statement.

The rotation state is not stored separately: it is the post log itself. Rows that are claimed
or sent carry their `cycle`; a row that ends skipped or failed loses its cycle, which gives its
nugget back to the walk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiosqlite

from bot.clock import Clock, SystemClock
from bot.delivery.answers import wisdom_answer
from bot.delivery.engine import Engine, Job, Result
from bot.delivery.model import DISABLE_AFTER, Poster
from bot.delivery.reports import wisdom_report
from bot.delivery.wisdom_commands import WisdomCommands
from bot.store import deliveries, wisdom_log, wisdom_subscriptions
from bot.store.db import Database
from bot.store.wisdom_log import _claim, _post, _record, _rotation, post_log
from bot.store.wisdom_subscriptions import (
    get_subscription,
    list_subscriptions,
)
from bot.wisdom import (
    DEFAULT_GRACE,
    CycleState,
    Outcome,
    Pick,
    PostRecord,
    Slot,
    Subscription,
    WisdomPost,
    format_local_date,
    format_moment,
    format_post_time,
    next_nugget,
    plan_slots,
)

__all__ = [
    "WisdomService",
    "get_subscription",
    "list_subscriptions",
    "post_log",
    "wisdom_report",
]

_log = logging.getLogger(__name__)

RECORD_BATCH = 20
"""Sent posts are recorded at the end of each run, or every RECORD_BATCH sends if sooner."""

LOOKUP_GIVE_UP = timedelta(hours=24)
"""How long after its window a claim whose delivery cannot be checked stays pending."""

_ts = deliveries.ts


# --------------------------------------------------------------------------------------------
# The service


class WisdomService(WisdomCommands):
    """Posts daily wisdom for one front end.

    Call `run_due()` once at start-up and then every minute (it never raises, except on
    cancellation); it resolves claims left by a crash, records missed dates, claims and sends
    what is due and retries failed sends when their backoff has passed. `next_wakeup` then
    holds the earliest moment it has anything to do. The admin commands are `subscribe`,
    `unsubscribe`, `status`, `preview` and `post_now`; render their results with the
    `*_answer` helpers in `bot.wisdom`.

    Run one service per front end and database; `run_due` and `post_now` are serialised by a
    lock, so they never send the same post concurrently.
    """

    def __init__(
        self,
        db: Database,
        poster: Poster[WisdomPost],
        *,
        frontend: str,
        clock: Clock | None = None,
        grace: timedelta = DEFAULT_GRACE,
        log: logging.Logger | None = None,
        disable_after: int = DISABLE_AFTER,
    ) -> None:
        self.db = db
        self.poster = poster
        self.frontend = frontend
        self.clock: Clock = clock or SystemClock()
        self.grace = grace
        self.log = log or _log
        self.disable_after = disable_after
        self.next_wakeup: datetime | None = None
        self._lock = asyncio.Lock()
        self._warned_empty_pool = False
        self.engine: Engine[WisdomPost] = Engine(
            db,
            poster,
            wisdom_answer,
            clock=self.clock,
            log=self.log,
            name="daily wisdom",
            disable_after=disable_after,
            record_batch=RECORD_BATCH,
        )
        self._quiet: dict[int, tuple[tuple[time, str, date], Slot]] = {}

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    # -- the post loop -------------------------------------------------------------------

    async def run_due(self) -> list[Outcome]:
        """Do everything that is due now; see the class docstring. Never raises Exception."""
        async with self._lock:
            outcomes: list[Outcome] = []
            try:
                await self._run_due(outcomes)
                await self._record_sent()
            except Exception:
                self.log.exception("daily wisdom: run_due failed; trying again on the next run")
                self.next_wakeup = None
                with contextlib.suppress(Exception):
                    await self._record_sent()
            return outcomes

    async def _run_due(self, outcomes: list[Outcome]) -> None:
        now = self._now()
        subs, last_dates, any_pending = await wisdom_subscriptions.due_subscriptions(
            self.db, self.frontend
        )
        wakeups: list[datetime] = []

        # 1. Claims left pending: by a crash (resolve at once) or a failed send (backoff).
        if any_pending:
            claims = await wisdom_log.pending_claims(self.db, list(subs))
            for claim in claims:
                sub = subs.get(int(claim["subscription_id"]))
                if sub is None:
                    continue  # disabled meanwhile
                record = _record(claim)
                if record.next_attempt_at is not None and now < record.next_attempt_at:
                    wakeups.append(record.next_attempt_at)  # backing off
                    continue
                outcome = await self._resolve(sub, claim, record, now)
                outcomes.append(outcome)
                if outcome.retry_at is not None:
                    wakeups.append(outcome.retry_at)
                subs = await self._refresh(subs, outcome)

        # 2. Plan every subscription: dates missed, the date due now, the next one.
        due: list[tuple[Subscription, Slot]] = []
        missed: list[tuple[Subscription, Slot]] = []
        for sub in subs.values():
            after = max(sub.start_date - timedelta(days=1), last_dates.get(sub.id, date.min))
            key = (sub.post_time, sub.zone, after)
            quiet = self._quiet.get(sub.id)
            if quiet is not None and quiet[0] == key and now < quiet[1].due:
                wakeups.append(quiet[1].due)  # same plan as last time: nothing due yet
                continue
            plan = plan_slots(sub.post_time, sub.tz, after, now, self.grace)
            if not plan.missed and plan.due is None:
                self._quiet[sub.id] = (key, plan.upcoming)
            missed += [(sub, slot) for slot in plan.missed]
            if plan.due is not None:
                due.append((sub, plan.due))
            wakeups.append(plan.upcoming.due)
        if missed:
            outcomes += await self._record_missed(missed)

        # 3. Claim what is due, then send each claim.
        if due:
            pool, states = await _rotation(self.db, [sub.id for sub, _ in due])
            picks: list[tuple[Subscription, Slot, Pick, bool]] = []
            for sub, slot in due:
                pick = next_nugget(pool, states.get(sub.id, CycleState()), sub.seed)
                if pick is None:
                    if not self._warned_empty_pool:
                        self.log.warning("daily wisdom: no nuggets are loaded; nothing to post")
                        self._warned_empty_pool = True
                    wakeups.append(now + timedelta(minutes=1))
                    continue
                picks.append((sub, slot, pick, False))
            self._warned_empty_pool = self._warned_empty_pool and not picks
            claimed = await _claim(self.db, picks, now)
            if len(claimed) < len(picks):  # a transaction was open, or a nugget vanished
                wakeups.append(now + deliveries.CLAIM_RETRY)
            claimed.sort(key=lambda row: (str(row["due_at"]), int(row["subscription_id"])))
            for row in claimed:
                sub = subs[int(row["subscription_id"])]
                outcome = await self._attempt(sub, row, now, lookup=False)
                outcomes.append(outcome)
                if outcome.retry_at is not None:
                    wakeups.append(outcome.retry_at)
                subs = await self._refresh(subs, outcome)

        self.next_wakeup = min(wakeups) if wakeups else None

    async def _refresh(
        self, subs: dict[int, Subscription], outcome: Outcome
    ) -> dict[int, Subscription]:
        """Reload a subscription whose failure count changed; drop it once disabled."""
        if outcome.kind not in ("retry", "disabled", "failed", "sent", "recovered"):
            return subs
        sub = subs.get(outcome.subscription_id)
        if sub is None:
            return subs
        if outcome.kind in ("sent", "recovered"):
            if sub.failures:
                subs = {**subs, sub.id: replace(sub, failures=0)}
            return subs
        fresh = await get_subscription(self.db, self.frontend, sub.channel_id)
        subs = dict(subs)
        if fresh is None or not fresh.enabled:
            subs.pop(sub.id, None)
        else:
            subs[sub.id] = fresh
        return subs

    async def _record_missed(self, missed: list[tuple[Subscription, Slot]]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        params: list[tuple[Any, ...]] = []
        for sub, slot in missed:
            zone = sub.tz
            if slot.end <= slot.due:
                reason = (
                    f"missed: {format_post_time(sub.post_time)} on {slot.local_date} does not "
                    f"occur in {sub.zone} before the day ends"
                )
            else:
                reason = (
                    f"missed: not posted between {format_moment(slot.due, zone)} and "
                    f"{format_moment(slot.end, zone)} (the bot was not running, or no nuggets "
                    "were loaded)"
                )
            params.append(
                (sub.id, slot.local_date.isoformat(), _ts(slot.due), _ts(slot.end), reason)
            )
            self.log.warning(
                "daily wisdom: skipped %s channel %s for %s: %s",
                *_who(sub),
                slot.local_date,
                reason,
            )
            outcomes.append(
                Outcome("skipped", sub.id, sub.channel_id, slot.local_date, None, reason)
            )
        await wisdom_log.record_missed(self.db, params)
        return outcomes

    def _job(self, sub: Subscription, row: aiosqlite.Row) -> Job[WisdomPost]:
        record = _record(row)
        return Job(
            subscription_id=sub.id,
            key=record.local_date.isoformat(),
            post=_post(sub, row),
            deadline=record.end_at,
            attempts=record.attempts,
            error=record.error,
            label=f"{sub.frontend} channel {sub.channel_id} for {record.local_date}",
        )

    async def _resolve(
        self, sub: Subscription, row: aiosqlite.Row, record: PostRecord, now: datetime
    ) -> Outcome:
        """A claim found pending: retry it while its window is open, close it otherwise."""
        if now < record.end_at:
            return await self._attempt(sub, row, now, lookup=True)
        result = await self.engine.resolve_closed(
            self._job(sub, row),
            now,
            skipped="claimed but the bot stopped before posting it, and it was not back before "
            "the window closed",
            gave_up="gave up when its window closed",
            check_until=record.end_at + LOOKUP_GIVE_UP,
        )
        return self._outcome(sub, record.local_date, result)

    async def _attempt(
        self, sub: Subscription, row: aiosqlite.Row, now: datetime, *, lookup: bool
    ) -> Outcome:
        """Send one claimed post (after checking for an earlier delivery when `lookup`)."""
        job = self._job(sub, row)
        result = await self.engine.attempt(job, now, lookup=lookup)
        return self._outcome(sub, job.post.local_date, result)

    async def _record_sent(self) -> None:
        await self.engine.flush()

    def _outcome(self, sub: Subscription, local_date: date, result: Result[WisdomPost]) -> Outcome:
        """The engine's result in daily wisdom's words."""
        day = format_local_date(local_date)
        reason = result.reason or ""
        if result.kind == "sent":
            detail = f"Posted the nugget for {day}."
        elif result.kind == "recovered":
            detail = f"The nugget for {day} was already posted."
        elif result.kind == "disabled":
            detail = f"Daily wisdom was turned off in this channel: {result.disabled_reason}."
        elif result.cause == "transient":
            detail = f"The platform did not take the post ({reason}); retrying soon."
        elif result.cause == "permanent":
            detail = f"The platform refused the post: {reason}."
        elif result.cause == "lookup":
            detail = f"could not check whether it was posted: {reason}"
        else:
            detail = reason
        return Outcome(
            result.kind,
            sub.id,
            sub.channel_id,
            local_date,
            result.message_id,
            detail,
            retry_at=result.retry_at,
        )


def _who(sub: Subscription) -> tuple[str, str]:
    return sub.frontend, sub.channel_id


def _by_date(record: PostRecord) -> date:
    return record.local_date
