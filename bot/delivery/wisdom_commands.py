"""The admin commands of daily wisdom (subscribe, unsubscribe, subscriptions, status, preview,
post_now): the half of `bot.delivery.wisdom_service.WisdomService` the chat commands call.
The post loop half (run_due, the engine) is in that module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

import aiosqlite

from bot.delivery.engine import Result
from bot.delivery.plan import Due, Pending, Plan, job_from_row
from bot.delivery.service import DeliveryService
from bot.delivery.wisdom_plan import choose_nuggets, dump_post, label, post_from_row, wisdom_post
from bot.store import wisdom_log
from bot.store.communities import community_pool
from bot.store.wisdom_subscriptions import (
    _dt,
    _need_dt,
    get_subscription,
    list_subscriptions,
    subscribe,
    unsubscribe,
)
from bot.wisdom import (
    Outcome,
    Pick,
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
    plan_slots,
)


class WisdomCommands(DeliveryService[WisdomPost, Outcome]):
    """The admin commands of the service (it sets `grace` and turns results into outcomes)."""

    grace: timedelta

    def _outcome(self, sub: Subscription, local_date: date, result: Result[WisdomPost]) -> Outcome:
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
            return post_from_row(sub, pending)
        slot = await self._next_slot(sub, now)
        found = await self._pick(sub, slot)
        return None if found is None else wisdom_post(sub, slot, *found)

    async def _pools(
        self, subs: Sequence[Subscription], pool: Sequence[str]
    ) -> dict[int, Sequence[str]]:
        """The nuggets each subscription quotes: its community's conferences' (one look-up per
        community), else the whole pool."""
        by_community: dict[tuple[str, str], Sequence[str]] = {}
        for sub in subs:
            where = (sub.frontend, sub.guild_id)
            if where not in by_community:
                by_community[where] = await community_pool(self.db, *where, pool)
        return {sub.id: by_community[(sub.frontend, sub.guild_id)] for sub in subs}

    async def _pick(self, sub: Subscription, slot: Slot) -> tuple[Pick, aiosqlite.Row] | None:
        """The channel's next nugget for `slot` and its details (None: no nuggets loaded)."""
        pool, states = await wisdom_log.rotation(self.db, [sub.id])
        pools = await self._pools([sub], pool)
        for _, _, pick in choose_nuggets([(sub, slot)], pools, states):
            details = (await wisdom_log.nugget_details(self.db, [pick.key])).get(pick.key)
            if details is not None:
                return pick, details
        return None

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
                post = post_from_row(sub, row)
                job = job_from_row(row, post, label=label(sub, today))
                plan: Plan[WisdomPost] = Plan(pending=[Pending(job)])
            else:
                end = min(now + self.grace, local_day_start(today + timedelta(days=1), zone))
                slot = Slot(today, now, end)
                found = await self._pick(sub, slot)
                if found is None:
                    raise WisdomInputError(
                        "There are no nuggets loaded, so there is nothing to post."
                    )
                pick, details = found
                stored = row["idempotency_key"] if row is not None else None
                post = wisdom_post(sub, slot, pick, details, manual=True, stored_key=stored)
                due = Due(
                    sub.id,
                    today.isoformat(),
                    replace(post, attempted_at=now),
                    now,
                    end,
                    label=label(sub, today),
                    item=pick.key,
                    cycle=pick.cycle,
                    manual=True,
                    reclaim=True,
                    # a failed send before may have gone out: ask the platform first
                    lookup=row is not None and int(row["attempts"]) > 0,
                )
                plan = Plan(due=[due])
            results = await self.engine.run(plan, now, dump=dump_post)
            if not results:
                raise WisdomInputError(
                    "Today's post cannot be claimed right now (the database is busy, or it is "
                    "being posted already); try again in a moment."
                )
            outcome = self._outcome(sub, today, results[0])
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
