"""The one post loop: every service runs in order at start-up, again at its earliest wake-up
(scaled to real seconds on a rehearsal clock), or at once when woken; a failing service never
ends the loop, and setting `stop` does."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import RehearsalClock
from bot.delivery.runner import Runner
from tests.fakes.clock import FakeClock

START = datetime(2019, 8, 21, 8, 0, tzinfo=UTC)


@dataclass
class Service:
    """A delivery service that says what it did each run and when it wants to run again."""

    name: str
    next_wakeup: datetime | None = None
    fail: bool = False
    runs: int = 0
    log: list[str] = field(default_factory=list)

    async def run_due(self) -> Sequence[str]:
        self.runs += 1
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError("the database is locked")
        return [f"{self.name} run {self.runs}"]


async def test_a_wake_runs_every_service_in_order_and_hands_back_what_each_did() -> None:
    order: list[str] = []
    wisdom, reminders = Service("wisdom", log=order), Service("reminders", log=order)
    runner = Runner([wisdom, reminders], clock=FakeClock(START), interval=3600)
    task = asyncio.create_task(runner.run())
    try:
        first = await runner.wake()
        second = await runner.wake()
    finally:
        task.cancel()
    assert order[:4] == ["wisdom", "reminders", "wisdom", "reminders"]
    assert [outcomes[0].split()[0] for outcomes in second] == ["wisdom", "reminders"]
    assert first != second


async def test_a_failing_service_is_logged_and_the_others_still_run() -> None:
    broken, fine = Service("broken", fail=True), Service("fine")
    reported: list[tuple[int, list[str]]] = []
    runner = Runner(
        [broken, fine],
        clock=FakeClock(START),
        interval=3600,
        report=lambda index, outcomes: reported.append((index, list(outcomes))),
    )
    results = await runner.run_once()
    assert results == [[], ["fine run 1"]]
    assert reported == [(0, []), (1, ["fine run 1"])]


def test_the_wait_is_the_earliest_wake_up_capped_by_the_interval() -> None:
    clock = FakeClock(START)
    soon = Service("soon", next_wakeup=START + timedelta(seconds=30))
    later = Service("later", next_wakeup=START + timedelta(hours=2))
    idle = Service("idle")
    assert Runner([later, soon, idle], clock=clock, interval=60).delay() == 30
    assert Runner([later, idle], clock=clock, interval=60).delay() == 60
    overdue = Service("overdue", next_wakeup=START - timedelta(minutes=5))
    assert 0 < Runner([overdue], clock=clock, interval=60).delay() < 1


def test_on_a_rehearsal_clock_the_wait_is_in_real_seconds() -> None:
    clock = RehearsalClock(START, 60)
    due_in_five_simulated_minutes = Service("r", next_wakeup=START + timedelta(minutes=5))
    delay = Runner([due_in_five_simulated_minutes], clock=clock, interval=60).delay()
    assert 4 < delay <= 5


async def test_stop_ends_the_loop_and_pending_wakes_are_cancelled_on_shutdown() -> None:
    runner = Runner([Service("s")], clock=FakeClock(START), interval=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await runner.wake()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert task.done() and runner.runs >= 1
    waiting = runner.wake()  # nobody runs it any more
    runner.cancel_waiters()
    assert waiting.cancelled()
