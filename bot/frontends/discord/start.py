"""Getting the Discord bot logged in and onto the gateway, telling "not now" from "never".

`login` and `connect` raise `DiscordStartError` (one line for the operator) for what retrying
cannot fix (a rejected token, refused intents) and `Unavailable` for what may pass (no
connection, a time-out, HTTP 5xx or 429), which `serve` retries with backoff.

discord.py 2.7.1 cannot survive a first gateway connection that fails: its reconnect path reads
`self.ws.sequence` while `ws` is still None and raises `AttributeError` (after logging the
failure with a traceback). `connect` turns that into `Unavailable`, and `FirstConnectLog`
replaces the traceback with the one line `with_retries` logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import aiohttp
import discord
import discord.http
import yarl

from bot.config import DiscordSettings
from bot.frontends.base import StartError
from bot.startup import Unavailable

TOKEN_REJECTED = "Discord rejected the token (401): check DISCORD_TOKEN"
_NETWORK = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.GatewayNotFound)
_RECONNECT_LINE = "Attempting a reconnect in %.2fs"  # discord.client's, with a traceback


class DiscordStartError(StartError):
    """The bot could not start; `str(error)` is one line fit for the operator (no token)."""


def public(url: str) -> str:
    """A URL without any user:password a proxy URL may carry."""
    try:
        return str(yarl.URL(url).with_user(None))
    except (TypeError, ValueError):
        return "the configured URL"


async def login(bot: discord.Client, settings: DiscordSettings) -> None:
    token = settings.token.reveal()
    if not token.strip():
        raise DiscordStartError("DISCORD_TOKEN is empty: set it to the bot token")
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise DiscordStartError(TOKEN_REJECTED) from None
    except discord.HTTPException as error:
        line = f"Discord refused the login ({error.status}): {error.text[:200]}"
        if error.status >= 500 or error.status == 429:
            raise Unavailable(line) from None
        raise DiscordStartError(line) from None
    except _NETWORK as error:
        raise Unavailable(
            f"cannot reach the Discord API at {public(discord.http.Route.BASE)}: "
            f"{type(error).__name__}"
        ) from None


async def connect(bot: discord.Client) -> None:
    """Run the gateway connection until the bot is closed; discord.py reconnects once it has
    been connected."""
    try:
        await bot.connect(reconnect=True)
    except discord.ConnectionClosed as error:
        if error.code == 4004:
            raise DiscordStartError(TOKEN_REJECTED) from None
        raise DiscordStartError(f"Discord closed the gateway connection ({error.code})") from None
    except discord.PrivilegedIntentsRequired:
        raise DiscordStartError("Discord refused the gateway intents") from None
    except AttributeError as error:
        cause = error.__context__
        if bot.ws is None and isinstance(cause, _NETWORK):
            raise Unavailable(_gateway_failed(cause)) from None
        raise
    except _NETWORK as error:
        raise Unavailable(_gateway_failed(error)) from None


def _gateway_failed(error: BaseException) -> str:
    return f"the first gateway connection failed ({type(error).__name__})"


class FirstConnectLog(logging.Filter):
    """Drops discord.py's reconnect traceback while the first connection is not made yet
    (`connect` reports it in one line instead); later reconnects are logged as discord.py
    logs them."""

    def __init__(self, bot: discord.Client) -> None:
        super().__init__()
        self.bot = bot

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg == _RECONNECT_LINE and self.bot.ws is None)


@contextlib.contextmanager
def first_connect_log(bot: discord.Client) -> Iterator[None]:
    logger = logging.getLogger("discord.client")
    quiet = FirstConnectLog(bot)
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
