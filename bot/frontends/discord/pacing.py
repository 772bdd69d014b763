"""Pacing every REST request of a discord.py client within Discord's global limit of 50
requests a second per bot token, so that a burst of posts (2,000 reminders before a popular
talk) gets no 429.

discord.py already keeps the per-route buckets: it reads ``X-RateLimit-Remaining`` and
``-Reset-After`` on every answer and waits before a request that would exceed them, and on a
429 it sleeps ``retry_after`` and tries again. What it does not do is count the global limit
before sending: requests to 2,000 different channels are 2,000 different buckets, so it would
fire them as fast as it can and learn the global limit from 429s. This adds that count, with
the platform-free `bot.delivery.pacing.Pacer`, as an aiohttp trace hook on the client's
session: every REST request (history pages and DM channels included, whoever makes them)
waits its turn; interaction callbacks and interaction webhooks are exempt, as on Discord. A
global 429 (another process on the same token) pauses the count for its ``Retry-After``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Final

import aiohttp
import discord

from bot.delivery.pacing import Pacer, Rate, Stamp

GLOBAL: Final = Rate(50, 1.0)
"""Discord's documented global limit per bot token."""
GLOBAL_KEY: Final = "discord:global"
_EXEMPT: Final = ("/interactions/", "/webhooks/")


@dataclass
class GlobalPacing:
    """One client's count of its requests against the global limit: `rate` (Discord's by
    default; a test against a fake with lowered limits lowers it too) over `pacer`."""

    pacer: Pacer = field(default_factory=Pacer)
    rate: Rate = GLOBAL

    def trace(self) -> aiohttp.TraceConfig:
        """An aiohttp trace that makes each counted request wait for the pacer before it is
        sent, tells the pacer when its answer came, and pauses the count after a global
        429."""

        async def before(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestStartParams,
        ) -> None:
            if counted(params.url.path):
                context.stamp = await self.pacer.start((GLOBAL_KEY, self.rate))

        def answered(context: SimpleNamespace) -> None:
            if isinstance(stamp := getattr(context, "stamp", None), Stamp):
                self.pacer.finish(stamp)

        async def failed(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestExceptionParams,
        ) -> None:
            answered(context)

        async def after(
            session: aiohttp.ClientSession,
            context: SimpleNamespace,
            params: aiohttp.TraceRequestEndParams,
        ) -> None:
            answered(context)
            headers = params.response.headers
            if params.response.status == 429 and headers.get("X-RateLimit-Global"):
                try:
                    self.pacer.pause(GLOBAL_KEY, float(headers.get("Retry-After", "1")))
                except ValueError:
                    self.pacer.pause(GLOBAL_KEY, 1.0)

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(before)
        trace.on_request_end.append(after)
        trace.on_request_exception.append(failed)
        return trace


_installed: weakref.WeakKeyDictionary[discord.Client, GlobalPacing] = weakref.WeakKeyDictionary()


def counted(path: str) -> bool:
    """Whether a request to `path` counts against the global limit (REST, not an
    interaction endpoint)."""
    if "/api/v" not in path:
        return False  # the gateway, the CDN
    return not any(part in path for part in _EXEMPT)


def install(client: discord.Client) -> GlobalPacing:
    """The client's pacing, installed on first use. It takes effect at the client's login
    (discord.py builds its session then), so call this before `login`; a client that brought
    its own `http_trace` keeps it, unpaced."""
    found = _installed.get(client)
    if found is None:
        found = _installed[client] = GlobalPacing()
        if client.http.http_trace is None:
            client.http.http_trace = found.trace()
    return found
