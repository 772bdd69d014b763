"""Pacing before sending: keep our own requests inside a platform's rate limits, so that it
never has to answer 429.

Platform-free: a front end says which limits a request counts against, as (key, `Rate`)
pairs (Discord: its global 50 requests per second; Slack: a method's tier, chat.postMessage's
one message a second in a channel), and wraps the request in `Pacer.request`. Each key keeps
its last `count` requests: a request waits until it would be at most the `count`-th in any
window of `per` seconds (a sliding window, so the platform's fixed or sliding windows are
both kept), counted from each earlier request's answer, the latest moment the platform can
have seen it (a request that a loaded machine delivers late cannot then open the platform's
window after ours), with `margin` seconds to spare.
When the platform says 429 anyway (another process shares the token), `pause(key, seconds)`
holds the key back for its `retry_after`.

Time is the monotonic clock, not the app's `Clock`: the platforms count real seconds, also
during a rehearsal at `--speed 60`. Benches and tests may pass a simulated `monotonic` and
`sleep` together.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

DEFAULT_MARGIN = 0.05
"""Seconds added to every window: a request stamped here reaches the platform a little later,
and not always equally late."""

_PRUNE_EVERY = 1024
_ANSWER_POLL = 0.01
"""Seconds between looks while the request a window waits for has had no answer yet."""


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


@dataclass(eq=False)
class Stamp:
    """One request the pacer let go. The platform saw it somewhere between `start` and its
    answer, so once `finish`ed the window counts from the answer: however late a loaded
    machine delivers the request, the next window cannot begin before the platform's."""

    at: float
    open: bool = True


@dataclass
class _Window:
    rate: Rate
    sent: deque[Stamp] = field(default_factory=deque)
    paused_until: float = 0.0


class Pacer:
    """Per-key request pacing; see the module docstring. One per platform token: every poster
    and client using the token must share it, or the limit is counted twice too little.

    `async with pacer.request(*limits): ...` around a request (or `start` before it and
    `finish` after its answer); `acquire` counts a request whose answer it will not hear of."""

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
        self._started = 0
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

    def _delay(self, limits: Sequence[tuple[str, Rate]]) -> tuple[float, bool]:
        """The wait, and whether a request still waiting for its answer is behind it."""
        now = self._monotonic()
        wait, unanswered = 0.0, False
        for key, rate in limits:
            window = self._window(key, rate)
            wait = max(wait, window.paused_until - now)
            if len(window.sent) >= rate.count:
                oldest = window.sent[0]
                since = now if oldest.open else oldest.at
                if since + rate.per + self.margin - now > wait:
                    wait, unanswered = since + rate.per + self.margin - now, oldest.open
        return wait, unanswered

    def delay(self, *limits: tuple[str, Rate]) -> float:
        """Seconds a request counted against `limits` would wait now (0: it may go)."""
        return self._delay(limits)[0]

    async def start(self, *limits: tuple[str, Rate]) -> Stamp:
        """Wait until a request counted against every one of `limits` may go, and count it;
        `finish` the stamp when its answer comes."""
        waited = 0.0
        while (delay := self._delay(limits))[0] > 0:
            wait, unanswered = delay
            wait = min(wait, _ANSWER_POLL) if unanswered else wait
            await self._sleep(wait)
            waited += wait
        now = self._monotonic()
        stamp = Stamp(now)
        for key, rate in limits:
            window = self._window(key, rate)
            window.sent.append(stamp)
            while len(window.sent) > rate.count:
                window.sent.popleft()
        if waited:
            self.waits += 1
            self.waited += waited
        self._started += 1
        if self._started % _PRUNE_EVERY == 0:
            self._prune(now)
        return stamp

    def finish(self, stamp: Stamp) -> None:
        """The request's answer came (or it failed): its window counts from now."""
        if stamp.open:
            stamp.at, stamp.open = self._monotonic(), False

    @contextlib.asynccontextmanager
    async def request(self, *limits: tuple[str, Rate]) -> AsyncIterator[Stamp]:
        """`start` before the body, `finish` after it, whatever happens."""
        stamp = await self.start(*limits)
        try:
            yield stamp
        finally:
            self.finish(stamp)

    async def acquire(self, *limits: tuple[str, Rate]) -> float:
        """Count a request sent now, its window from now; returns the seconds waited."""
        before = self.waited
        self.finish(await self.start(*limits))
        return self.waited - before

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
            and not any(stamp.open for stamp in window.sent)
            and (not window.sent or window.sent[-1].at + window.rate.per + self.margin <= now)
        ]
        for key in idle:
            del self._windows[key]
