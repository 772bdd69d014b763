"""The one fake clock of the test suite: it stands still until a test moves it.

It implements `bot.clock.Clock` (a `now()` that returns a timezone-aware moment), so every
service, the core and the delivery runner can be handed it in place of the system clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock moved by hand: `set` jumps to a moment, `advance` moves it on."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta
