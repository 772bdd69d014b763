"""The admin commands of daily wisdom (subscribe, unsubscribe, subscriptions, status, preview,
post_now): the half of `bot.delivery.wisdom_service.WisdomService` the chat commands call.
The post loop half (run_due, the engine) is in that module."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta

import aiosqlite

from bot.clock import Clock
from bot.store import wisdom_log
from bot.store.communities import community_pool
from bot.store.db import Database
from bot.store.wisdom_log import _claim, _nugget_details, _post, _rotation
from bot.store.wisdom_subscriptions import (
    _dt,
    _need_dt,
    get_subscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from bot.wisdom import (
    CycleState,
    Outcome,
    PostRecord,
    Slot,
    Subscription,
    WisdomInputError,
    WisdomPost,
    WisdomStatus,
    format_moment,
    format_post_time,
    local_day_start,
    local_today,
    next_nugget,
    plan_slots,
)


class WisdomCommands:
    """What the admin commands need of the service, and the commands themselves."""

    db: Database
    frontend: str
    clock: Clock
    grace: timedelta
    log: logging.Logger
    _lock: asyncio.Lock

    def _now(self) -> datetime:
        raise NotImplementedError

    async def _attempt(
        self, sub: Subscription, row: aiosqlite.Row, now: datetime, *, lookup: bool
    ) -> Outcome:
        raise NotImplementedError

    async def _record_sent(self) -> None:
        raise NotImplementedError

    # -- admin commands ------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        guild_id: str,
        channel_id: str,
        post_time: str,
        zone: str,
        created_by: str,
        can_post: bool,
    ) -> Subscription:
        """Subscribe (or update) a channel; WisdomInputError on bad input, nothing stored."""
        sub = await subscribe(
            self.db,
            frontend=self.frontend,
            guild_id=guild_id,
            channel_id=channel_id,
            post_time=post_time,
            zone=zone,
            created_by=created_by,
            can_post=can_post,
            now=self._now(),
        )
        self.log.info(
            "daily wisdom: %s channel %s subscribed at %s %s by %s",
            self.frontend,
            sub.channel_id,
            format_post_time(sub.post_time),
            sub.zone,
            created_by,
        )
        return sub

    async def unsubscribe(self, channel_id: str, *, by: str) -> Subscription | None:
        async with self._lock:
            sub = await unsubscribe(
                self.db, frontend=self.frontend, channel_id=channel_id, by=by, now=self._now()
            )
        if sub is not None:
            self.log.info("daily wisdom: %s channel %s unsubscribed by %s", *_who(sub), by)
        return sub

    async def subscriptions(
        self, guild_id: str | None = None, *, include_disabled: bool = True
    ) -> list[Subscription]:
        return await list_subscriptions(
            self.db, frontend=self.frontend, guild_id=guild_id, include_disabled=include_disabled
        )

    async def status(self, channel_id: str) -> WisdomStatus | None:
        """Next post (local and UTC), last post, pending retry, last error, counts."""
        sub = await get_subscription(self.db, self.frontend, channel_id)
        if sub is None:
            return None
        now = self._now()
        records, counts = await wisdom_log.status_rows(self.db, sub.id)
        last = next((r for r in records if r.status == "sent"), None)
        pending = max((r for r in records if r.status == "claimed"), key=_by_date, default=None)
        next_slot: Slot | None = None
        if sub.enabled:
            if pending is not None and now < pending.end_at:
                due = max(pending.next_attempt_at or now, now)
                next_slot = Slot(pending.local_date, due, pending.end_at)
            else:
                next_slot = await self._next_slot(sub, now)
        return WisdomStatus(sub, next_slot, last, pending, counts)

    async def preview(self, channel_id: str) -> WisdomPost | None:
        """The next post of the channel (date, time and nugget) without consuming anything.

        None when the channel has no enabled subscription or no nuggets are loaded.
        """
        sub = await get_subscription(self.db, self.frontend, channel_id)
        if sub is None or not sub.enabled:
            return None
        now = self._now()
        pending = await wisdom_log.open_claim(self.db, sub.id, now)
        if pending is not None:
            return _post(sub, pending)
        slot = await self._next_slot(sub, now)
        pool, states = await _rotation(self.db, [sub.id])
        quoted = await community_pool(self.db, sub.frontend, sub.guild_id, pool)
        pick = next_nugget(quoted, states.get(sub.id, CycleState()), sub.seed)
        if pick is None:
            return None
        details = (await _nugget_details(self.db, [pick.key])).get(pick.key)
        if details is None:
            return None
        return WisdomPost(
            subscription_id=sub.id,
            frontend=sub.frontend,
            guild_id=sub.guild_id,
            channel_id=sub.channel_id,
            local_date=slot.local_date,
            scheduled_at=slot.due,
            zone=sub.zone,
            nugget_key=pick.key,
            text=str(details["nugget_text"]),
            speaker=details["speaker"],
            source=str(details["source"]),
            talk_title=str(details["talk_title"]),
            conference_name=str(details["conference_name"]),
        )

    async def post_now(self, channel_id: str) -> Outcome:
        """Post today's nugget in the channel now, as today's post.

        It takes the place of today's scheduled post (the one-post-per-local-date rule holds
        for manual posts too), so it is refused with WisdomInputError when today's nugget
        has already been posted, or when the channel has no enabled subscription.
        """
        async with self._lock:
            now = self._now()
            sub = await get_subscription(self.db, self.frontend, channel_id)
            if sub is None:
                raise WisdomInputError(
                    "This channel has no daily wisdom subscription; subscribe it first."
                )
            if not sub.enabled:
                raise WisdomInputError(
                    f"Daily wisdom is off in this channel ({sub.disabled_reason}); "
                    "subscribe again to turn it back on."
                )
            zone = sub.tz
            today = local_today(zone, now)
            row = await wisdom_log.delivery_row(self.db, sub.id, today.isoformat())
            if row is not None and row["status"] == "sent":
                sent_at = _dt(row["sent_at"]) or _need_dt(str(row["due_at"]))
                upcoming = await self._next_slot(sub, now)
                raise WisdomInputError(
                    f"Today's nugget was already posted here ({format_moment(sent_at, zone)}). "
                    f"The next one is due {format_moment(upcoming.due, zone)}."
                )
            if row is not None and row["status"] == "claimed":
                outcome = await self._attempt(sub, row, now, lookup=True)
                await self._record_sent()
                return outcome
            end = min(now + self.grace, local_day_start(today + timedelta(days=1), zone))
            slot = Slot(today, now, end)
            pool, states = await _rotation(self.db, [sub.id])
            quoted = await community_pool(self.db, sub.frontend, sub.guild_id, pool)
            pick = next_nugget(quoted, states.get(sub.id, CycleState()), sub.seed)
            if pick is None:
                raise WisdomInputError("There are no nuggets loaded, so there is nothing to post.")
            claimed = await _claim(
                self.db,
                [(sub, slot, pick, True)],
                now,
                reclaim=True,
            )
            if not claimed:
                raise WisdomInputError(
                    "Today's post cannot be claimed right now (the database is busy, or it is "
                    "being posted already); try again in a moment."
                )
            lookup = row is not None and int(row["attempts"]) > 0
            outcome = await self._attempt(sub, claimed[0], now, lookup=lookup)
            await self._record_sent()
            if outcome.kind in ("sent", "recovered"):
                upcoming = await self._next_slot(sub, now)
                detail = (
                    f"{outcome.detail} It counts as today's post; the next one is due "
                    f"{format_moment(upcoming.due, zone)}."
                )
                outcome = replace(outcome, detail=detail)
            return outcome

    async def _next_slot(self, sub: Subscription, now: datetime) -> Slot:
        """The next date this subscription will post (due now, or the next in the future)."""
        last = await wisdom_log.last_key(self.db, sub.id) or date.min
        after = max(sub.start_date - timedelta(days=1), last)
        plan = plan_slots(sub.post_time, sub.tz, after, now, self.grace)
        return plan.due or plan.upcoming


def _who(sub: Subscription) -> tuple[str, str]:
    return sub.frontend, sub.channel_id


def _by_date(record: PostRecord) -> date:
    return record.local_date
