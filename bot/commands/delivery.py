"""What the admin commands (/wisdom, /remind, /programme) reach the delivery services through,
and the pieces the groups share (`ServiceGroup`, the channel, the unsubscribe and status
subcommands).

Each front end registers, on the shared `Core`, the daily wisdom, reminder and announcement
services that post with its own poster (`core.delivery["slack"] = Delivery(wisdom, reminders,
programme)`); a handler
picks those of its caller's front end. Only the services' public methods are called.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from bot.answer import Answer
from bot.commands.params import Channel, Param
from bot.commands.registry import Call, Handler, group_usage

if TYPE_CHECKING:
    from bot.core import Core
    from bot.delivery.announce_service import AnnouncementService
    from bot.delivery.reminder_service import ReminderService
    from bot.delivery.wisdom_service import WisdomService

S = TypeVar("S")
E = TypeVar("E", bound=Exception)
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

_CHANNEL_LIKE = re.compile(r"<#|#|[CG][A-Z0-9]{6,}$|[0-9]{15,25}$")


@dataclass(frozen=True)
class Delivery:
    """The services that post on their own for one front end (None: not running)."""

    wisdom: WisdomService | None = None
    reminders: ReminderService | None = None
    programme: AnnouncementService | None = None


NOTHING = Delivery()


def delivery(core: Core, call: Call) -> Delivery:
    return core.delivery.get(call.caller.frontend, NOTHING)


def channel_param(help: str = "The channel (default: this one)") -> Param:
    return Param("channel", Channel(), help, positional=True, metavar="#channel")


def channel(call: Call) -> str:
    """The channel named, else the one the command was given in."""
    return call.text("channel") or call.caller.channel


async def can_post(call: Call, channel_id: str) -> bool:
    checks = call.caller.channels
    return True if checks is None else await checks.can_post(channel_id)


def with_hint(call: Call, answer: Answer, posting: bool) -> Answer:
    """`answer`, with the front end's hint when the bot cannot post in the channel."""
    checks = call.caller.channels
    if posting or checks is None or not checks.cannot_post_hint:
        return answer
    return private(answer, text=f"{answer.text}\n{checks.cannot_post_hint}")


def private(answer: Answer, **changes: object) -> Answer:
    """`answer` shown only to the admin who asked."""
    return Answer(**{**answer.__dict__, "ephemeral": True, **changes})


def line(text: str, title: str) -> Answer:
    return Answer(kind="error", title=title, text=text, found=False, ephemeral=True)


def room_or_track(call: Call) -> tuple[str, str] | None:
    """The (filter kind, value) a subscribe command was given: ('room', NAME), ('track',
    NAME), a text front end's "room NAME" as typed, or ('all', ''); None when both a room and
    a track were given (each command says so in its own words)."""
    room, track, given = call.text("room"), call.text("track"), call.text("filter")
    if room and track:
        return None
    if given:
        kind, _, value = given.partition(" ")
        return kind, value
    return ("room", room) if room else ("track", track) if track else ("all", "")


def take_channel(words: list[str]) -> dict[str, str]:
    """{'channel': the first word} when it names a channel (#general, <#C123>, an id)."""
    if words and _CHANNEL_LIKE.match(words[0]):
        return {"channel": words.pop(0)}
    return {}


def only_channel(text: str) -> Mapping[str, str]:
    return {"channel": text}


def group_help(core: Core, group: str) -> str:
    """The usage of every subcommand of `group`, as the registry names them."""
    command = core.commands.get(group)
    return group_usage(command) if command is not None else ""


@dataclass(frozen=True)
class ServiceGroup(Generic[S, E]):
    """An admin group over one delivery service (/wisdom, /remind): where a handler finds the
    caller's front end's service (`pick`), what it says when there is none, and how it
    explains a bad input (`refused`, `explain`)."""

    name: str
    pick: Callable[[Delivery], S | None]
    not_running: Answer
    refused: type[E]
    explain: Callable[[E], Answer]

    def handler(self, act: Callable[[S, Call], Awaitable[Answer]]) -> Handler:
        """A handler that runs `act` on the caller's service: its answer private, a bad
        input explained, `not_running` without the service."""

        async def handle(core: Core, call: Call) -> Answer:
            service = self.pick(delivery(core, call))
            if service is None:
                return self.not_running
            try:
                return private(await act(service, call))
            except self.refused as error:
                return self.explain(error)

        return handle

    def usage(self, core: Core, title: str) -> Answer:
        """The usage of every subcommand of the group, under `title`."""
        return line(group_help(core, self.name), title)

    def usage_handler(self, title: str) -> Handler:
        async def handle(core: Core, call: Call) -> Answer:
            return self.usage(core, title)

        return handle


async def hinted(handler: Handler, core: Core, call: Call, posting: bool) -> Answer:
    """What a subscribe `handler` answers, with the front end's hint when it was refused and
    the bot cannot post in the channel (`posting`)."""
    answer = await handler(core, call)
    return answer if answer.found else with_hint(call, answer, posting)


class Unsubscribes(Protocol[R_co]):
    async def unsubscribe(self, channel_id: str, *, by: str) -> R_co: ...


class Reports(Protocol[R_co]):
    async def status(self, channel_id: str) -> R_co: ...


def unsubscribe(
    answer: Callable[[R], Answer],
) -> Callable[[Unsubscribes[R], Call], Awaitable[Answer]]:
    """The `unsubscribe` subcommand of a delivery group: the channel's, by the caller."""

    async def act(service: Unsubscribes[R], call: Call) -> Answer:
        return answer(await service.unsubscribe(channel(call), by=call.caller.who))

    return act


def status(answer: Callable[[R], Answer]) -> Callable[[Reports[R], Call], Awaitable[Answer]]:
    """The `status` subcommand of a delivery group: the channel's."""

    async def act(service: Reports[R], call: Call) -> Answer:
        return answer(await service.status(channel(call)))

    return act
