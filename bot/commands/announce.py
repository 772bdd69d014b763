"""/programme: programme-change announcements in a channel, for admins.

subscribe ([#channel] [room NAME | track NAME], one conference with --conference, else the
community's conferences from /conference use, else all), unsubscribe [#channel] and
subscriptions; the channel defaults to the one the command was given in. Every answer is
private. The announcements themselves are the front end's `AnnouncementService`
(`bot.commands.delivery`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bot.answer import Answer
from bot.commands.delivery import (
    ServiceGroup,
    can_post,
    channel,
    channel_param,
    group_help,
    line,
    only_channel,
    room_or_track,
    take_channel,
    with_hint,
)
from bot.commands.params import MAX_NAME_LENGTH, SCHEDULED, Param, Text
from bot.commands.registry import Call, Command, Handler
from bot.commands.reminders import FILTER  # the text front ends' "room NAME" / "track NAME"
from bot.delivery.announce_service import AnnouncementInputError
from bot.store.programme_subscriptions import ProgrammeSubscription

if TYPE_CHECKING:
    from bot.core import Core
    from bot.delivery.announce_service import AnnouncementService

TITLE = "Programme changes"
NOT_RUNNING = line("Programme-change announcements are not running in this bot.", TITLE)

ROOM = Param(
    "room",
    Text(MAX_NAME_LENGTH),
    "Only changes in this room (part of its name)",
    autocomplete="rooms",
)
TRACK = Param(
    "track",
    Text(MAX_NAME_LENGTH),
    "Only changes in this track (part of its name)",
    autocomplete="tracks",
)


def _subscribe_words(text: str) -> dict[str, str]:
    """'#talks room Curie' -> channel, room."""
    parts = text.split()
    found = take_channel(parts)
    if parts:
        kind, rest = parts[0].lower(), " ".join(parts[1:])
        if kind in ("room", "track") and rest:
            found[kind] = rest
        else:
            found["filter"] = " ".join(parts)
    return found


def _refused(error: AnnouncementInputError) -> Answer:
    return line(str(error), TITLE)


GROUP: ServiceGroup[AnnouncementService, AnnouncementInputError] = ServiceGroup(
    "programme", lambda d: d.programme, NOT_RUNNING, AnnouncementInputError, _refused
)


def _on_service(act: Callable[[AnnouncementService, Call], Awaitable[Answer]]) -> Handler:
    return GROUP.handler(act)


def _conference_of(sub: ProgrammeSubscription) -> str:
    return sub.conference or "all conferences"


async def subscribe(core: Core, call: Call) -> Answer:
    where = channel(call)
    posting = await can_post(call, where)
    chosen = call.optional("conference")
    conferences = [chosen] if chosen else list(call.scope)

    async def act(service: AnnouncementService, call: Call) -> Answer:
        chosen_filter = room_or_track(call)
        if chosen_filter is None:
            raise AnnouncementInputError("Give a room or a track, not both.")
        kind, value = chosen_filter
        subs = await service.subscribe(
            guild_id=call.caller.place,
            channel_id=where,
            conferences=conferences,
            filter_kind=kind,
            filter_value=value,
            created_by=call.caller.who,
        )
        return subscribed_answer(subs)

    answer = await _on_service(act)(core, call)
    return answer if answer.found else with_hint(call, answer, posting)


def subscribed_answer(subs: Sequence[ProgrammeSubscription]) -> Answer:
    listed = "; ".join(sub.describe() for sub in subs)
    return Answer(
        kind="programme",
        title="Programme changes subscribed",
        text=f"From now on I will post the programme's {listed} here, once per import "
        "that changes something.",
        ephemeral=True,
        meta={"subscription_ids": ",".join(str(sub.id) for sub in subs)},
    )


def unsubscribed_answer(subs: Sequence[ProgrammeSubscription]) -> Answer:
    if not subs:
        return Answer(
            kind="not_found",
            title=TITLE,
            text="This channel has no programme-change subscription.",
            found=False,
            ephemeral=True,
        )
    lines = "\n".join(f"#{sub.id}: {sub.describe()}" for sub in subs)
    return Answer(kind="programme", title="Programme changes unsubscribed", text=lines)


def subscriptions_answer(subs: Sequence[ProgrammeSubscription]) -> Answer:
    if not subs:
        return Answer(
            kind="not_found",
            title=TITLE,
            text="No channel here gets programme changes; try /programme subscribe.",
            found=False,
            ephemeral=True,
        )
    lines = [
        f"#{sub.id} in channel {sub.channel_id}: {sub.describe()}"
        + ("" if sub.enabled else f" (off: {sub.disabled_reason})")
        + (f"; last error: {sub.last_error}" if sub.last_error and sub.enabled else "")
        for sub in subs
    ]
    return Answer(kind="programme", title="Programme-change subscriptions", text="\n".join(lines))


async def _unsubscribe(service: AnnouncementService, call: Call) -> Answer:
    return unsubscribed_answer(await service.unsubscribe(channel(call), by=call.caller.who))


async def _list(service: AnnouncementService, call: Call) -> Answer:
    return subscriptions_answer(await service.subscriptions(call.caller.place))


async def usage_handler(core: Core, call: Call) -> Answer:
    return line(group_help(core, "programme"), "/programme: programme changes in a channel")


PROGRAMME = Command(
    "programme",
    "Programme changes posted in a channel (admins)",
    (),
    usage_handler,
    help="Post what changed in the programme (moved, cancelled, new talks) in a channel "
    "(admins only).",
    admin=True,
    subcommands=(
        Command(
            "subscribe",
            "Post each programme change in a channel",
            (
                channel_param("Where to post (default: this channel)"),
                FILTER,
                ROOM,
                TRACK,
                SCHEDULED,
            ),
            subscribe,
            help="Post each change of the programme (moved, cancelled, new, room, title, "
            "speakers) once, e.g. /programme subscribe #general room curie",
            split_words=_subscribe_words,
        ),
        Command(
            "unsubscribe",
            "Stop posting programme changes in a channel",
            (channel_param(),),
            _on_service(_unsubscribe),
            split_words=only_channel,
        ),
        Command(
            "subscriptions",
            "Every channel here that gets programme changes",
            (),
            _on_service(_list),
        ),
    ),
)
