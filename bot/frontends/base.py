"""What a front end is to the rest of the bot: a name and `serve(app)`.

The composition root (`bot.app`) builds the database and the core once and hands them to every
configured front end (`bot.frontends.registry`), the way discord.py's advanced start-up example
builds the pool and session outside the bot and passes them in. A front end that cannot start
raises `StartError` with one line for the operator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.app import App


class StartError(RuntimeError):
    """A front end cannot start (a refused token, a platform away for too long); the message
    is one line for the operator and never holds a secret."""


class Frontend(Protocol):
    """One way to reach the bot: the console, Discord, Slack."""

    @property
    def name(self) -> str: ...

    async def serve(self, app: App) -> None:
        """Serve until cancelled (or, for the console, until the user quits)."""
        ...
