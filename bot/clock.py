"""The one clock protocol of confbot, the system clock and the rehearsal clock.

Everything that needs the time (the command core, the schedule answers, daily wisdom, talk
reminders and the post loop) is handed a `Clock` and asks it `now()`; nothing calls
`datetime.now` itself. Tests pass a clock that only moves when they move it; organisers
rehearse a conference day with `confbot run --at 2019-08-21T09:55+02:00 --speed 60`, which
runs the whole bot on a `RehearsalClock`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK = SystemClock()


class RehearsalClock:
    """Simulated time: starts at `start` and runs `speed` times faster than the real time.

    Waits still happen in real time, so a loop that wants to wait until a simulated moment
    asks `wall_seconds` how long that is for real.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("a rehearsal starts at a timezone-aware moment")
        if not speed > 0:
            raise ValueError("the rehearsal speed must be above 0")
        self.start = start
        self.speed = float(speed)
        self._monotonic = monotonic
        self._began = monotonic()

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._began) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def __repr__(self) -> str:
        return f"RehearsalClock(start={self.start.isoformat()}, speed={self.speed:g})"


def wall_seconds(clock: Clock, simulated: float) -> float:
    """How many real seconds pass while `clock` moves `simulated` seconds."""
    if isinstance(clock, RehearsalClock):
        return simulated / clock.speed
    return simulated
