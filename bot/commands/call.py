"""Who asks and what a handler reads: the `Caller` (the front end's word on who and where),
the `Channels` only a front end can answer, and the `Call` a handler gets (the invocation,
its parsed values, the caller and the community's conferences). Knows no platform; the
registry (bot/commands/registry.py) builds each `Call`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bot.commands.invocation import Invocation
from bot.commands.params import Value


@dataclass(frozen=True)
class Caller:
    """Who asks, and where, as the front end knows it; `admin` is the front end's verdict
    (Discord: Manage Server; Slack: a workspace admin or SLACK_ADMIN_USER_IDS)."""

    frontend: str = ""
    user: str = ""
    place: str = ""  # the Discord guild or the Slack team
    channel: str = ""
    admin: bool = False
    name: str = ""  # the user's display name, when the front end knows it
    channels: Channels | None = field(default=None, compare=False, repr=False)

    @property
    def who(self) -> str:
        """The asker as stored with a subscription: 'ada (123)', or the user id."""
        return f"{self.name} ({self.user})" if self.name else self.user


class Channels(Protocol):
    """What only the front end can tell about its platform, for the admin commands."""

    cannot_post_hint: str  # what to do when the bot cannot post in a channel ('' for none)

    async def can_post(self, channel: str) -> bool:
        """Whether the bot can post in `channel` (True when it cannot tell)."""
        ...

    async def zone(self) -> str | None:
        """The asker's own time zone, when the platform knows it."""
        ...


NOBODY = Caller()


@dataclass(frozen=True)
class Call:
    """What a handler gets: the invocation, its parsed values and who asked."""

    invocation: Invocation
    values: Mapping[str, Value]
    caller: Caller = NOBODY
    scope: tuple[str, ...] = ()  # the community's conferences, when no --conference is given

    @property
    def conferences(self) -> tuple[str, ...]:
        """Where the command looks: the --conference given, else the community's
        conferences (/conference use), else () for every conference (bot.commands.scope)."""
        given = self.text("conference")
        return (given,) if given else self.scope

    def text(self, name: str) -> str:
        value = self.values.get(name, "")
        return value if isinstance(value, str) else str(value)

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def number(self, name: str, default: int) -> int:
        value = self.values.get(name)
        return value if isinstance(value, int) else default
