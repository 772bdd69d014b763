"""Personal agenda DMs: the post loop's service for one front end, a pure planner
(`bot.delivery.agenda_plan`) run through the one engine (`Engine.run`).

Each run reads only what can be due: the timed talks starting within the longest lead time
(and an hour), the moves and cancellations of the last hours, the follows that match those
(through the store's (kind, value) index) and their delivery rows; the planner says what is
due, the engine claims, sends and records it, exactly once per (person, key).

A refused direct message (the person closed their DMs, left, or is a bot) disables that
person's subscription at the first failure (`disable_after=1`), so there is no retry storm;
the person is told once, the next time they use the bot (`bot.commands.agenda.PausedNotices`),
and `/agenda` turns their DMs back on. Nothing here logs a user id: a person is named by
their subscription number.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.clock import Clock, SystemClock
from bot.delivery import plan as engine_plan
from bot.delivery.agenda_answers import agenda_answer
from bot.delivery.agenda_plan import (
    HORIZON,
    NOTICE_WINDOW,
    AgendaPost,
    Plan,
    candidate_keys,
    delivery_key,
    dump,
    load,
    plan,
    recent,
    soon,
    wanted,
)
from bot.delivery.engine import Engine, Result
from bot.delivery.model import Poster
from bot.reminders import ReminderTalk
from bot.store import agenda, agenda_runs, deliveries
from bot.store.agenda import Follow, Person
from bot.store.changes import changes_since
from bot.store.db import Database
from bot.store.reminder_log import timed_talks

_log = logging.getLogger("confbot.agenda")

OnPause = Callable[[str, str], None]
"""Told (front end, user id) of each person whose DMs were just paused."""


class AgendaService:
    """Sends personal agenda DMs for one front end; `run_due()` never raises Exception."""

    def __init__(
        self,
        db: Database,
        poster: Poster[AgendaPost],
        *,
        frontend: str,
        clock: Clock | None = None,
        log: logging.Logger | None = None,
        on_pause: OnPause | None = None,
    ) -> None:
        self.db = db
        self.frontend = frontend
        self.clock: Clock = clock or SystemClock()
        self.log = log or _log
        self.on_pause = on_pause
        self.next_wakeup: datetime | None = None
        self.last_plan: Plan | None = None
        self._lock = asyncio.Lock()
        self.engine: Engine[AgendaPost] = Engine(
            db,
            poster,
            agenda_answer,
            clock=self.clock,
            log=self.log,
            name="agenda",
            disable_after=1,
        )

    async def run_due(self) -> list[Result[AgendaPost]]:
        """Send whatever is due now. Never raises Exception."""
        async with self._lock:
            try:
                return await self._run()
            except Exception:
                self.log.exception("agenda: run failed; trying again on the next run")
                self.next_wakeup = None
                return []

    async def plan_now(
        self, now: datetime
    ) -> tuple[Plan, list[dict[str, Any]], list[ReminderTalk]]:
        """What is due at `now` and the delivery rows the engine needs (reads only).

        For each talk soon, only its followers whose reminder may fall due before the horizon
        and is not in the log yet are read (`agenda_runs.talk_followers`); the changes' followers
        are read whole (they are few), and their notes' rows with them."""
        talks = await timed_talks(self.db)
        longest = await agenda_runs.longest_lead(self.db, self.frontend)
        follows: list[Follow] = []
        people: dict[int, Person] = {}
        for talk in soon(talks, now, longest):
            key = delivery_key("reminder", talk.key, talk.starts)
            lead = max(0, math.ceil((talk.starts - now - HORIZON).total_seconds() / 60))
            found, who = await agenda_runs.talk_followers(self.db, self.frontend, talk, key, lead)
            follows += found
            people.update((person.id, person) for person in who)
        changes = recent(await changes_since(self.db, now - NOTICE_WINDOW), now)
        keys: list[str] = []
        if changes:
            changed = {change.talk_key for change in changes}
            named = [talk for talk in talks if talk.key in changed]
            found, who = await agenda_runs.follows_matching(
                self.db, self.frontend, wanted(named, changes)
            )
            follows += found
            people.update((person.id, person) for person in who)
            keys = [k for k in candidate_keys(talks, changes, now, 0) if not k.startswith("talk:")]
        log = await agenda_runs.log_rows(self.db, self.frontend, keys)
        done = {(int(row["subscription_id"]), str(row["key"])) for row in log}
        zones = {talk.conference: talk.zone for talk in talks}
        planned = plan(list(people.values()), follows, talks, changes, now, zones, done, longest)
        return planned, log, talks

    async def _run(self) -> list[Result[AgendaPost]]:
        now = self.clock.now().astimezone(UTC)
        if not deliveries.claim_allowed(self.db):  # a data load is open: claim later
            self.next_wakeup = now + deliveries.CLAIM_RETRY
            return []
        planned, log, talks = await self.plan_now(now)
        self.last_plan = planned
        log = await self._close_stale(log, talks, now)
        closed = "not delivered before its window closed"
        pending, backing_off = engine_plan.resolve_log(
            log, now, load, engine_plan.Close(closed, closed)
        )
        results = await self.engine.run(
            engine_plan.Plan(due=planned.due, pending=pending), now, dump=dump
        )
        paused = sorted({r.subscription_id for r in results if r.kind == "disabled"})
        if paused:
            await agenda.note_paused(self.db, paused)
            for person in await agenda.people(self.db, self.frontend, paused):
                if self.on_pause is not None:
                    self.on_pause(person.frontend, person.user_id)
            self.log.warning("agenda: paused the DMs of %d person(s)", len(paused))
        sent = sum(1 for r in results if r.kind == "sent")
        if sent:
            self.log.info("agenda: %d direct message(s) sent", sent)
        wakeups = [r.retry_at for r in results if r.retry_at is not None] + backing_off
        wakeups += [planned.next_due] if planned.next_due is not None else []
        self.next_wakeup = min(wakeups, default=now + HORIZON)
        return results

    async def _close_stale(
        self, log: Sequence[dict[str, Any]], talks: Sequence[ReminderTalk], now: datetime
    ) -> list[dict[str, Any]]:
        """Close the open claims of reminders whose talk was cancelled or moved since it was
        claimed (the planner has made the reminder for the new time), so none is sent late."""
        starts = {talk.key: talk.starts for talk in talks}
        out: list[dict[str, Any]] = []
        for row in log:
            if row["status"] == "claimed" and str(row["key"]).startswith("talk:"):
                post = AgendaPost.from_json(str(row["snapshot"]))
                if starts.get(post.talk_key) != post.starts_at:
                    reason = "the talk moved or was cancelled before it went out"
                    await deliveries.close_claims(
                        self.db,
                        int(row["subscription_id"]),
                        str(row["key"]),
                        "skipped",
                        reason,
                        now,
                    )
                    row = {**row, "status": "skipped"}
            out.append(row)
        return out
