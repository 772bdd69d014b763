"""Property: whatever is typed, every command answers (no exception escapes), and the answer
fits Discord's and Slack's limits and pings no one. Derandomized, so CI runs the same cases.

Every entry point a front end uses is driven: `Core.ask` (the console, `confbot ask`, Slack's
slash commands), each handler as Discord's app commands call it, the programme at any moment
of the calendar, autocomplete, and console sessions (choice numbers, "more", "again").
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import Answer, Choice
from bot.commands.invocation import Stash as QueryStash
from bot.frontends.console import ConsoleSession
from tests.fuzz import strategies as hostile
from tests.fuzz.checks import autocomplete_problems, discord_problems, slack_problems
from tests.fuzz.conftest import DURING_CAMP, World

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STASH = QueryStash()


def check(answer: Answer) -> None:
    assert isinstance(answer, Answer)
    assert answer.title
    assert discord_problems(answer, STASH) == []
    assert slack_problems(answer) == []


@settings(FUZZ, max_examples=800)
@given(line=hostile.command_line())
def test_every_command_line_is_answered_within_the_limits(world: World, line: str) -> None:
    check(world.run(lambda: world.core.ask(line)))


HANDLERS: dict[str, Callable[[World, str, int], Awaitable[Answer]]] = {
    "talk": lambda w, text, page: w.core.talk(text),
    "talk in a conference": lambda w, text, page: w.core.talk(text, text[:20]),
    "speaker": lambda w, text, page: w.core.speaker(text),
    "nugget": lambda w, text, page: w.core.nugget(text),
    "search": lambda w, text, page: w.core.search(text, page),
    "now": lambda w, text, page: w.core.programme.now(text),
    "next": lambda w, text, page: w.core.programme.next(text, "camp2019"),
    "schedule day": lambda w, text, page: w.core.programme.schedule(text),
    "schedule room": lambda w, text, page: w.core.programme.schedule("", text, "camp2019"),
}


@settings(FUZZ, max_examples=600)
@given(
    handler=st.sampled_from(sorted(HANDLERS)),
    text=hostile.argument,
    page=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_every_handler_answers_what_discord_passes_it(
    world: World, handler: str, text: str, page: int
) -> None:
    check(world.run(lambda: HANDLERS[handler](world, text, page)))


edge_moments = st.one_of(
    st.sampled_from(
        [
            datetime.max.replace(tzinfo=UTC),
            datetime.min.replace(tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
            DURING_CAMP,
        ]
    ),
    st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]
        ),
    ),
)


@settings(FUZZ, max_examples=300)
@given(
    moment=edge_moments,
    command=st.sampled_from(["now", "next", "schedule"]),
    day=st.sampled_from(hostile.DAYS),
    room=st.one_of(hostile.argument, st.sampled_from(["", "curie", "%", "_"])),
)
def test_the_programme_answers_at_any_moment_of_the_calendar(
    world: World, moment: datetime, command: str, day: str, room: str
) -> None:
    world.moment[0] = moment
    try:
        line = f"/{command} {day if command == 'schedule' else ''} {room}"
        check(world.run(lambda: world.core.ask(line)))
        days = world.run(lambda: world.core.programme.suggest_days(room[:10]))
        assert autocomplete_problems(days) == []
    finally:
        world.moment[0] = DURING_CAMP


SUGGESTERS: dict[str, Callable[[World, str], Awaitable[list[Choice]]]] = {
    "talks": lambda w, text: w.core.suggest_talks(text),
    "speakers": lambda w, text: w.core.suggest_speakers(text),
    "rooms": lambda w, text: w.core.programme.suggest_rooms(text),
    "rooms of a conference": lambda w, text: w.core.programme.suggest_rooms(text, text[:12]),
    "days": lambda w, text: w.core.programme.suggest_days(text),
    "conferences": lambda w, text: w.core.programme.suggest_conferences(text),
}


@settings(FUZZ, max_examples=300)
@given(
    suggester=st.sampled_from(sorted(SUGGESTERS)),
    text=st.one_of(hostile.argument, st.sampled_from(["", "v", "do", "cu", "d", "a", "e"])),
)
def test_autocomplete_answers_every_prefix_within_discords_limits(
    world: World, suggester: str, text: str
) -> None:
    choices = world.run(lambda: SUGGESTERS[suggester](world, text))
    assert all(isinstance(c, Choice) for c in choices)
    assert autocomplete_problems(choices) == []


follow_up = st.sampled_from(["1", "2", "25", "0", "²", "①", "٣", "more", "next", "again", "?"])


@settings(FUZZ, max_examples=80)
@given(lines=st.lists(st.one_of(hostile.command_line(), follow_up), min_size=1, max_size=5))
def test_a_console_session_answers_every_line(world: World, lines: list[str]) -> None:
    out = io.StringIO()
    session = ConsoleSession(world.core, out)
    for line in lines:
        world.run(lambda line=line: session.handle(line))  # type: ignore[misc]
    out.getvalue().encode("utf-8")
