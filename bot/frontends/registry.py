"""The front ends `confbot run` can serve, and which of them the settings ask for.

Adding a front end: implement `Frontend` (`bot.frontends.base`: a name and `serve(app)`,
importing its platform library inside `serve` so that no other command loads it), give it a
`configured(settings)` that returns it or None, and add that one line to `FRONTENDS`. The
console serves when no other front end is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, TypedDict

from bot.clock import Clock
from bot.config import DiscordSettings, Settings, SlackSettings, WebSettings
from bot.frontends.base import Frontend, StartError

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("confbot")


@dataclass(frozen=True)
class ConsoleFrontend:
    """The terminal prompt (`confbot console`, or `confbot run` with no platform token)."""

    name = "console"

    async def serve(self, app: App) -> None:
        from bot.frontends.console import run_console

        await run_console(app.core)


@dataclass(frozen=True)
class DiscordFrontend:
    settings: DiscordSettings
    name = "discord"

    @classmethod
    def configured(cls, settings: Settings) -> DiscordFrontend | None:
        return cls(settings.discord) if settings.discord is not None else None

    async def serve(self, app: App) -> None:
        from bot.frontends.discord import serve

        await serve(app.core, app.db, self.settings, **_shared(app))


@dataclass(frozen=True)
class SlackFrontend:
    settings: SlackSettings
    name = "slack"

    @classmethod
    def configured(cls, settings: Settings) -> SlackFrontend | None:
        if settings.slack is None:
            return None
        if settings.slack.missing:
            # Serving only the other platforms would hide the mistake.
            raise StartError(settings.slack.missing)
        return cls(settings.slack)

    async def serve(self, app: App) -> None:
        from bot.frontends.slack import serve

        await serve(app.core, app.db, self.settings, **_shared(app))


@dataclass(frozen=True)
class WebFrontend:
    """The organisers' web console (bot/frontends/web), when CONFBOT_WEB_PORT is set."""

    settings: WebSettings
    name = "web"

    @classmethod
    def configured(cls, settings: Settings) -> WebFrontend | None:
        return cls(settings.web) if settings.web is not None else None

    async def serve(self, app: App) -> None:
        from bot.frontends.web.server import build_app, serve

        others = [make(app.settings) for make in FRONTENDS]
        console = build_app(
            app.core,
            app.db,
            self.settings,
            clock=app.clock,
            frontends=[f.name for f in others if f is not None and f.name != self.name],
            grace=app.wisdom_grace,
        )
        await serve(console, self.settings)


class _Shared(TypedDict):
    clock: Clock
    wisdom_grace: timedelta
    start_retry: float


def _shared(app: App) -> _Shared:
    """What every platform's `serve` takes from the app besides the core, database and its
    own settings: the one clock, the daily-wisdom grace and the start-up retry window."""
    return _Shared(
        clock=app.clock,
        wisdom_grace=app.wisdom_grace,
        start_retry=app.settings.start_retry_seconds,
    )


FRONTENDS: list[Callable[[Settings], Frontend | None]] = [
    DiscordFrontend.configured,
    SlackFrontend.configured,
    WebFrontend.configured,
]


def configured(settings: Settings) -> list[Frontend]:
    """The front ends the settings ask for, or the console; StartError when one is only half
    configured."""
    chosen = [frontend for make in FRONTENDS if (frontend := make(settings)) is not None]
    if chosen:
        return chosen
    log.info(
        "no DISCORD_TOKEN, SLACK_BOT_TOKEN or CONFBOT_WEB_PORT configured: starting the console"
    )
    return [ConsoleFrontend()]
