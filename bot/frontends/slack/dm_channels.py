"""Each person's Slack IM channel with the app, learned ahead of time so that agenda DMs go
straight out with `chat.postMessage`.

Opening a DM (`conversations.open`) is Tier 3, 50 calls a minute: 2,000 reminders of one
talk would need 40 minutes of opens if each were opened at send time, far more than a
10-minute lead. Slack's `conversations.open` is idempotent (it answers the same IM channel
each time), so it is called when the person follows something (they are using the bot then,
one at a time; `learn_soon`) and the answer is kept with the person in the agenda store
(`bot.store.agenda.set_dm_channel`). At send time the poster asks `channel_for`: the stored
channel, or (for someone who followed before this was stored) one paced open, stored then.
A stored channel Slack no longer knows is `forget`-ten and opened again once by the poster.

Without a database (tests of the poster alone) the channels are kept in memory only.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.pacing import Pacer
from bot.frontends.slack import pacing
from bot.store import agenda
from bot.store.db import Database

log = logging.getLogger("confbot.slack")

FRONTEND = "slack"
OPEN_METHOD = "conversations.open"


class DmChannels:
    """The IM channel of each person, from memory, the store or `conversations.open`.

    Pass the same `pacer` and `rates` as the poster of the same token, so an open at follow
    time and the posts of a burst share Slack's limits."""

    def __init__(
        self,
        client: AsyncWebClient,
        db: Database | None = None,
        *,
        pacer: Pacer | None = None,
        rates: pacing.SlackRates | None = None,
    ) -> None:
        self.client = client
        self.db = db
        self.pacer = pacer or Pacer()
        self.rates = rates or pacing.SlackRates()
        self.opened = 0
        """How many times `conversations.open` was called (learned or at send time)."""
        self._known: dict[str, str] = {}
        self._learning: set[asyncio.Task[None]] = set()

    async def stored(self, user_id: str) -> str | None:
        """The channel known for `user_id` (memory, then the store), or None."""
        if user_id in self._known:
            return self._known[user_id]
        if self.db is None:
            return None
        channel = await agenda.dm_channel(self.db, FRONTEND, user_id)
        if channel is not None:
            self._known[user_id] = channel
        return channel

    async def open(self, user_id: str) -> str:
        """`conversations.open` with the person (paced), remembered and stored. Raises the
        client's errors (SlackApiError, aiohttp.ClientError, TimeoutError)."""
        self.opened += 1
        response = await pacing.call(
            self.pacer,
            self.rates,
            OPEN_METHOD,
            partial(self.client.conversations_open, users=user_id),
        )
        found = response.get("channel")
        channel = str(found.get("id") or "") if isinstance(found, dict) else ""
        if channel:
            self._known[user_id] = channel
            if self.db is not None:
                await agenda.set_dm_channel(self.db, FRONTEND, user_id, channel)
        return channel

    async def channel_for(self, user_id: str) -> tuple[str, bool]:
        """The person's IM channel and whether it was stored before (False: just opened)."""
        channel = await self.stored(user_id)
        if channel is not None:
            return channel, True
        return await self.open(user_id), False

    async def forget(self, user_id: str) -> None:
        """Slack no longer knows the stored channel: drop it (the next send opens anew)."""
        self._known.pop(user_id, None)
        if self.db is not None:
            await agenda.set_dm_channel(self.db, FRONTEND, user_id, None)

    def drop_memory(self, user_id: str) -> None:
        """Keep nothing in memory about someone the store has forgotten (forget-me)."""
        self._known.pop(user_id, None)

    def learn_soon(self, user_id: str) -> None:
        """Open and store the person's channel in the background, unless it is known; called
        after they follow something, so the answer to them is not held up."""
        if not user_id or user_id in self._known:
            return
        task = asyncio.create_task(self._learn(user_id), name="slack-learn-dm")
        self._learning.add(task)
        task.add_done_callback(self._learning.discard)

    async def settled(self) -> None:
        """Wait for the channels being learned (tests, and an orderly shutdown)."""
        while self._learning:
            await asyncio.gather(*self._learning, return_exceptions=True)

    async def _learn(self, user_id: str) -> None:
        try:
            if self.db is not None and await agenda.person(self.db, FRONTEND, user_id) is None:
                return  # they follow nothing (a refused /follow): nothing is kept about them
            if await self.stored(user_id) is None:
                await self.open(user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            # Not fatal: the send opens it then, and a refusal there pauses the person's DMs.
            code = error.response.get("error") if isinstance(error, SlackApiError) else None
            log.debug("could not open a DM ahead of time: %s", code or type(error).__name__)
