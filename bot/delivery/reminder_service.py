"""Talk reminders: the service the front ends call (subscribe, unsubscribe, status, the
post loop's `run_due`), over the store (bot.store.reminder_log, bot.store.deliveries), the
pure rules (bot.reminders) and the one engine (bot.delivery.engine).

How a reminder is made (the order is what gives the guarantees):

1. *Claim*: in one transaction, read the subscriptions, the timed talks and the log, then
   insert a 'claimed' row (subscription, talk key) for every reminder due now, and a
   'skipped' row for every reminder whose talk started while the bot was not running. The
   primary key makes a second claim impossible, whichever process or restart tries it.
2. *Send* through the front end's `Poster` (bot.delivery.model), with the idempotency key,
   outside any transaction.
3. *Record*: status 'sent' with the message id.

A 'claimed' row left by a crash or a failed send is resolved by later runs: while the talk has
not started, ask `find_existing` and record it, or send again with the same key; once the talk
has started or was cancelled, only ask `find_existing`, then close the row as skipped (or
failed, when sends had failed). A skipped row is claimed again only when a re-import moved its
talk (its start changed): it was never delivered, so that cannot double-post.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock, SystemClock
from bot.delivery.engine import Engine, Job, Result
from bot.delivery.model import DISABLE_AFTER, Poster
from bot.delivery.reports import reminders_report
from bot.reminders import (
    ReminderInputError,
    ReminderOutcome,
    ReminderPost,
    ReminderStatus,
    ReminderSubscription,
    ReminderTalk,
    check_subscription,
    decide,
    reminder_answer,
    upcoming,
)
from bot.store import deliveries, reminder_log
from bot.store.content import utc_text
from bot.store.db import Database
from bot.store.reminder_log import load_subscriptions, timed_talks

_log = logging.getLogger(__name__)

__all__ = ["ReminderService", "load_subscriptions", "reminders_report", "timed_talks"]


def _ts(moment: datetime) -> str:
    return utc_text(moment) or ""


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


class ReminderService:
    """Posts talk reminders for one front end.

    Call `run_due()` at start-up and then every minute, or at `next_wakeup` (it never raises,
    except on cancellation). The admin commands are `subscribe`, `unsubscribe`,
    `subscriptions` and `status`; render their results with the answers in `bot.reminders`.
    """

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
        self.db = db
        self.poster = poster
        self.frontend = frontend
        self.clock: Clock = clock or SystemClock()
        self.log = log or _log
        self.disable_after = disable_after
        self.next_wakeup: datetime | None = None
        self._lock = asyncio.Lock()
        self._disabled: set[int] = set()
        self.engine: Engine[ReminderPost] = Engine(
            db,
            poster,
            reminder_answer,
            clock=self.clock,
            log=self.log,
            name="reminders",
            disable_after=disable_after,
        )

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

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
        self._disabled.discard(sub.id)
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
            done = {str(row["key"]) for row in rows}
            nxt = upcoming(sub, talks, done, now)[:limit] if sub.enabled else []
            out.append(ReminderStatus(sub, counts, tuple(nxt)))
        return out

    # -- the loop ------------------------------------------------------------------------

    async def run_due(self) -> list[ReminderOutcome]:
        """Claim, send, retry and close whatever is due now. Never raises Exception."""
        async with self._lock:
            outcomes: list[ReminderOutcome] = []
            try:
                await self._run(outcomes)
            except Exception:
                self.log.exception("reminders: run_due failed; trying again on the next run")
                self.next_wakeup = None
            return outcomes

    async def _run(self, outcomes: list[ReminderOutcome]) -> None:
        now = self._now()
        self._disabled = set()
        if not deliveries.claim_allowed(self.db):  # a data load is open: claim later
            self.next_wakeup = now + deliveries.CLAIM_RETRY
            return
        async with self.db.transaction():  # read and claim atomically: no re-import between
            pending, fresh, wakeups = await self._claim(now, outcomes)
        for sub, row, talk in pending:
            if sub.id not in self._disabled:
                outcomes.append(await self._resolve(sub, row, talk, now))
        for sub, talk in fresh:
            if sub.id not in self._disabled:
                post = replace(ReminderPost.make(sub, talk), attempted_at=now)
                outcomes.append(await self._attempt(sub, post, None, now))
        wakeups += [o.retry_at for o in outcomes if o.retry_at is not None]
        self.next_wakeup = min(wakeups, default=None)

    async def _claim(
        self, now: datetime, outcomes: list[ReminderOutcome]
    ) -> tuple[
        list[tuple[ReminderSubscription, Any, ReminderTalk | None]],
        list[tuple[ReminderSubscription, ReminderTalk]],
        list[datetime],
    ]:
        """Inside the transaction: find the claims to resolve now, claim the reminders due
        now and record the missed ones as skipped. Returns (pending, fresh, wakeups)."""
        subs = {s.id: s for s in await load_subscriptions(self.db, frontend=self.frontend)}
        subs = {key: sub for key, sub in subs.items() if sub.enabled}
        talks = await timed_talks(self.db)
        by_key = {talk.key: talk for talk in talks}
        log = await reminder_log.log_rows(self.db, self.frontend)
        pending: list[tuple[ReminderSubscription, Any, ReminderTalk | None]] = []
        fresh: list[tuple[ReminderSubscription, ReminderTalk]] = []
        wakeups: list[datetime] = []
        for (sub_id, key), row in log.items():
            if sub_id not in subs or row["status"] != "claimed":
                continue
            retry = _dt(row["next_attempt_at"])
            if retry is not None and now < retry:
                wakeups.append(retry)
            else:
                pending.append((subs[sub_id], row, by_key.get(key)))
        claims: list[tuple[Any, ...]] = []
        for sub in subs.values():
            for talk in talks:
                row = log.get((sub.id, talk.key))
                if talk.starts <= sub.since or not sub.matches(talk) or not _open(row, talk):
                    continue
                step = decide(now, sub.due(talk), talk.starts)
                if step == "wait":
                    wakeups.append(sub.due(talk))
                    continue
                post = ReminderPost.make(sub, talk)
                error = None if step == "send" else "the talk started while the bot was down"
                claims.append(
                    (
                        sub.id,
                        talk.key,
                        "claimed" if error is None else "skipped",
                        _ts(post.scheduled_at),
                        _ts(talk.starts),
                        post.to_json(),
                        error,
                        _ts(now),
                        post.idempotency_key,
                    )
                )
                if error is None:
                    fresh.append((sub, talk))
                    continue
                outcomes.append(
                    ReminderOutcome(
                        "skipped", sub.id, sub.channel_id, talk.key, talk.title, detail=error
                    )
                )
                self.log.warning(
                    "reminders: skipped %s channel %s for %r: %s",
                    self.frontend,
                    sub.channel_id,
                    talk.title,
                    error,
                )
        await reminder_log.claim(self.db, claims)
        return pending, fresh, wakeups

    def _job(self, sub: ReminderSubscription, post: ReminderPost, row: Any) -> Job[ReminderPost]:
        return Job(
            subscription_id=sub.id,
            key=post.talk_key,
            post=post,
            deadline=post.starts_at,
            attempts=int(row["attempts"]) if row is not None else 0,
            error=row["error"] if row is not None else None,
            retry_until=post.starts_at,
            label=f"{self.frontend} channel {sub.channel_id} for {post.title!r}",
        )

    async def _resolve(
        self, sub: ReminderSubscription, row: Any, talk: ReminderTalk | None, now: datetime
    ) -> ReminderOutcome:
        """A claim left pending by a crash or a failed send."""
        # The claim is written right before the first send, so no delivery of it is older.
        attempted = _dt(row["attempted_at"])
        if talk is not None and now < talk.starts:
            post = replace(ReminderPost.make(sub, talk), attempted_at=attempted)
            if now < post.scheduled_at:  # moved later by a re-import: wait for the new time
                await deliveries.update_row(
                    self.db,
                    sub.id,
                    talk.key,
                    next_attempt_at=_ts(post.scheduled_at),
                    due_at=_ts(post.scheduled_at),
                    end_at=_ts(talk.starts),
                    snapshot=post.to_json(),
                )
                return ReminderOutcome(
                    "retry",
                    sub.id,
                    sub.channel_id,
                    talk.key,
                    talk.title,
                    detail="the talk moved",
                    retry_at=post.scheduled_at,
                )
            return await self._attempt(sub, post, row, now, lookup=True)
        post = replace(ReminderPost.from_json(row["snapshot"]), attempted_at=attempted)
        reason = "the talk was cancelled" if talk is None else "the talk started before it went out"
        result = await self.engine.resolve_closed(
            self._job(sub, post, row), now, skipped=reason, gave_up=reason
        )
        return self._outcome(sub, post, result)

    async def _attempt(
        self,
        sub: ReminderSubscription,
        post: ReminderPost,
        row: Any,
        now: datetime,
        *,
        lookup: bool = False,
    ) -> ReminderOutcome:
        """Send one claimed reminder (after checking for an earlier delivery when `lookup`)."""
        result = await self.engine.attempt(self._job(sub, post, row), now, lookup=lookup)
        return self._outcome(sub, post, result)

    def _outcome(
        self, sub: ReminderSubscription, post: ReminderPost, result: Result
    ) -> ReminderOutcome:
        """The engine's result in the words of reminders."""
        detail = result.reason or ""
        if result.kind == "disabled":
            self._disabled.add(sub.id)
            detail = f"Reminders were turned off in this channel: {result.disabled_reason}."
        return ReminderOutcome(
            result.kind,
            sub.id,
            sub.channel_id,
            post.talk_key,
            post.title,
            result.message_id,
            detail,
            result.retry_at,
        )

    async def _close(self, sub_id: int, key: str | None, status: str, reason: str) -> None:
        """End claimed rows (one talk's, or all of the subscription's) as skipped or failed."""
        await deliveries.close_claims(self.db, sub_id, key, status, reason, self._now())


def _open(row: Any, talk: ReminderTalk) -> bool:
    """Is the reminder for `talk` still to be claimed? Yes without a log row; for a skipped
    row (never delivered) only when a re-import moved the talk since it was skipped."""
    if row is None:
        return True
    return bool(row["status"] == "skipped" and row["end_at"] != _ts(talk.starts))
