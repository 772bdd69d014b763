"""The shape every delivery service shares: one front end's poster, clock, log, lock and
engine, and a `run_due` the post loop calls that never raises.

A kind of delivery (daily wisdom, talk reminders) subclasses `DeliveryService`, names itself
(`name`, how the log says it) and implements `_run(now, outcomes)`: load what its planner
needs, plan, `self.engine.run(plan, now, dump=...)`, turn the engine's results into its
outcomes. `run_due` serialises runs with the admin commands that post (`_lock`), catches
whatever a run raises (logged; the next run tries again) and keeps `next_wakeup`, the
earliest moment the kind has something to do, for the runner (bot/delivery/runner.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

from bot.answer import Answer
from bot.clock import Clock, SystemClock
from bot.delivery.engine import Engine
from bot.delivery.model import DISABLE_AFTER, Post, Poster
from bot.store.db import Database

P = TypeVar("P", bound=Post)
O = TypeVar("O")  # noqa: E741 (the outcome type of a kind)


class DeliveryService(Generic[P, O]):
    """Posts one kind of delivery for one front end; see the module docstring."""

    name: ClassVar[str]
    """How the log names the kind ('daily wisdom', 'reminders')."""

    def __init__(
        self,
        db: Database,
        poster: Poster[P],
        answer: Callable[[P], Answer],
        *,
        frontend: str,
        clock: Clock | None,
        log: logging.Logger,
        disable_after: int = DISABLE_AFTER,
        record_batch: int = 1,
    ) -> None:
        self.db = db
        self.poster = poster
        self.frontend = frontend
        self.clock: Clock = clock or SystemClock()
        self.log = log
        self.disable_after = disable_after
        self.next_wakeup: datetime | None = None
        self._lock = asyncio.Lock()
        self.engine: Engine[P] = Engine(
            db,
            poster,
            answer,
            clock=self.clock,
            log=log,
            name=self.name,
            disable_after=disable_after,
            record_batch=record_batch,
        )

    def _now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    async def run_due(self) -> list[O]:
        """Do whatever is due now: resolve claims left pending, record what was missed,
        claim, send and record what is due. Never raises Exception (only cancellation)."""
        async with self._lock:
            outcomes: list[O] = []
            try:
                await self._run(self._now(), outcomes)
            except Exception:
                self.log.exception("%s: run_due failed; trying again on the next run", self.name)
                self.next_wakeup = None
                with contextlib.suppress(Exception):
                    await self.engine.flush()
            return outcomes

    async def _run(self, now: datetime, outcomes: list[O]) -> None:
        """Load, plan, `Engine.run`, and append what happened to `outcomes`."""
        raise NotImplementedError
