"""/wisdom: the daily nugget of wisdom in a channel, for admins.

subscribe ([#channel] HH:MM [Zone]: the zone autocompletes, and defaults to the admin's own
where the platform knows it), unsubscribe, status, preview and now; the channel defaults to
the one the command was given in. Every answer is private. The scheduling itself is the
front end's `WisdomService` (`bot.commands.delivery`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
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
    status,
    take_channel,
    unsubscribe,
)
from bot.commands.params import Param, TimeOfDay, Zone
from bot.commands.registry import Call, Command
from bot.wisdom import (
    WisdomInputError,
    input_error_answer,
    outcome_answer,
    preview_answer,
    status_answer,
    subscribed_answer,
    unsubscribed_answer,
)

if TYPE_CHECKING:
    from bot.core import Core
    from bot.delivery.wisdom_service import WisdomService

log = logging.getLogger("confbot.wisdom")

GROUP: ServiceGroup[WisdomService, WisdomInputError] = ServiceGroup(
    "wisdom",
    lambda d: d.wisdom,
    line("Daily wisdom is not running in this bot.", "Daily wisdom"),
    WisdomInputError,
    input_error_answer,
)

TIME = Param(
    "time",
    TimeOfDay(),
    "Local time of day, 24-hour HH:MM, e.g. 09:00",
    required=True,
    positional=True,
    metavar="HH:MM",
)
TIMEZONE = Param(
    "timezone",
    Zone(),
    "IANA time zone, e.g. Europe/Amsterdam (default: yours, where known)",
    positional=True,
    autocomplete="zones",
    metavar="Zone",
)


def _subscribe_words(text: str) -> dict[str, str]:
    """'#general 09:00 Europe/Amsterdam' -> channel, time, timezone."""
    words = text.split()
    found = take_channel(words)
    if words:
        found["time"] = words[0]
    if len(words) > 1:
        found["timezone"] = " ".join(words[1:])
    return found


async def subscribe(core: Core, call: Call) -> Answer:
    if not call.text("time"):
        return GROUP.usage(core, "/wisdom subscribe")
    zone = call.text("timezone")
    if not zone and call.caller.channels is not None:
        zone = await call.caller.channels.zone() or ""
    if not zone:
        return line(
            "Add the time zone, e.g. `/wisdom subscribe 09:00 Europe/Amsterdam`.",
            "/wisdom subscribe",
        )
    where = channel(call)
    posting = await can_post(call, where)

    async def act(service: WisdomService, call: Call) -> Answer:
        sub = await service.subscribe(
            guild_id=call.caller.place,
            channel_id=where,
            post_time=call.text("time"),
            zone=zone,
            created_by=call.caller.who,
            can_post=posting,
        )
        return subscribed_answer(sub, service.grace)

    return await hinted(GROUP.handler(act), core, call, posting)


async def _preview(service: WisdomService, call: Call) -> Answer:
    return preview_answer(await service.preview(channel(call)))


async def _now(service: WisdomService, call: Call) -> Answer:
    outcome = await service.post_now(channel(call))
    log.info("daily wisdom now in channel %s: %s", outcome.channel_id, outcome.kind)
    return outcome_answer(outcome)


def _sub(
    name: str, summary: str, act: Callable[[WisdomService, Call], Awaitable[Answer]]
) -> Command:
    return Command(name, summary, (channel_param(),), GROUP.handler(act), split_words=only_channel)


WISDOM = Command(
    "wisdom",
    "A daily nugget of wisdom in a channel (admins)",
    (),
    GROUP.usage_handler("/wisdom: a daily nugget of wisdom in a channel"),
    help="A daily nugget of wisdom in a channel (admins only).",
    admin=True,
    subcommands=(
        Command(
            "subscribe",
            "Post a nugget in a channel every day",
            (channel_param("Where to post (default: this channel)"), TIME, TIMEZONE),
            subscribe,
            help="Post every day at that local time, e.g. /wisdom subscribe #general 09:00 "
            "Europe/Amsterdam",
            split_words=_subscribe_words,
        ),
        _sub("unsubscribe", "Stop the daily nugget in a channel", unsubscribe(unsubscribed_answer)),
        _sub("status", "Next post, last post and errors", status(status_answer)),
        _sub("preview", "The next nugget, shown only to you", _preview),
        _sub("now", "Post today's nugget now instead of later", _now),
    ),
)
