"""Pacing every REST request of a discord.py client within Discord's global limit of 50
requests a second per bot token, so that a burst of posts (2,000 reminders before a popular
talk) gets no 429.

discord.py already keeps the per-route buckets: it reads ``X-RateLimit-Remaining`` and
``-Reset-After`` on every answer and waits before a request that would exceed them, and on a
429 it sleeps ``retry_after`` and tries again (on a global one, every request it makes waits
it out). What it does not do is count the global limit before sending: requests to 2,000
different channels are 2,000 different buckets, so it would fire them as fast as it can and
learn the global limit from 429s. This adds that count, with the platform-free
`bot.delivery.pacing.Pacer`, around the client's `HTTPClient.request`, which every REST
request goes through (history pages and DM channels included, whoever makes them).
Interaction callbacks and interaction webhooks go through discord.py's webhook adapter and
are not counted, as on Discord, and they pay nothing for it: the count was once an aiohttp
trace hook on the client's session, which made every request, each slash command's answer
included, build trace parameters for nothing.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import discord
import discord.http

from bot.delivery.pacing import Pacer, Rate

GLOBAL: Final = Rate(50, 1.0)
"""Discord's documented global limit per bot token."""
GLOBAL_KEY: Final = "discord:global"
_EXEMPT: Final = ("/interactions/", "/webhooks/")
Request = Callable[..., Awaitable[Any]]


@dataclass
class GlobalPacing:
    """One client's count of its requests against the global limit: `rate` (Discord's by
    default; a test against a fake with lowered limits lowers it too) over `pacer`."""

    pacer: Pacer = field(default_factory=Pacer)
    rate: Rate = GLOBAL

    def wrap(self, request: Request) -> Request:
        """`request` (discord.py's `HTTPClient.request`), each counted route waiting its turn
        before it is sent and finished when its answer came (after discord.py's own retries)."""

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            if not counted(route.url):
                return await request(route, **kwargs)
            stamp = await self.pacer.start((GLOBAL_KEY, self.rate))
            try:
                return await request(route, **kwargs)
            finally:
                self.pacer.finish(stamp)

        return paced


_installed: weakref.WeakKeyDictionary[discord.Client, GlobalPacing] = weakref.WeakKeyDictionary()


def counted(url: str) -> bool:
    """Whether a request to `url` counts against the global limit (REST, not an
    interaction endpoint)."""
    if "/api/v" not in url:
        return False  # the gateway, the CDN
    return not any(part in url for part in _EXEMPT)


def install(client: discord.Client) -> GlobalPacing:
    """The client's pacing, installed on first use (on its `HTTPClient`, for every request from
    then on)."""
    found = _installed.get(client)
    if found is None:
        found = _installed[client] = GlobalPacing()
        client.http.request = found.wrap(client.http.request)  # type: ignore[method-assign,assignment]
    return found
