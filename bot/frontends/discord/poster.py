"""The Discord poster for daily wisdom, talk reminders and programme-change announcements: one
channel message per post,
errors sorted for the scheduler.

The schedulers (`bot.delivery.wisdom_service.WisdomService`,
`bot.delivery.reminder_service.ReminderService`)
decide what to post and when; this only
delivers one post and says whether a failure is permanent (the channel is gone, the bot may not
see or post in it: counts towards disabling the subscription) or transient (rate limited, a
Discord server error, a network problem, a rejected token: retried with backoff).

Every post carries its idempotency key as the message nonce; discord.py sends it with
``enforce_nonce``, so Discord returns the first message instead of posting twice when the same
post is sent again within its nonce window. Mentions are disabled on every post.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
import discord

from bot.answer import Answer
from bot.delivery.agenda_answers import agenda_answer
from bot.delivery.agenda_plan import AgendaPost
from bot.delivery.announce_plan import AnnouncementPost
from bot.delivery.announce_text import announcement_answer
from bot.delivery.model import PermanentSendError, TransientSendError
from bot.delivery.reminder_answers import reminder_answer
from bot.frontends.discord import pacing
from bot.frontends.discord.embeds import answer_embed
from bot.reminders import ReminderPost
from bot.wisdom import WisdomPost, wisdom_answer

log = logging.getLogger("confbot.discord.poster")

UNKNOWN_CHANNEL = 10003
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
CANNOT_DM = 50007
TOKEN_RETRY_SECONDS = 600.0
SEND_TIMEOUT = 60.0
"""How long a post waits before its outcome counts as unknown (the request itself goes on:
discord.py's own waits, 30 s and rate limits, are never cut short)."""
HISTORY_LIMIT: int | None = None
"""Messages read when looking a post up: None reads every page after the attempt."""
LOOKUP_SKEW = timedelta(minutes=1)


def classify(error: discord.HTTPException) -> PermanentSendError | TransientSendError:
    """A Discord error as the scheduler's permanent or transient failure."""
    status, code = error.status, error.code
    if isinstance(error, discord.NotFound) or status == 404:
        if code == UNKNOWN_CHANNEL:
            return PermanentSendError(f"the channel no longer exists (Discord {code})")
        return PermanentSendError(f"Discord cannot find the channel ({status}/{code})")
    if isinstance(error, discord.Forbidden) or status == 403:
        if code == MISSING_ACCESS:
            return PermanentSendError(f"the bot cannot see the channel (Discord {code})")
        if code == CANNOT_DM:
            return PermanentSendError(
                "Discord would not deliver a direct message to you (error 50007): allow direct "
                "messages from this server's members in its Privacy Settings"
            )
        if code == MISSING_PERMISSIONS:
            return PermanentSendError(
                f"the bot may not post or embed links in the channel (Discord {code})"
            )
        return PermanentSendError(f"Discord forbids the post ({status}/{code})")
    if status == 401:
        # The token itself is bad: every channel fails, so no subscription is blamed for it.
        return TransientSendError("Discord rejected the bot token (401)", TOKEN_RETRY_SECONDS)
    if status == 429:
        return TransientSendError("rate limited by Discord (429)", _retry_after(error))
    if status >= 500:
        return TransientSendError(f"Discord server error ({status})")
    return TransientSendError(f"Discord refused the post ({status}/{code})")


def _retry_after(error: discord.HTTPException) -> float | None:
    header = error.response.headers.get("Retry-After") if error.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None


Post = WisdomPost | ReminderPost | AgendaPost | AnnouncementPost


def _posted_answer(post: Post) -> Answer:
    """The answer the schedulers send for `post` (to recognise an earlier delivery)."""
    if isinstance(post, AgendaPost):
        return agenda_answer(post)
    if isinstance(post, AnnouncementPost):
        return announcement_answer(post)
    return reminder_answer(post) if isinstance(post, ReminderPost) else wisdom_answer(post)


def _describe(post: Post) -> str:
    if isinstance(post, AgendaPost):
        return f"agenda DM #{post.subscription_id}"  # never the person's id (privacy)
    if isinstance(post, ReminderPost):
        return f"reminder for {post.talk_ref} in channel {post.channel_id}"
    if isinstance(post, AnnouncementPost):
        return f"programme changes #{post.batch_id} part {post.part} in channel {post.channel_id}"
    return f"daily wisdom for {post.local_date} in channel {post.channel_id}"


class DiscordPoster:
    """Implements `bot.delivery.model.Poster` (for daily wisdom and reminders) over a
    discord.py client.

    Build it before the client logs in (`ConfBot` does, in its constructor): it installs the
    client's pacing within Discord's global limit (`bot.frontends.discord.pacing`), which
    takes effect at login; `pacing` is that count, shared by every poster of the client."""

    def __init__(
        self,
        client: discord.Client,
        *,
        send_timeout: float = SEND_TIMEOUT,
        history_limit: int | None = HISTORY_LIMIT,
    ) -> None:
        self.client = client
        self.send_timeout = send_timeout
        self.history_limit = history_limit
        self.pacing = pacing.install(client)  # every REST request within the global limit
        self._pending: set[asyncio.Future[discord.Message]] = set()
        self._dm_channels: dict[str, int] = {}

    async def _channel(self, post: Post) -> discord.PartialMessageable:
        if isinstance(post, AgendaPost):  # a direct message: channel_id is the user's id
            return self.client.get_partial_messageable(await self._dm_channel(post.channel_id))
        guild_id = int(post.guild_id) if post.guild_id.isdigit() else None
        return self.client.get_partial_messageable(int(post.channel_id), guild_id=guild_id)

    async def _dm_channel(self, user_id: str) -> int:
        """The DM channel with the user (POST /users/@me/channels the first time)."""
        if user_id not in self._dm_channels:
            try:
                user = self.client.get_user(int(user_id)) or await self.client.fetch_user(
                    int(user_id)
                )
                channel = user.dm_channel or await user.create_dm()
            except discord.NotFound as error:
                raise PermanentSendError(f"Discord knows no such user ({error.code})") from error
            except discord.HTTPException as error:
                raise classify(error) from error
            except (aiohttp.ClientError, OSError) as error:
                raise TransientSendError(
                    f"no answer from Discord ({type(error).__name__})"
                ) from error
            self._dm_channels[user_id] = channel.id
        return self._dm_channels[user_id]

    async def send(self, post: Post, answer: Answer) -> str:
        """Post `answer`; returns the message id.

        The request is never cancelled: discord.py may be sleeping on a rate limit or a retry
        inside it, and cancelling it there can leave the channel's rate-limit bucket locked so
        that every later post to the channel hangs until a restart. After `send_timeout` the
        request goes on in the background and this raises TransientSendError: the outcome is
        unknown, the claim stays, and the retry first looks the post up by its key.
        """
        channel = await self._channel(post)
        request = asyncio.ensure_future(
            channel.send(
                embed=answer_embed(answer),
                nonce=post.idempotency_key,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        )
        try:
            message = await asyncio.wait_for(asyncio.shield(request), self.send_timeout)
        except TimeoutError as error:
            self._pending.add(request)
            request.add_done_callback(self._finished)
            raise TransientSendError(
                f"no answer from Discord within {self.send_timeout:g} s; the post may have "
                "gone out and is looked up before it is sent again"
            ) from error
        except discord.HTTPException as error:
            raise classify(error) from error
        except discord.RateLimited as error:
            raise TransientSendError("rate limited by Discord", error.retry_after) from error
        except (aiohttp.ClientError, OSError) as error:
            raise TransientSendError(f"no answer from Discord ({type(error).__name__})") from error
        log.debug("%s posted (message %s)", _describe(post), message.id)
        return str(message.id)

    def _finished(self, request: asyncio.Future[discord.Message]) -> None:
        """A send that outlived its timeout ended; its outcome is for the lookup to find."""
        self._pending.discard(request)
        if not request.cancelled() and request.exception() is not None:
            log.info("a post that timed out then failed: %s", request.exception())

    async def find_existing(self, post: Post) -> str | None:
        """The bot's own message carrying the post's nonce or its embed, or None when there is
        none or the history cannot be read.

        Reads the channel's history after a snowflake of the first attempt (less a minute of
        clock skew), oldest first, paging by 100 until the end: however much chat came after
        the post was due or after it went out, the post itself is seen.
        """
        me = self.client.user
        if me is None:
            return None
        expected = answer_embed(_posted_answer(post))
        attempted = post.attempted_at or post.scheduled_at
        after = discord.Object(id=discord.utils.time_snowflake(attempted - LOOKUP_SKEW))
        try:
            async for message in (await self._channel(post)).history(
                limit=self.history_limit, after=after, oldest_first=True
            ):
                if message.author.id != me.id:
                    continue
                if message.nonce is not None and str(message.nonce) == post.idempotency_key:
                    return str(message.id)
                for embed in message.embeds:
                    if embed.title == expected.title and embed.description == expected.description:
                        return str(message.id)
        except (discord.Forbidden, discord.NotFound):
            return None  # no history permission, or the channel is gone: cannot tell
        except discord.HTTPException as error:
            raise classify(error) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise TransientSendError(f"no answer from Discord ({type(error).__name__})") from error
        return None
