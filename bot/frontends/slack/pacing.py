"""Pacing the Slack poster's Web API calls within Slack's limits, so that a burst of posts gets
no 429: each method's tier, and chat.postMessage's one message a second in a channel.

Slack's limits (docs.slack.dev, "Rate limits") apply per method per app per workspace: Tier 1
allows 1+ calls a minute, Tier 2 20+, Tier 3 50+, Tier 4 100+; chat.postMessage allows about
one message a second in a channel (bursts are tolerated without guarantee, so none is
planned) beside a workspace-wide limit Slack does not publish. slack_sdk sends at once and,
with a retry handler, retries after a 429; pacing before sending is what keeps the 429 from
happening. `call` paces one call with `bot.delivery.pacing.Pacer`; a 429 that comes anyway
(another process on the same token) is raised for the delivery engine to retry after its
``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypeVar

from slack_sdk.errors import SlackApiError

from bot.delivery.pacing import Pacer, Rate

T = TypeVar("T")

MINUTE: Final = 60.0
TIERS: Final = {1: Rate(1, MINUTE), 2: Rate(20, MINUTE), 3: Rate(50, MINUTE), 4: Rate(100, MINUTE)}
METHOD_TIERS: Final = {
    "auth.test": 4,
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "conversations.history": 3,
    "conversations.info": 3,
    "conversations.open": 3,
    "users.info": 4,
}
POST_METHOD: Final = "chat.postMessage"
POST_PER_CHANNEL: Final = Rate(1, 1.0)


@dataclass(frozen=True)
class SlackRates:
    """The limits the poster keeps (Slack's by default; a test against a fake with lowered
    limits lowers them too)."""

    tiers: Mapping[int, Rate] = field(default_factory=lambda: dict(TIERS))
    methods: Mapping[str, int] = field(default_factory=lambda: dict(METHOD_TIERS))
    post_per_channel: Rate = POST_PER_CHANNEL

    def limits(self, method: str, channel: str | None = None) -> tuple[tuple[str, Rate], ...]:
        """The (key, rate) pairs a call of `method` (in `channel`) counts against."""
        if method == POST_METHOD:
            return ((f"slack:{method}:{channel or ''}", self.post_per_channel),)
        tier = self.methods.get(method)
        return ((f"slack:{method}", self.tiers[tier]),) if tier is not None else ()


async def call(
    pacer: Pacer,
    rates: SlackRates,
    method: str,
    request: Callable[[], Awaitable[T]],
    *,
    channel: str | None = None,
) -> T:
    """`request()`, a call of `method` (in `channel`), once `pacer` lets it go within
    `rates`. A 429 that comes anyway is raised for the delivery engine to retry after its
    Retry-After; when the method's limit is one for the whole workspace (a tier), it also
    pauses the method, so the calls after it wait instead of being refused too (a post in one
    channel says nothing about the next channel, and the engine's retry already waits)."""
    try:
        async with pacer.request(*rates.limits(method, channel)):
            return await request()
    except SlackApiError as error:
        wait = retry_after(error)
        if wait is not None and method in rates.methods:
            pacer.pause(f"slack:{method}", wait)
        raise


def retry_after(error: SlackApiError) -> float | None:
    """The seconds a 429 asks to wait (``Retry-After``), or None when it is not a 429."""
    response = error.response
    if int(getattr(response, "status_code", 200) or 200) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value if not isinstance(value, list) else value[0])
            except (TypeError, ValueError):
                return 1.0
    return 1.0
