"""Property: any Answer, however hostile its data, renders within Discord's and Slack's limits
and pings no one; and the values our buttons carry back are parsed without an exception.

Text in an Answer comes from the store (decoded UTF-8) or through bot.text (user text), so it
never holds a lone surrogate: the generated data has them replaced, as bot.text would.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer, Choice, Field
from bot.commands.invocation import Stash as QueryStash
from bot.frontends.discord.components import parse_custom_id, parse_option_value
from bot.frontends.slack.blocks import parse_button_value
from bot.text import replace_surrogates
from tests.fuzz import strategies as hostile
from tests.fuzz.checks import autocomplete_problems, discord_problems, slack_problems

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

raw_text = st.one_of(
    hostile.unicode_text,
    st.lists(st.sampled_from(hostile.MENTIONS + hostile.WORDS + hostile.CONTROLS), max_size=12).map(
        " ".join
    ),
    st.builds(lambda t: f"{HIGHLIGHT_START}{t}{HIGHLIGHT_END}", hostile.unicode_text),
    st.builds(
        lambda piece, n: piece * n,
        st.sampled_from(["@everyone ", "<!here>", "&", "*", "\\", "_", "x", "ü", "\udcff"]),
        st.integers(min_value=1, max_value=7000),
    ),
)
data_text = raw_text.map(replace_surrogates)
choice = st.builds(
    Choice,
    label=data_text,
    command=st.sampled_from(["talk", "speaker", "nugget", "search", "day", "room", "x"]),
    query=data_text,
    description=data_text,
)
answer = st.builds(
    Answer,
    kind=st.sampled_from(["talk", "speaker", "nugget", "search", "choices", "not_found", "usage"]),
    title=data_text,
    text=data_text,
    fields=st.lists(st.builds(Field, data_text, data_text, st.booleans()), max_size=30).map(tuple),
    choices=st.lists(choice, max_size=40).map(tuple),
    actions=st.lists(choice, max_size=8).map(tuple),
    footer=data_text,
    url=st.one_of(
        st.none(),
        st.sampled_from(["https://example.org/t", "javascript:alert(1)", "https://x|<!here>"]),
        data_text,
    ),
    found=st.booleans(),
    ephemeral=st.booleans(),
    page=st.integers(min_value=1, max_value=10_000),
    pages=st.integers(min_value=1, max_value=10_000),
    meta=st.fixed_dictionaries({"query": data_text}),
)


@settings(FUZZ, max_examples=80)
@given(answer=answer)
def test_any_answer_renders_within_both_platforms_limits_and_pings_no_one(answer: Answer) -> None:
    assert discord_problems(answer, QueryStash()) == []
    assert slack_problems(answer) == []


@settings(FUZZ, max_examples=100)
@given(choices=st.lists(choice, max_size=40))
def test_any_suggestions_become_autocomplete_discord_accepts(choices: list[Choice]) -> None:
    assert autocomplete_problems(choices) == []


@settings(FUZZ, max_examples=150)
@given(value=st.one_of(hostile.unicode_text, hostile.argument, st.sampled_from(["cf:q²:x"])))
def test_values_coming_back_from_a_click_are_parsed_or_refused(value: str) -> None:
    stash = QueryStash()
    for candidate in (value, f"cf:q{value}", f"cf:t:{value}", f"q:{value}", f"t#{value}"):
        parse_custom_id(candidate, stash)
        parse_option_value(candidate, stash)
    parse_button_value(value)  # a value that is not ours is None, never an exception
    replayed = parse_button_value(f"search:{value}|q")
    assert replayed is not None and replayed.command == "search"
    page = replayed.get("page")
    assert page == "" or 1 <= int(page) <= 9999
