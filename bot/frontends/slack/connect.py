"""Getting the Slack app connected, telling "not now" from "never".

`check_bot_token` (auth.test) and `open_socket` (apps.connections.open with the app-level
token) raise `SlackStartupError` for a refused token and `Unavailable` for what may pass (no
connection, a time-out, HTTP 5xx, a rate limit), which `serve` retries with backoff.

The app token is checked here, before the Socket Mode client gets it, because that client
retries a refused token forever (every 10 s, each time with an ERROR and a traceback); the URL
it is handed is the one opened here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Iterator

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.frontends.base import StartError
from bot.startup import Unavailable

# Slack's answers that mean "try again later" rather than "this token will never do".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}
)


class SlackStartupError(StartError):
    """Slack refused the bot token (or cannot be reached); the message is one line, no token."""


async def check_bot_token(client: AsyncWebClient, base_url: str) -> AsyncSlackResponse:
    """auth.test with the bot token: its answer names the bot and team and lists the scopes."""
    refused = "Slack refused the bot token (SLACK_BOT_TOKEN)"
    return await _call(client.auth_test(), refused, base_url)


async def open_socket(client: AsyncWebClient, app_token: str, base_url: str) -> str:
    """apps.connections.open with the app-level token: the Socket Mode URL to connect to."""
    refused = "Slack refused the app-level token (SLACK_APP_TOKEN)"
    response = await _call(client.apps_connections_open(app_token=app_token), refused, base_url)
    url = response.get("url")
    if not isinstance(url, str) or not url:
        raise Unavailable("apps.connections.open answered without a URL")
    return url


async def _call(
    call: Awaitable[AsyncSlackResponse], refused: str, base_url: str
) -> AsyncSlackResponse:
    """The Web API call's answer; SlackStartupError(`refused`: code) or Unavailable."""
    try:
        return await call
    except SlackApiError as error:
        code = error_code(error)
        status = getattr(error.response, "status_code", 200)
        if code in TRANSIENT_ERRORS or status == 429 or status >= 500:
            raise Unavailable(
                f"Slack answered {code} (HTTP {status})", retry_after=_retry_after(error)
            ) from None
        raise SlackStartupError(f"{refused}: {code}") from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise Unavailable(
            f"cannot reach the Slack Web API at {base_url}: {type(error).__name__}"
        ) from None


def error_code(error: SlackApiError) -> str:
    try:
        return str(error.response.get("error") or "unknown_error")
    except (AttributeError, TypeError):
        return "unknown_error"


def _retry_after(error: SlackApiError) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
    return None


@contextlib.contextmanager
def bolt_reads_no_token() -> Iterator[None]:
    """While Bolt builds the app, hide SLACK_BOT_TOKEN from it.

    Given no `token`, `AsyncApp` reads SLACK_BOT_TOKEN from the environment, and when it finds
    one next to the `client` we pass (which carries the same token, from the settings) it warns
    on every start that the client wins. The settings are the one place tokens come from.
    """
    hidden = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        yield
    finally:
        if hidden is not None:
            os.environ["SLACK_BOT_TOKEN"] = hidden
