"""Walks the command table: for every command, on every front end (console, Discord, Slack),
every follow-up an answer offers replays the invocation it came from with every argument kept.

A follow-up of the same command (a page, "Another one", the pick of an ambiguous answer)
changes at most one argument; a follow-up into another command (a talk picked from a search
or a listing) keeps every argument of the first that the second also takes (the conference).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest

from bot.answer import Answer
from bot.commands.invocation import Invocation, Stash
from bot.commands.registry import NOBODY, Caller
from bot.commands.table import COMMANDS
from bot.core import Core
from bot.frontends.console import ConsoleSession
from bot.frontends.discord.components import parse_custom_id, parse_option_value, render
from bot.frontends.slack.blocks import answer_message, parse_button_value

ADMIN = Caller(frontend="discord", user="1", place="42", channel="7", admin=True)

# Every argument of every command, set to a value whose answer offers follow-ups.
SAMPLES: dict[str, dict[str, str]] = {
    "talk": {"query": "data", "conference": "normconf-2022"},
    "speaker": {"query": "james", "conference": "normconf-2022"},
    "nugget random": {
        "query": "fairytale",
        "speaker": "Vicki Boykis",
        "talk": "normconf-2022/an-ml-fairytale",
        "conference": "normconf-2022",
    },
    "nugget submit": {
        "text": "Counting things is most of the work.",
        "speaker": "Vicki Boykis",
        "talk": "normconf-2022/an-ml-fairytale",
    },
    "nugget review": {"id": "1"},
    "nugget approve": {"id": "1"},
    "nugget reject": {"id": "1"},
    "nugget edit": {
        "id": "1",
        "text": "Counting is the work.",
        "speaker": "Vicki Boykis",
        "talk": "normconf-2022/an-ml-fairytale",
    },
    "search": {"text": "data", "conference": "normconf-2022", "page": "1"},
    "now": {"room": "hall", "conference": "walk-2026"},
    "next": {"room": "hall", "conference": "walk-2026"},
    "schedule": {"day": "today", "room": "hall", "conference": "walk-2026"},
    "conference list": {},
    "conference use": {"slugs": "walk-2026"},
    "source add": {"url": "https://example.org/camp.json", "every": "5m"},
    "source list": {},
    "source remove": {"url": "https://example.org/gone.json"},
    "help": {},
    "wisdom subscribe": {"channel": "C0123456", "time": "09:00", "timezone": "Europe/Amsterdam"},
    "wisdom unsubscribe": {"channel": "C0123456"},
    "wisdom status": {"channel": "C0123456"},
    "wisdom preview": {"channel": "C0123456"},
    "wisdom now": {"channel": "C0123456"},
    "remind subscribe": {
        "channel": "C0123456",
        "minutes": "10",
        "filter": "room hall",
        "room": "hall",
        "track": "keynotes",
        "conference": "walk-2026",
    },
    "remind unsubscribe": {"channel": "C0123456"},
    "remind status": {"channel": "C0123456"},
    "remind list": {},
    "follow talk": {"query": "Data talk 2", "conference": "walk-2026"},
    "follow speaker": {"name": "Speaker 2"},
    "follow track": {"name": "keynotes", "conference": "walk-2026"},
    "follow room": {"name": "Hall A", "conference": "walk-2026"},
    "unfollow talk": {"query": "Data talk 2"},
    "unfollow speaker": {"name": "Speaker 2"},
    "unfollow track": {"name": "keynotes"},
    "unfollow room": {"name": "Hall A"},
    "agenda today": {},
    "agenda tomorrow": {},
    "agenda all": {},
    "agenda minutes": {"minutes": "15"},
    "agenda calendar": {"action": "reset"},
    "agenda forget-me": {},
    "programme subscribe": {
        "channel": "C0123456",
        "filter": "room hall",
        "room": "hall",
        "track": "keynotes",
        "conference": "walk-2026",
    },
    "programme unsubscribe": {"channel": "C0123456"},
    "programme subscriptions": {},
}
# The admin commands answer an admin (here with no delivery service: "not running").
ADMIN = Caller("walk", "U1", "T1", "C0123456", admin=True)


Extract = Callable[[Core, Answer], Awaitable[list[Invocation]]]


async def console_follow_ups(core: Core, answer: Answer) -> list[Invocation]:
    """What the console runs for each number, 'more' and 'again' after `answer`."""
    replayed: list[Invocation] = []
    real_run = core.run

    async def record(invocation: Invocation, caller: Caller = NOBODY) -> Answer:
        replayed.append(invocation)
        return await real_run(invocation, caller)

    core.run = record  # type: ignore[method-assign]
    try:
        words = [str(n) for n in range(1, len(answer.choices) + 1)] + ["more", "again"]
        for word in words:
            session = ConsoleSession(core, io.StringIO())
            session.last = answer
            await session.handle(word)
    finally:
        del core.run
    return replayed


async def discord_follow_ups(core: Core, answer: Answer) -> list[Invocation]:
    """What each button and select option of the rendered message replays."""
    stash = Stash()
    view = render(answer, stash).view
    found = []
    for row in view.to_components() if view is not None else []:
        for item in row["components"]:
            if item["type"] == 3:
                found += [parse_option_value(o["value"], stash) for o in item["options"]]
            elif "custom_id" in item:
                found.append(parse_custom_id(item["custom_id"], stash))
    assert all(f is not None and f.invocation is not None for f in found), found
    return [f.invocation for f in found if f is not None and f.invocation is not None]


async def slack_follow_ups(core: Core, answer: Answer) -> list[Invocation]:
    stash = Stash()
    values = [
        element["value"]
        for block in answer_message(answer, stash)["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    replayed = [parse_button_value(value, stash) for value in values]
    assert None not in replayed, values
    return [r for r in replayed if r is not None]


FRONT_ENDS: dict[str, Extract] = {
    "console": console_follow_ups,
    "discord": discord_follow_ups,
    "slack": slack_follow_ups,
}


def test_every_command_and_every_parameter_has_a_sample() -> None:
    assert set(SAMPLES) == {command.name for command in COMMANDS.leaves()}
    for command in COMMANDS.leaves():
        assert set(SAMPLES[command.name]) == {p.name for p in command.params}, command.name


def assert_keeps_every_argument(source: Invocation, follow_up: Invocation) -> None:
    target = COMMANDS.get(follow_up.command)
    assert target is not None, follow_up
    if follow_up.command == source.command:
        changed = {
            name
            for name in {*source.as_dict(), *follow_up.as_dict()}
            if source.get(name) != follow_up.get(name)
        }
        assert len(changed) <= 1, (source, follow_up)
    else:
        for param in target.flags:
            assert follow_up.get(param.name) == source.get(param.name), (source, follow_up)


@pytest.mark.parametrize("front_end", sorted(FRONT_ENDS))
@pytest.mark.parametrize("name", sorted(SAMPLES))
async def test_every_follow_up_keeps_every_argument_of_its_invocation(
    walk_core: Core, name: str, front_end: str
) -> None:
    source = Invocation.from_mapping(name, SAMPLES[name])
    command = COMMANDS.get(name)
    assert command is not None
    answer = await walk_core.run(source, ADMIN if command.admin else NOBODY)
    assert answer.invocation == source, "every argument was parsed and kept"
    follow_ups = await FRONT_ENDS[front_end](walk_core, answer)
    if name != "help" and not command.admin:  # an admin's answer is final: no follow-ups
        assert follow_ups, f"/{name} offers no follow-up on {front_end}: {answer.title}"
    for follow_up in follow_ups:
        assert_keeps_every_argument(source, follow_up)


async def test_the_next_page_of_a_narrowed_search_stays_in_its_conference(core: Core) -> None:
    """The drift this table was built for: "Next ▶" of /search data --conference
    normconf-2022 searched every conference."""
    first = await core.ask("/search data --conference normconf-2022")
    assert first.text == "6 talk(s) match." and first.pages == 2
    for extract in FRONT_ENDS.values():
        pages = [f for f in await extract(core, first) if f.command == "search"]
        assert pages and all(p.get("conference") == "normconf-2022" for p in pages)
        [next_page] = [p for p in pages if p.get("page") == "2"]
        second = await core.run(next_page)
        assert second.page == 2 and second.text == "6 talk(s) match."
        assert all("NormConf 2022" in c.description for c in second.choices)
