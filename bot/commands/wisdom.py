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
    can_post,
    channel,
    channel_param,
    delivery,
    line,
    only_channel,
    private,
    take_channel,
    with_hint,
)
from bot.commands.params import Param, TimeOfDay, Zone
from bot.commands.registry import Call, Command, group_usage
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
    from bot.store.wisdom import WisdomService

log = logging.getLogger("confbot.wisdom")

NOT_RUNNING = line("Daily wisdom is not running in this bot.", "Daily wisdom")

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


Run = Callable[["WisdomService"], Awaitable[Answer]]


async def _run(core: Core, call: Call, run: Run) -> Answer:
    service = delivery(core, call).wisdom
    if service is None:
        return NOT_RUNNING
    try:
        return private(await run(service))
    except WisdomInputError as error:
        return input_error_answer(error)


async def subscribe(core: Core, call: Call) -> Answer:
    if not call.text("time"):
        return line(_usage(core), "/wisdom subscribe")
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

    async def run(service: WisdomService) -> Answer:
        sub = await service.subscribe(
            guild_id=call.caller.place,
            channel_id=where,
            post_time=call.text("time"),
            zone=zone,
            created_by=call.caller.who,
            can_post=posting,
        )
        return subscribed_answer(sub, service.grace)

    answer = await _run(core, call, run)
    return answer if answer.found else with_hint(call, answer, posting)


async def unsubscribe(core: Core, call: Call) -> Answer:
    async def run(service: WisdomService) -> Answer:
        return unsubscribed_answer(await service.unsubscribe(channel(call), by=call.caller.who))

    return await _run(core, call, run)


async def status(core: Core, call: Call) -> Answer:
    async def run(service: WisdomService) -> Answer:
        return status_answer(await service.status(channel(call)))

    return await _run(core, call, run)


async def preview(core: Core, call: Call) -> Answer:
    async def run(service: WisdomService) -> Answer:
        return preview_answer(await service.preview(channel(call)))

    return await _run(core, call, run)


async def now(core: Core, call: Call) -> Answer:
    async def run(service: WisdomService) -> Answer:
        outcome = await service.post_now(channel(call))
        log.info("daily wisdom now in channel %s: %s", outcome.channel_id, outcome.kind)
        return outcome_answer(outcome)

    return await _run(core, call, run)


def _usage(core: Core) -> str:
    group = core.commands.get("wisdom")
    return group_usage(group) if group is not None else ""


async def usage_handler(core: Core, call: Call) -> Answer:
    return line(_usage(core), "/wisdom: a daily nugget of wisdom in a channel")


def _sub(name: str, summary: str, handler: Callable[[Core, Call], Awaitable[Answer]]) -> Command:
    return Command(name, summary, (channel_param(),), handler, split_words=only_channel)


WISDOM = Command(
    "wisdom",
    "A daily nugget of wisdom in a channel (admins)",
    (),
    usage_handler,
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
        _sub("unsubscribe", "Stop the daily nugget in a channel", unsubscribe),
        _sub("status", "Next post, last post and errors", status),
        _sub("preview", "The next nugget, shown only to you", preview),
        _sub("now", "Post today's nugget now instead of later", now),
    ),
)
