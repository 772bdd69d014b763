"""Talk reminders: the service the front ends call (subscribe, unsubscribe, status, the
post loop's `run_due`): a thin loop over the store (bot.store.reminder_log, bot.store.changes,
bot.store.deliveries), the pure planner (bot.delivery.reminder_plan) and the one engine.

Each `run_due` loads the enabled subscriptions of its front end, the timed talks, their
delivery rows and the cancelled talks, asks `plan_reminders` what to do now, and hands the
plan to `Engine.run`, which claims (one transaction; the primary key (subscription, key)
makes a second claim impossible, whichever process or restart tries it), sends outside any
transaction with the idempotency key, and records. A claim left by a crash or a failed send
is resolved by later runs as the planner says: sent again (after `find_existing`) while the
talk has not started, moved when a re-import moved the talk later, closed once it started or
was cancelled. A re-import between the reads and the claim can at worst let a reminder for a
talk cancelled that instant go out; the next run then tells the channel it is cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.clock import Clock
from bot.delivery.engine import Result
from bot.delivery.model import DISABLE_AFTER, Poster
from bot.delivery.reminder_answers import reminder_answer
from bot.delivery.reminder_plan import plan_reminders, settled
from bot.delivery.reports import reminders_report
from bot.delivery.service import DeliveryService
from bot.reminders import (
    ReminderInputError,
    ReminderOutcome,
    ReminderPost,
    ReminderStatus,
    ReminderSubscription,
    check_subscription,
    upcoming,
)
from bot.store import deliveries, reminder_log
from bot.store.changes import cancelled_talks
from bot.store.db import Database
from bot.store.reminder_log import load_subscriptions, timed_talks

_log = logging.getLogger(__name__)

__all__ = ["ReminderService", "load_subscriptions", "reminders_report", "timed_talks"]


class ReminderService(DeliveryService[ReminderPost, ReminderOutcome]):
    """Posts talk reminders for one front end.

    Call `run_due()` at start-up and then every minute, or at `next_wakeup` (it never raises,
    except on cancellation). The admin commands are `subscribe`, `unsubscribe`,
    `subscriptions` and `status`; render their results with the answers in
    `bot.delivery.reminder_answers`.
    """

    name = "reminders"

    def __init__(
        self,
        db: Database,
        poster: Poster[ReminderPost],
        *,
        frontend: str,
        clock: Clock | None = None,
        log: logging.Logger | None = None,
        disable_after: int = DISABLE_AFTER,
    ) -> None:
        super().__init__(
            db,
            poster,
            reminder_answer,
            frontend=frontend,
            clock=clock,
            log=log or _log,
            disable_after=disable_after,
        )

    # -- admin commands ------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        guild_id: str,
        channel_id: str,
        minutes_before: str | int,
        created_by: str,
        can_post: bool,
        conference: str | None = None,
        filter_kind: str = "all",
        filter_value: str = "",
    ) -> ReminderStatus:
        """Subscribe a channel (or change N, or turn it back on); returns the subscription
        with its next reminders. ReminderInputError names every problem of bad input, and
        then nothing is stored."""
        cannot_post = (
            ""
            if can_post
            else "\nI cannot post in that channel. Give me permission to send messages (and "
            "embed links) there, or pick another channel."
        )
        try:
            slug, minutes, kind, value = check_subscription(
                await timed_talks(self.db), conference, filter_kind, filter_value, minutes_before
            )
        except ReminderInputError as error:
            raise ReminderInputError(f"{error}{cannot_post}") from None
        if cannot_post:
            raise ReminderInputError(cannot_post.strip())
        sub = await reminder_log.upsert_subscription(
            self.db,
            frontend=self.frontend,
            guild_id=guild_id,
            channel_id=channel_id,
            conference=slug or "",
            minutes_before=minutes,
            filter_kind=kind,
            filter_value=value,
            created_by=created_by,
            now=self._now(),
        )
        self.log.info("reminders: %s channel %s: %s", self.frontend, channel_id, sub.describe())
        return (await self.status(channel_id, subscription_id=sub.id))[0]

    async def unsubscribe(
        self, channel_id: str, *, by: str, subscription_id: int | None = None
    ) -> list[ReminderSubscription]:
        """Turn off the channel's reminders (or just subscription #id). The rows and the log
        stay, so subscribing again never repeats a reminder."""
        async with self._lock:
            subs = await reminder_log.turn_off(
                self.db,
                frontend=self.frontend,
                channel_id=channel_id,
                by=by,
                subscription_id=subscription_id,
            )
            for sub in subs:
                await self._close(sub.id, None, "skipped", "unsubscribed before it was sent")
        return subs

    async def subscriptions(self, guild_id: str | None = None) -> list[ReminderSubscription]:
        subs = await load_subscriptions(self.db, frontend=self.frontend)
        return [sub for sub in subs if guild_id is None or sub.guild_id == str(guild_id)]

    async def status(
        self, channel_id: str, *, subscription_id: int | None = None, limit: int = 3
    ) -> list[ReminderStatus]:
        """Each subscription of the channel (or just #id): log counts, next reminders due."""
        subs = await load_subscriptions(self.db, frontend=self.frontend, channel_id=channel_id)
        subs = [sub for sub in subs if subscription_id in (None, sub.id)]
        talks, log, now = (
            await timed_talks(self.db),
            await reminder_log.log_rows(self.db),
            self._now(),
        )
        out: list[ReminderStatus] = []
        for sub in subs:
            rows = [row for (sub_id, _), row in log.items() if sub_id == sub.id]
            counts: dict[str, int] = {}
            for row in rows:
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            done = settled(rows, talks)
            nxt = upcoming(sub, talks, done, now)[:limit] if sub.enabled else []
            out.append(ReminderStatus(sub, counts, tuple(nxt)))
        return out

    # -- the loop ------------------------------------------------------------------------

    async def _run(self, now: datetime, outcomes: list[ReminderOutcome]) -> None:
        subs = await load_subscriptions(self.db, frontend=self.frontend)
        plan = plan_reminders(
            subs,
            await timed_talks(self.db),
            await deliveries.log_rows(self.db, [sub.id for sub in subs if sub.enabled]),
            await cancelled_talks(self.db),
            now,
        )
        results = await self.engine.run(plan, now, dump=ReminderPost.to_json)
        outcomes += [_outcome(result) for result in results]
        self.next_wakeup = self.engine.next_wakeup

    async def _close(self, sub_id: int, key: str | None, status: str, reason: str) -> None:
        """End claimed rows (one talk's, or all of the subscription's) as skipped or failed."""
        await deliveries.close_claims(self.db, sub_id, key, status, reason, self._now())


def _outcome(result: Result[ReminderPost]) -> ReminderOutcome:
    """The engine's result in the words of reminders."""
    post = result.post
    assert post is not None  # every reminder result is about a post
    detail = result.reason or ""
    if result.kind == "disabled":
        detail = f"Reminders were turned off in this channel: {result.disabled_reason}."
    return ReminderOutcome(
        result.kind,
        result.subscription_id,
        post.channel_id,
        post.talk_key,
        post.title,
        result.message_id,
        detail,
        result.retry_at,
    )
