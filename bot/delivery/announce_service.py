"""Change announcements: the service a front end runs (`run_due` in its post loop) and the
admin commands call (subscribe, unsubscribe, subscriptions).

A run is thin: load the enabled subscriptions of this front end, how far each has been
served, the claims still open and the change batches after the oldest of those places
(bot.store.programme_subscriptions, bot.store.changes), let the pure planner
(bot.delivery.announce_plan) say what is due, and hand that to the one engine
(bot.delivery.engine), which claims each (subscription, batch part) before sending it
through the front end's `Poster`, records it after, and resolves a claim left by a crash by
looking the post up first. `wake()` asks the front end's post loop to run now (the source
runner calls it right after an import that made a batch).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.clock import SYSTEM_CLOCK, Clock
from bot.delivery.announce_plan import AnnouncementPost, dump_post, floor_of, load_post, plan
from bot.delivery.announce_text import announcement_answer
from bot.delivery.engine import Engine, Result
from bot.delivery.model import DISABLE_AFTER, Poster
from bot.delivery.plan import Close, Plan, resolve_log
from bot.store import programme_subscriptions as store
from bot.store.changes import changes_since
from bot.store.db import Database
from bot.store.programme_subscriptions import ProgrammeSubscription

_log = logging.getLogger(__name__)

FILTER_KINDS = ("all", "room", "track")


class AnnouncementInputError(ValueError):
    """Bad input to /programme; `str(error)` is fit to show the admin."""


class AnnouncementService:
    """Announces programme changes for one front end; see the module docstring."""

    def __init__(
        self,
        db: Database,
        poster: Poster[AnnouncementPost],
        *,
        frontend: str,
        clock: Clock | None = None,
        log: logging.Logger | None = None,
        disable_after: int = DISABLE_AFTER,
    ) -> None:
        self.db = db
        self.frontend = frontend
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.log = log or _log
        self.next_wakeup: datetime | None = None
        self.waker: Callable[[], object] | None = None
        """Set by the front end to its post loop's `Runner.wake`."""
        self._lock = asyncio.Lock()
        self.engine: Engine[AnnouncementPost] = Engine(
            db,
            poster,
            announcement_answer,
            clock=self.clock,
            log=self.log,
            name="announcements",
            disable_after=disable_after,
        )

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def wake(self) -> None:
        """Run the post loop now (a followed source just imported changes)."""
        if self.waker is not None:
            self.waker()

    # -- the post loop -------------------------------------------------------------------

    async def run_due(self) -> Sequence[Result[AnnouncementPost]]:
        """Post every announcement due now; never raises Exception (it is logged)."""
        async with self._lock:
            try:
                return await self._run(self._now())
            except Exception:
                self.log.exception("announcements: a run failed; trying again at the next tick")
                return []

    async def _run(self, now: datetime) -> list[Result[AnnouncementPost]]:
        subscriptions = await store.load_subscriptions(
            self.db, frontend=self.frontend, enabled_only=True
        )
        self.next_wakeup = None
        if not subscriptions:
            return []
        ids = [s.id for s in subscriptions]
        served = await store.served_batches(self.db, ids)
        claims = await store.open_claims(self.db, ids)
        oldest = min(floor_of(s, served) for s in subscriptions)
        changes = await changes_since(self.db, oldest)
        names = await store.conference_names(self.db) if changes else {}
        due = plan(subscriptions, changes, served, names, now)
        if not due and not claims:
            return []
        closed = "not delivered before its window closed"
        pending, backing_off = resolve_log(claims, now, load_post, Close(closed, closed))
        work = Plan(due=due, pending=pending, wakeup=min(backing_off, default=None))
        results = await self.engine.run(work, now, dump=dump_post)
        # The engine's wake-up includes a claim refused because another coroutine's
        # transaction was open (an import, the other front end's claim): soon, not next tick.
        self.next_wakeup = self.engine.next_wakeup
        return results

    # -- admin commands ------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        guild_id: str,
        channel_id: str,
        conferences: Sequence[str],
        filter_kind: str,
        filter_value: str,
        created_by: str,
    ) -> list[ProgrammeSubscription]:
        """Subscribe a channel to the changes of each conference (none: of all); the
        changes found before now are never posted to it."""
        kind, value = parse_filter(filter_kind, filter_value)
        return await store.subscribe(
            self.db,
            frontend=self.frontend,
            guild_id=guild_id,
            channel_id=channel_id,
            conferences=list(conferences) or [""],
            filter_kind=kind,
            filter_value=value,
            created_by=created_by,
            now=self._now(),
        )

    async def unsubscribe(
        self, channel_id: str, *, by: str, subscription_id: int | None = None
    ) -> list[ProgrammeSubscription]:
        """Turn off the channel's announcements (or just subscription #id)."""
        return await store.turn_off(
            self.db,
            frontend=self.frontend,
            channel_id=channel_id,
            by=by,
            now=self._now(),
            subscription_id=subscription_id,
        )

    async def subscriptions(self, guild_id: str) -> list[ProgrammeSubscription]:
        return await store.load_subscriptions(self.db, frontend=self.frontend, guild_id=guild_id)


def parse_filter(kind: str, value: str) -> tuple[str, str]:
    """("all", "") or ("room" | "track", the text to look for in its name)."""
    kind, value = kind.strip().lower(), " ".join(value.split())
    if kind == "all":
        return "all", ""
    if kind not in FILTER_KINDS:
        raise AnnouncementInputError(
            f"Announce every change, or only a room's or a track's, not “{kind[:20]}”: "
            "give room NAME or track NAME."
        )
    if not value:
        raise AnnouncementInputError(f"Name the {kind} (part of its name is enough).")
    return kind, value


def log_result(log: logging.Logger, result: Result[AnnouncementPost]) -> None:
    """One log line for what a run did with an announcement (the front ends' post loops)."""
    level = logging.INFO if result.kind in ("sent", "recovered") else logging.WARNING
    log.log(
        level,
        "programme changes %s: subscription #%d %s%s%s",
        result.kind,
        result.subscription_id,
        result.key,
        f", message {result.message_id}" if result.message_id else "",
        f" ({result.reason})" if result.reason else "",
    )
