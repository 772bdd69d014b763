"""Slack's Web API rate limits, enforced by the fake: per-method tiers, and chat.postMessage's
one message a second in a channel, answered with 429 and ``Retry-After`` when exceeded.

What Slack documents (docs.slack.dev, "Rate limits") and the fake does: limits apply per
method per app per workspace (here: per token); Tier 1 allows 1+ calls a minute, Tier 2 20+,
Tier 3 50+, Tier 4 100+; chat.postMessage has a special limit, about one message a second in a
channel (short bursts are tolerated, without guarantee; the fake allows none) and a
workspace-wide limit Slack does not publish (off unless a test sets `post_workspace`). A call
over a limit is not carried out: HTTP 429, ``Retry-After: <seconds>``,
``{"ok": false, "error": "ratelimited"}``.

The fake counts the minute from the first call (a fixed window): a client that keeps the
limit in every sliding minute passes it. A test may lower any limit (`SlackRateLimits`
fields) or turn the whole thing off (``enabled=False``); every 429 the limiter sends is
counted by method (`refused`), apart from the 429s a test injects with `rate_limit_next`.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..buckets import Buckets

MINUTE = 60.0
TIERS: dict[int, int] = {1: 1, 2: 20, 3: 50, 4: 100}
"""Calls a minute of each tier."""
METHOD_TIERS: dict[str, int] = {
    "api.test": 4,
    "auth.test": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "users.info": 4,
}
"""apps.connections.open is Tier 1 but left out: Slack tolerates its bursts, and a dropped
Socket Mode connection reconnects through it at once."""
POST_METHOD = "chat.postMessage"
POST_PER_CHANNEL: tuple[int, float] = (1, 1.0)


@dataclass
class SlackRateLimits:
    """The limits one `FakeSlack` enforces (on by default, at Slack's published values)."""

    enabled: bool = True
    tiers: dict[int, int] = field(default_factory=lambda: dict(TIERS))
    methods: dict[str, int] = field(default_factory=lambda: dict(METHOD_TIERS))
    """Method -> tier; a method missing here has no limit of its own."""
    period: float = MINUTE
    """The window of the tiers (a test may shorten the minute)."""
    post_per_channel: tuple[int, float] = POST_PER_CHANNEL
    post_workspace: tuple[int, float] | None = None


class SlackLimiter:
    """Checks each Web API call against its method's limits; see the module docstring."""

    def __init__(
        self,
        limits: SlackRateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or SlackRateLimits()
        self.buckets = Buckets(monotonic)

    @property
    def refused(self) -> Counter[str]:
        """429s sent by the limiter, by method."""
        return self.buckets.refused

    def retry_after(self, method: str, token: str, channel: str | None) -> int | None:
        """None when the call may go (and it is counted), else the seconds to wait."""
        limits = self.limits
        if not limits.enabled:
            return None
        rules: list[tuple[tuple[str, ...], int, float]] = []
        tier = limits.methods.get(method)
        if tier is not None:
            rules.append(((token, method), limits.tiers[tier], limits.period))
        if method == POST_METHOD:
            rules.append(((token, method, channel or ""), *limits.post_per_channel))
            if limits.post_workspace is not None:
                rules.append(((token, method, "*"), *limits.post_workspace))
        now = self.buckets.monotonic()
        buckets = [self.buckets.bucket(key, limit, period) for key, limit, period in rules]
        waits = [b.peek(now).reset_after for b in buckets if not b.peek(now).allowed]
        if waits:
            self.buckets.refuse(method)
            return max(1, math.ceil(max(waits)))
        for bucket in buckets:
            bucket.hit(now)
        return None
