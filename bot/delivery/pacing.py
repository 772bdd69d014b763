"""Pacing before sending: keep our own requests inside a platform's rate limits, so that it
never has to answer 429.

Platform-free: a front end says which limits a request counts against, as (key, `Rate`)
pairs (Discord: its global 50 requests per second; Slack: a method's tier, chat.postMessage's
one message a second in a channel), and awaits `Pacer.acquire` before sending. Each key keeps
the times of its last `count` requests: a request waits until it would be at most the
`count`-th in any window of `per` seconds (a sliding window, so the platform's fixed or
sliding windows are both kept, with `margin` seconds to spare for the network's jitter).
When the platform says 429 anyway (another process shares the token), `pause(key, seconds)`
holds the key back for its `retry_after`.

Time is the monotonic clock, not the app's `Clock`: the platforms count real seconds, also
during a rehearsal at `--speed 60`. Benches and tests may pass a simulated `monotonic` and
`sleep` together.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DEFAULT_MARGIN = 0.05
"""Seconds added to every window: a request stamped here reaches the platform a little later,
and not always equally late."""

_PRUNE_EVERY = 1024


@dataclass(frozen=True)
class Rate:
    """At most `count` requests in any `per` seconds."""

    count: int
    per: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= 0:
            raise ValueError(f"a rate needs count >= 1 and per > 0, not {self.count}/{self.per}")

    def scaled(self, factor: float) -> Rate:
        """The same rate over a window `factor` times as long (fewer requests a second)."""
        return Rate(self.count, self.per * factor)


@dataclass
class _Window:
    rate: Rate
    sent: deque[float] = field(default_factory=deque)
    paused_until: float = 0.0


class Pacer:
    """Per-key request pacing; see the module docstring. One per platform token: every poster
    and client using the token must share it, or the limit is counted twice too little."""

    def __init__(
        self,
        *,
        margin: float = DEFAULT_MARGIN,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.margin = margin
        self._monotonic = monotonic
        self._sleep = sleep
        self._windows: dict[str, _Window] = {}
        self._acquired = 0
        self.waits = 0
        """Requests that had to wait."""
        self.waited = 0.0
        """Seconds spent waiting, all requests together."""
        self.pauses = 0
        """Times a platform's 429 paused a key."""

    def _window(self, key: str, rate: Rate) -> _Window:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(rate)
        elif window.rate != rate:  # the platform announced another limit
            window.rate = rate
            while len(window.sent) > rate.count:
                window.sent.popleft()
        return window

    def delay(self, *limits: tuple[str, Rate]) -> float:
        """Seconds a request counted against `limits` would wait now (0: it may go)."""
        now = self._monotonic()
        wait = 0.0
        for key, rate in limits:
            window = self._window(key, rate)
            wait = max(wait, window.paused_until - now)
            if len(window.sent) >= rate.count:
                wait = max(wait, window.sent[0] + rate.per + self.margin - now)
        return wait

    async def acquire(self, *limits: tuple[str, Rate]) -> float:
        """Wait until a request counted against every one of `limits` may go, and count it;
        returns the seconds waited."""
        waited = 0.0
        while (wait := self.delay(*limits)) > 0:
            await self._sleep(wait)
            waited += wait
        now = self._monotonic()
        for key, rate in limits:
            window = self._window(key, rate)
            window.sent.append(now)
            while len(window.sent) > rate.count:
                window.sent.popleft()
        if waited:
            self.waits += 1
            self.waited += waited
        self._acquired += 1
        if self._acquired % _PRUNE_EVERY == 0:
            self._prune(now)
        return waited

    def pause(self, key: str, seconds: float) -> None:
        """The platform answered 429 for `key`: nothing more on it for `seconds`."""
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(Rate(1, max(seconds, 1e-3)))
        window.paused_until = max(window.paused_until, self._monotonic() + max(seconds, 0.0))
        self.pauses += 1

    def _prune(self, now: float) -> None:
        """Forget keys idle for longer than their window (one per DM channel adds up)."""
        idle = [
            key
            for key, window in self._windows.items()
            if window.paused_until <= now
            and (not window.sent or window.sent[-1] + window.rate.per + self.margin <= now)
        ]
        for key in idle:
            del self._windows[key]
