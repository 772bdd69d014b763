"""Which conferences a command looks in: the one named with --conference, else the ones the
caller's community is about (/conference use), else every conference.

The community's conferences are read from the store once and kept (`CommunityConferences`):
a command costs no query for them, `/conference use` through this bot takes effect at once,
and a change made by another process shows within the lookup's version-check interval.

A follow-up (a page button, a pick, "Another one", the console's `more`) replays what was
asked, never where it was looked: the community default is not written into the invocation
it carries. It is looked up again for the caller who presses it, in the community the button
is in. So a custom_id stays short (no stash, so it survives a restart), a page-2 button in a
server about normconf-2022 still searches only normconf-2022, and a button pressed after
`/conference use` changed looks in the conferences the community is about now; every such
answer says where it looked (`where`), so a page that changed under the reader says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from bot.store import communities
from bot.store.db import Database

# Communities remembered at once; past that the cache starts afresh (each costs one query).
MAX_COMMUNITIES = 4096
# How many conferences an answer names before it says "and N more".
MAX_NAMED = 5


class CommunityConferences:
    """The conferences each community (front end, Discord guild or Slack team) is about,
    cached for `ttl()` seconds a community."""

    def __init__(self, db: Database, ttl: Callable[[], float]) -> None:
        self.db = db
        self.ttl = ttl
        self._known: dict[tuple[str, str], tuple[tuple[str, ...], float]] = {}
        self._reading: dict[tuple[str, str], asyncio.Future[tuple[str, ...]]] = {}

    async def of(self, frontend: str, community: str) -> tuple[str, ...]:
        """The community's conferences in the order it named them; () when it never said
        (and always on the console, which has no community)."""
        if not community:
            return ()
        key = (frontend, community)
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and now - cached[1] < self.ttl():
            return cached[0]
        # A burst of commands from one server reads its conferences once, not once each.
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key, now))
            self._reading[key] = reading
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        return await asyncio.shield(reading)

    async def _read(self, key: tuple[str, str], now: float) -> tuple[str, ...]:
        slugs = tuple(await communities.conferences_of(self.db, *key))
        self._remember(key, slugs, now)
        return slugs

    async def use(self, frontend: str, community: str, slugs: Sequence[str]) -> None:
        """The community is about `slugs` from now on (none: every conference again)."""
        await communities.set_conferences(self.db, frontend, community, slugs)
        self._remember((frontend, community), tuple(slugs), time.monotonic())

    def _remember(self, key: tuple[str, str], slugs: tuple[str, ...], now: float) -> None:
        if len(self._known) >= MAX_COMMUNITIES and key not in self._known:
            self._known.clear()
        self._known[key] = (slugs, now)


def named(slugs: Sequence[str], limit: int = MAX_NAMED) -> str:
    """'a, b and 3 more': at most `limit` slugs, for one line of an answer."""
    shown = ", ".join(slugs[:limit])
    rest = len(slugs) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def where(defaults: Sequence[str]) -> str:
    """' in normconf-2022' when the answer looked only in the community's conferences, ''
    when the community named none (or the caller named one with --conference)."""
    return f" in {named(defaults)}" if defaults else ""


def elsewhere(defaults: Sequence[str]) -> str:
    """The sentence a "found nothing" answer adds when it looked only in the community's
    conferences."""
    return " Add --conference SLUG to look in another conference." if defaults else ""
