"""The one post loop: runs every delivery service on the injected clock, with a way to wake
it now.

Each service has `run_due()` (do whatever is due now; never raises Exception) and
`next_wakeup` (the earliest moment it has something to do, or None). The runner calls them in
order at start-up, then again when the earliest wake-up comes, at least every `interval` real
seconds, or at once when `wake()` is called. A simulated clock (`bot.clock.RehearsalClock`)
runs faster than the real time, so the wait until a simulated moment is scaled to real
seconds. Front ends start `run()` as a task (Discord in `setup_hook`, Slack next to its
transport) and cancel it, or set `stop`, to end it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.clock import SYSTEM_CLOCK, Clock, wall_seconds

log = logging.getLogger("confbot.delivery")

MIN_WAIT = 0.05
"""The shortest real wait between two runs (a wake-up that is due already)."""

Results = list[Sequence[Any]]


class DueService(Protocol):
    next_wakeup: datetime | None

    async def run_due(self) -> Sequence[Any]: ...


Report = Callable[[int, Sequence[Any]], None]
"""Called after each run of service number `index` with what it did (to log it)."""


class Runner:
    """Runs `services` one after another, forever; see the module docstring."""

    def __init__(
        self,
        services: Sequence[DueService],
        *,
        clock: Clock | None = None,
        interval: float = 60.0,
        report: Report | None = None,
    ) -> None:
        self.services = list(services)
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.interval = interval
        self.report = report
        self.runs = 0
        self._wake = asyncio.Event()
        self._waiters: list[asyncio.Future[Results]] = []

    def wake(self) -> asyncio.Future[Results]:
        """Run every service now; the future gets each service's outcomes, in order."""
        future: asyncio.Future[Results] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        self._wake.set()
        return future

    def cancel_waiters(self) -> None:
        """Cancel every `wake()` future still waiting (the loop is being shut down)."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.cancel()

    async def run_once(self) -> Results:
        results: Results = []
        for index, service in enumerate(self.services):
            outcomes: Sequence[Any] = []
            try:
                outcomes = await service.run_due()
            except Exception:
                log.exception("delivery: a run failed; trying again at the next tick")
            if self.report is not None:
                self.report(index, outcomes)
            results.append(outcomes)
        self.runs += 1
        return results

    def delay(self) -> float:
        """Real seconds until the next run: the earliest wake-up, at most `interval`."""
        delay = self.interval
        now = self.clock.now()
        for service in self.services:
            if service.next_wakeup is not None:
                until = wall_seconds(self.clock, (service.next_wakeup - now).total_seconds())
                delay = min(delay, max(until, MIN_WAIT))
        return delay

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until cancelled or until `stop` is set. A failed run never ends the loop."""
        stop = stop or asyncio.Event()
        log.info(
            "post loop started: %d service(s), at least every %gs",
            len(self.services),
            self.interval,
        )
        while not stop.is_set():
            self._wake.clear()
            waiters, self._waiters = self._waiters, []
            results = await self.run_once()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(results)
            waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, timeout=self.delay(), return_when="FIRST_COMPLETED")
            finally:
                for waiting in waits:
                    waiting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiting
