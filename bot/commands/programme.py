"""/now, /next and /schedule: the live programme of the timed conferences.

The answers come from `bot.schedule.ScheduleAnswers`; each listed talk is a choice that opens
it, narrowed to the same conference.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.answer import Answer
from bot.commands.params import DAY, ROOM, SCHEDULED, Param
from bot.commands.registry import Call, Command

if TYPE_CHECKING:
    from bot.core import Core

_DAY_WORDS = re.compile(
    r"^(today|tomorrow|yesterday|mon|monday|tue|tues|tuesday|wed|weds|wednesday|thu|thur|"
    r"thurs|thursday|fri|friday|sat|saturday|sun|sunday|\d{4}-\d{2}-\d{2}|day\s*\d{1,2}|"
    r"\d{1,2})(?:\s+(.*))?$",
    re.IGNORECASE,
)


def split_day(argument: str) -> tuple[str, str]:
    """'friday curie' -> ('friday', 'curie'); 'curie' -> ('', 'curie')."""
    match = _DAY_WORDS.match(argument.strip())
    if match:
        return match.group(1), (match.group(2) or "").strip()
    return "", argument.strip()


def _day_and_room(words: str) -> dict[str, str]:
    day, room = split_day(words)
    return {"day": day, "room": room}


def _positional(param: Param) -> Param:
    return Param(
        param.name,
        param.type,
        param.help,
        positional=True,
        autocomplete=param.autocomplete,
        metavar=param.name.upper(),
    )


POSITIONAL_ROOM = _positional(ROOM)


async def now(core: Core, call: Call) -> Answer:
    return await core.programme.now(call.text("room"), call.optional("conference"), call.scope)


async def next_up(core: Core, call: Call) -> Answer:
    return await core.programme.next(call.text("room"), call.optional("conference"), call.scope)


async def schedule(core: Core, call: Call) -> Answer:
    day, room, conference = call.text("day"), call.text("room"), call.optional("conference")
    return await core.programme.schedule(day, room, conference, call.scope)


NOW = Command(
    "now",
    "What's on right now",
    (POSITIONAL_ROOM, SCHEDULED),
    now,
    help="What's on right now (in the conference's time zone).",
)
NEXT = Command(
    "next",
    "What's next, in each room",
    (POSITIONAL_ROOM, SCHEDULED),
    next_up,
    help="The next talk in each room.",
)
SCHEDULE = Command(
    "schedule",
    "A day's programme",
    (_positional(DAY), POSITIONAL_ROOM, SCHEDULED),
    schedule,
    help="A day's programme: today, tomorrow, friday, day 2.",
    split_words=_day_and_room,
)
