"""Running, syncing and inviting the Discord bot.

`serve` runs `ConfBot` until it is stopped (retrying the first connection); `sync_commands`
registers the slash commands (to a dev guild or globally: deliberately, not on every start);
`invite_url` is the OAuth2 link with the scopes and permissions the bot needs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import discord
import discord.gateway
import discord.http
import yarl

from bot import logs
from bot.clock import Clock
from bot.config import DiscordSettings
from bot.core import Core
from bot.frontends.discord.bot import ConfBot, quiet_voice
from bot.frontends.discord.start import DiscordStartError, connect, first_connect_log, login, public
from bot.startup import Backoff, Unavailable, with_retries
from bot.store.db import Database
from bot.wisdom import DEFAULT_GRACE

log = logging.getLogger("confbot.discord")

INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
INVITE_SCOPES = ("bot", "applications.commands")


@contextlib.contextmanager
def discord_endpoints(api_base: str | None, gateway_url: str | None) -> Iterator[None]:
    """Point discord.py at another REST base / gateway (a proxy, or a local fake); restore the
    previous ones on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


async def _login(bot: discord.Client, settings: DiscordSettings) -> None:
    """Log in once: for the one-shot commands, which do not retry."""
    try:
        await login(bot, settings)
    except Unavailable as error:
        raise DiscordStartError(error.reason) from None


async def serve(
    core: Core,
    db: Database,
    settings: DiscordSettings,
    *,
    clock: Clock | None = None,
    wisdom_grace: timedelta = DEFAULT_GRACE,
    guild_ready_timeout: float = 1.0,
    start_retry: float = 0.0,
) -> None:
    """Run the Discord bot until cancelled (or the connection is lost for good).

    Raises DiscordStartError, with one line for the operator, when the token is missing or
    rejected, or Discord cannot be reached for `start_retry` seconds: until it is connected,
    each failed try (no connection, a time-out, 5xx, 429) is logged in one line and tried
    again with a fresh client after a growing pause.
    """

    async def attempt() -> None:
        bot = ConfBot(
            core,
            db,
            settings,
            clock=clock,
            wisdom_grace=wisdom_grace,
            guild_ready_timeout=guild_ready_timeout,
        )
        async with bot:
            started = time.monotonic()
            await login(bot, settings)
            log.info(
                "logged in to %s in %.1fs; connecting to the gateway",
                public(discord.http.Route.BASE),
                time.monotonic() - started,
            )
            try:
                with first_connect_log(bot):
                    await connect(bot)
            finally:
                log.info("stopped after serving %d command(s)", bot.served)

    logs.protect(settings.token.reveal())
    with discord_endpoints(settings.api_base, settings.gateway_url):
        await with_retries(
            "Discord", attempt, Backoff(window=start_retry), log=log, give_up=DiscordStartError
        )


async def sync_commands(settings: DiscordSettings, guild_id: int | None) -> list[str]:
    """Register the slash commands: copied to `guild_id` (instant, for a dev guild) or
    globally (None). Returns the names Discord now has."""
    logs.protect(settings.token.reveal())
    with discord_endpoints(settings.api_base, settings.gateway_url):
        bot = ConfBot(None, None, settings, start_wisdom=False)
        async with bot:
            await _login(bot, settings)
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                where = f"guild {guild_id}"
            else:
                synced = await bot.tree.sync()
                where = "globally"
            names = [command.name for command in synced]
            log.info("synced %d command(s) %s: %s", len(names), where, ", ".join(names))
            return names


async def fetch_application_id(settings: DiscordSettings) -> int:
    """The application id of the token's bot (for `invite_url`), asked of Discord."""
    logs.protect(settings.token.reveal())
    with discord_endpoints(settings.api_base, settings.gateway_url):
        quiet_voice()
        client = discord.Client(intents=discord.Intents.none())
        async with client:
            await _login(client, settings)
            application_id = client.application_id
            if application_id is None:
                application_id = (await client.application_info()).id
            return application_id


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot to a server with the scopes and permissions it needs:
    bot + applications.commands; View Channel, Send Messages, Embed Links, Read Message
    History (the last to check whether a daily post went out before a restart)."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )
