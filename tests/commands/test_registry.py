"""A command line becomes one `Invocation`: options anywhere, free words to the positional
parameters, unknown commands and missing values as usage answers. Invocations survive the trip
through text, whatever their values hold."""

from __future__ import annotations

import pytest

from bot.answer import Answer, Choice
from bot.commands.invocation import Invocation, Stash, decode, encode, pack, unpack
from bot.commands.registry import Message
from bot.commands.table import COMMANDS
from bot.core import Core


def parsed(line: str) -> Invocation:
    result = COMMANDS.parse_line(line)
    assert isinstance(result, Invocation), result
    return result


def test_options_may_stand_anywhere_and_words_go_to_the_positional_parameter() -> None:
    expected = Invocation.of("search", text="data team", conference="normconf-2022", page="2")
    assert parsed("/search data --conference normconf-2022 team --page 2") == expected
    assert parsed("SEARCH --page 2 data team --conference normconf-2022") == expected


def test_an_option_of_another_command_stays_words_to_look_for() -> None:
    assert parsed("/search --force push").get("text") == "--force push"
    assert parsed("/talk keynote --page 2").get("query") == "keynote --page 2"


def test_schedule_spreads_its_words_over_day_and_room() -> None:
    assert parsed("/schedule day 2 curie") == Invocation.of("schedule", day="day 2", room="curie")
    assert parsed("/schedule curie") == Invocation.of("schedule", room="curie")


def test_an_unknown_command_and_a_missing_value_are_usage_answers() -> None:
    unknown = COMMANDS.parse_line("/frobnicate now")
    assert isinstance(unknown, Answer) and unknown.title == "Unknown command"
    missing = COMMANDS.parse_line("/search data --page")
    assert isinstance(missing, Answer) and "--page needs a value" in missing.text
    assert parsed("") == Invocation("help")


@pytest.mark.parametrize(
    "value", ["a&b=c", "100%", "what?", "Émile Zola", "日本語", "x|y#z", "=&%3D%26%25"]
)
def test_an_invocation_survives_the_trip_through_text(value: str) -> None:
    invocation = Invocation.of("search", text=value, conference="c", page=3)
    assert decode(encode(invocation)) == invocation


def test_a_long_invocation_goes_through_the_stash() -> None:
    stash = Stash()
    invocation = Invocation.of("search", text="long words " * 30)
    packed = pack(invocation, stash, 100, "cf:a:")
    assert len(packed) <= 100 and packed.startswith("cf:a:#")
    found = unpack(packed.removeprefix("cf:a:"), stash)
    assert found is not None and found.invocation == invocation


def test_with_args_changes_one_argument_and_keeps_the_others() -> None:
    first = Invocation.of("search", text="data", conference="normconf-2022")
    assert first.with_args(page=2).as_dict() == {
        "text": "data",
        "conference": "normconf-2022",
        "page": "2",
    }
    assert first.with_args(conference=None) == Invocation.of("search", text="data")


def test_a_follow_up_named_by_command_and_query_keeps_the_shared_options() -> None:
    source = Invocation.of("search", text="data", conference="normconf-2022", page=2)
    pick = Choice("An ML Fairytale", "talk", "normconf-2022/an-ml-fairytale")
    assert COMMANDS.replay(pick, source) == Invocation.of(
        "talk", query="normconf-2022/an-ml-fairytale", conference="normconf-2022"
    )
    assert COMMANDS.replay(Choice("Curie", "room", "Curie")) is None  # a suggestion


def test_a_group_with_a_default_reads_its_free_words_as_the_default_subcommand() -> None:
    assert parsed("/nugget crontab") == Invocation.of("nugget random", query="crontab")
    assert parsed("/nugget") == Invocation("nugget random")
    assert parsed("/nugget submit Airflow words | a talk").command == "nugget submit"
    assert COMMANDS.get("nugget") is not None
    assert COMMANDS.messages[0].callback_id == "save_as_nugget"


async def test_a_follow_up_made_before_the_group_still_runs(core: Core) -> None:
    answer = await core.run(Invocation.of("nugget", query="Vicki Boykis"))  # an old button
    assert answer.kind == "nugget"
    assert answer.invocation == Invocation.of("nugget random", query="Vicki Boykis")
    unknown = await core.message_action("No such menu", Message("words", "https://x"))
    assert unknown.kind == "usage"
