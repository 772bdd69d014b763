"""Daily wisdom: the service the front ends call (subscribe, unsubscribe, status, preview,
post_now, the post loop's `run_due`): a thin loop over the store (bot.store.wisdom_log,
bot.store.wisdom_subscriptions), the pure planner (bot.delivery.wisdom_plan) and the one
engine (bot.delivery.engine).

Each `run_due` loads the enabled subscriptions of its front end with the newest date in each
one's log and its pending claims, asks `plan_days` which dates are due, missed or pending,
reads the rotation state and the chosen nuggets' text only for the dates due, and hands
`plan_wisdom`'s plan to `Engine.run`. The engine claims the row (subscription, local date)
with a snapshot of the nugget before anything is sent (the primary key makes a second claim
for the same channel and date impossible, whichever process or restart tries it), sends with
the idempotency key outside any transaction, and records; a claim left by a crash or a failed
send is resolved by later runs (found and recorded, sent again inside its window, closed
after it). Permanent failures count towards disabling the subscription.

The rotation state is not stored separately: it is the post log itself. Rows that are claimed
or sent carry their `cycle`; a row that ends skipped or failed loses its cycle, which gives its
nugget back to the walk.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import aiosqlite

from bot.clock import Clock
from bot.delivery.answers import wisdom_answer
from bot.delivery.engine import Result
from bot.delivery.model import DISABLE_AFTER, Poster
from bot.delivery.reports import wisdom_report
from bot.delivery.wisdom_commands import WisdomCommands
from bot.delivery.wisdom_plan import choose_nuggets, dump_post, plan_days, plan_wisdom
from bot.store import wisdom_log, wisdom_subscriptions
from bot.store.db import Database
from bot.store.wisdom_log import post_log
from bot.store.wisdom_subscriptions import get_subscription, list_subscriptions
from bot.wisdom import (
    DEFAULT_GRACE,
    Outcome,
    Pick,
    Slot,
    Subscription,
    WisdomPost,
    format_local_date,
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

    name = "daily wisdom"

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
        super().__init__(
            db,
            poster,
            wisdom_answer,
            frontend=frontend,
            clock=clock,
            log=log or _log,
            disable_after=disable_after,
            record_batch=RECORD_BATCH,
        )
        self.grace = grace
        self._warned_empty_pool = False

    async def _run(self, now: datetime, outcomes: list[Outcome]) -> None:
        subs, last_dates, any_pending = await wisdom_subscriptions.due_subscriptions(
            self.db, self.frontend
        )
        claims = await wisdom_log.pending_claims(self.db, list(subs)) if any_pending else []
        days = plan_days(subs, last_dates, claims, now, self.grace)
        picks: list[tuple[Subscription, Slot, Pick]] = []
        details: dict[str, aiosqlite.Row] = {}
        if days.due:
            pool, states = await wisdom_log.rotation(self.db, [sub.id for sub, _ in days.due])
            pools = await self._pools([sub for sub, _ in days.due], pool)
            picks = choose_nuggets(days.due, pools, states)
            details = await wisdom_log.nugget_details(self.db, [pick.key for *_, pick in picks])
            if not picks and not self._warned_empty_pool:
                self.log.warning("daily wisdom: no nuggets are loaded; nothing to post")
            self._warned_empty_pool = not picks
        plan = plan_wisdom(days, picks, details, now)
        for result in await self.engine.run(plan, now, dump=dump_post):
            local_date = date.fromisoformat(result.key)
            outcomes.append(self._outcome(subs[result.subscription_id], local_date, result))
        self.next_wakeup = self.engine.next_wakeup

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
