"""/remind: talk reminders in a channel, for admins.

subscribe ([#channel] MINUTES before each talk; only a room or a track, only one conference),
unsubscribe, status and list; the channel defaults to the one the command was given in.
Every answer is private. The reminders themselves are the front end's `ReminderService`
(`bot.commands.delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answer import Answer
from bot.commands.delivery import (
    ServiceGroup,
    can_post,
    channel,
    channel_param,
    hinted,
    line,
    only_channel,
    room_or_track,
    status,
    take_channel,
    unsubscribe,
)
from bot.commands.params import (
    MAX_NAME_LENGTH,
    SCHEDULED,
    Number,
    Param,
    ParamError,
    Text,
    Value,
    words,
)
from bot.commands.registry import Call, Command
from bot.delivery.reminder_answers import (
    input_error_answer,
    status_answer,
    subscribed_answer,
    subscriptions_answer,
    unsubscribed_answer,
)
from bot.reminders import MAX_MINUTES, MIN_MINUTES, ReminderInputError, parse_minutes

if TYPE_CHECKING:
    from bot.core import Core
    from bot.delivery.reminder_service import ReminderService

GROUP: ServiceGroup[ReminderService, ReminderInputError] = ServiceGroup(
    "remind",
    lambda d: d.reminders,
    line("Talk reminders are not running in this bot.", "Reminders"),
    ReminderInputError,
    input_error_answer,
)


@dataclass(frozen=True)
class Minutes(Number):
    """Minutes before each talk, 1 to 1440, refused (not capped) outside that range."""

    def parse(self, raw: str, label: str) -> Value:
        try:
            return parse_minutes(raw)
        except ReminderInputError as error:
            raise ParamError(str(error)) from None


MINUTES = Param(
    "minutes",
    Minutes(MIN_MINUTES, MAX_MINUTES),
    f"Minutes before each talk ({MIN_MINUTES} to {MAX_MINUTES})",
    required=True,
    positional=True,
)
ROOM = Param(
    "room",
    Text(MAX_NAME_LENGTH),
    "Only talks in this room (part of its name)",
    autocomplete="rooms",
)
TRACK = Param("track", Text(MAX_NAME_LENGTH), "Only talks in this track (part of its name)")
# The text front ends' "room NAME" / "track NAME" (anything else is explained).
FILTER = words(
    "filter", "room NAME or track NAME", "room NAME | track NAME", required=False, slash=False
)


def _subscribe_words(text: str) -> dict[str, str]:
    """'#curie 5 room Curie' -> channel, minutes, room."""
    parts = text.split()
    found = take_channel(parts)
    if parts:
        found["minutes"] = parts.pop(0)
    if parts:
        kind, rest = parts[0].lower(), " ".join(parts[1:])
        if kind in ("room", "track") and rest:
            found[kind] = rest
        else:
            found["filter"] = " ".join(parts)
    return found


async def subscribe(core: Core, call: Call) -> Answer:
    if not call.text("minutes"):
        return GROUP.usage(core, "/remind subscribe")
    where = channel(call)
    posting = await can_post(call, where)

    async def act(service: ReminderService, call: Call) -> Answer:
        chosen_filter = room_or_track(call)
        if chosen_filter is None:
            raise ReminderInputError("Give a room or a track, not both.")
        kind, value = chosen_filter
        subscribed = await service.subscribe(
            guild_id=call.caller.place,
            channel_id=where,
            minutes_before=call.number("minutes", MIN_MINUTES),
            created_by=call.caller.who,
            can_post=posting,
            # A subscription holds one conference: the community's, when it is about one.
            conference=call.optional("conference") or _only(call.scope),
            filter_kind=kind,
            filter_value=value,
        )
        return subscribed_answer(subscribed)

    return await hinted(GROUP.handler(act), core, call, posting)


def _only(scope: tuple[str, ...]) -> str | None:
    return scope[0] if len(scope) == 1 else None


async def _list(service: ReminderService, call: Call) -> Answer:
    return subscriptions_answer(await service.subscriptions(call.caller.place))


REMIND = Command(
    "remind",
    "Talk reminders in a channel (admins)",
    (),
    GROUP.usage_handler("/remind: talk reminders in a channel"),
    help="Talk reminders in a channel (admins only).",
    admin=True,
    subcommands=(
        Command(
            "subscribe",
            "Post a reminder before each talk",
            (
                channel_param("Where to post (default: this channel)"),
                MINUTES,
                FILTER,
                ROOM,
                TRACK,
                SCHEDULED,
            ),
            subscribe,
            help="Post a reminder that many minutes before each talk, e.g. /remind subscribe "
            "#general 10 room curie",
            split_words=_subscribe_words,
        ),
        Command(
            "unsubscribe",
            "Stop the reminders in a channel",
            (channel_param(),),
            GROUP.handler(unsubscribe(unsubscribed_answer)),
            split_words=only_channel,
        ),
        Command(
            "status",
            "A channel's reminders: next, sent, errors",
            (channel_param(),),
            GROUP.handler(status(status_answer)),
            split_words=only_channel,
        ),
        Command("list", "Every reminder subscription in this server", (), GROUP.handler(_list)),
    ),
)
