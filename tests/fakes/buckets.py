"""The rate-limit bucket both platform fakes enforce: `limit` requests per window of `period`
seconds, the window starting at the first request after the last one ended (the model
Discord's ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` headers describe, and a strict
reading of Slack's "N per minute").

`Buckets` keys them (by route and top-level resource, by method, by channel) and counts every
request refused, per name, for tests and benches to query. The clock is injectable so that a
bench can run a fake on simulated time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """What one request got from one bucket: let through or not, and the bucket after it."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    """Seconds until the window ends (the retry_after of a refused request)."""


@dataclass
class Bucket:
    limit: int
    period: float
    used: int = 0
    window_end: float = 0.0

    def hit(self, now: float) -> Verdict:
        """Count one request at `now` if the window has room."""
        if now >= self.window_end:
            self.used, self.window_end = 0, now + self.period
        reset_after = max(self.window_end - now, 0.0)
        if self.used >= self.limit:
            return Verdict(False, self.limit, 0, reset_after)
        self.used += 1
        return Verdict(True, self.limit, self.limit - self.used, reset_after)

    def peek(self, now: float) -> Verdict:
        """The bucket as it stands, without counting anything."""
        if now >= self.window_end:
            return Verdict(True, self.limit, self.limit, self.period)
        left = self.limit - self.used
        return Verdict(left > 0, self.limit, left, self.window_end - now)


class Buckets:
    """Buckets by key, made on first use, and the count of refusals by name."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._buckets: dict[tuple[str, ...], Bucket] = {}
        self.refused: Counter[str] = Counter()
        """429s sent, by route (Discord) or method (Slack) name."""

    def bucket(self, key: tuple[str, ...], limit: int, period: float) -> Bucket:
        found = self._buckets.get(key)
        if found is None or (found.limit, found.period) != (limit, period):
            found = self._buckets[key] = Bucket(limit, period)
        return found

    def refuse(self, name: str) -> None:
        self.refused[name] += 1

    def total(self) -> int:
        return sum(self.refused.values())

    def clear(self) -> None:
        """Empty every bucket (the counts of refusals stay)."""
        self._buckets.clear()
