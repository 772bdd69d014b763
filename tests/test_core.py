"""The command core answers talk, speaker, nugget and search over the bundled data."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START, Answer
from bot.core import MAX_QUERY_LENGTH, Core, clean_query, split_command, split_day
from bot.records import Conference, Speaker, Talk
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database


def labels(answer: Answer) -> list[str]:
    return [choice.label for choice in answer.choices]


def field(answer: Answer, name: str) -> str:
    return next(f.value for f in answer.fields if f.name == name)


# -- /talk -------------------------------------------------------------------------------


async def test_keynote_finds_the_keynote_with_summary_speaker_conference_and_nuggets(
    core: Core,
) -> None:
    answer = await core.talk("keynote")
    assert answer.kind == "talk"
    assert answer.title == "An ML Fairytale"
    assert field(answer, "Speaker") == "Vicki Boykis"
    assert field(answer, "Conference") == "NormConf 2022"
    assert "Vectorella" in answer.text
    nuggets = [f.value for f in answer.fields if f.name == "Nugget"]
    assert any("Airflow is basically fancy crontab" in n for n in nuggets)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("docker", "How small can I get that Docker container?"),
        ("alpine", "How small can I get that Docker container?"),
        (
            "recommender",
            "Data's desire paths: shortcuts and lessons from industrial recommender systems",
        ),
        ("invisible work", "Don't do invisible work"),
        ("geriatric", "Geriatric data science: life after senior"),
        ("Katie Bauer", "How to translate to PM speak and back"),
        ("normconf-2022/an-ml-fairytale", "An ML Fairytale"),
        ("an-ml-fairytale", "An ML Fairytale"),
        ("closing address", "Closing Address"),
    ],
)
async def test_talk_resolves_titles_words_speakers_and_slugs(
    core: Core, query: str, title: str
) -> None:
    answer = await core.talk(query)
    assert (answer.kind, answer.title) == ("talk", title)


@pytest.mark.parametrize(
    ("typo", "title"),
    [
        ("fairytail", "An ML Fairytale"),
        ("dokcer contaner", "How small can I get that Docker container?"),
        ("invisble work", "Don't do invisible work"),
    ],
)
async def test_talk_tolerates_typos(core: Core, typo: str, title: str) -> None:
    answer = await core.talk(typo)
    assert (answer.kind, answer.title) == ("talk", title)


async def test_talk_offers_choices_when_several_match(core: Core) -> None:
    answer = await core.talk("james")
    assert answer.kind == "choices"
    assert sorted(c.description.split(" · ")[0] for c in answer.choices) == [
        "James David Long",
        "James Kirk",
    ]
    first = answer.choices[0]
    chosen = await core.ask(f"/{first.command} {first.query}")
    assert chosen.kind == "talk" and chosen.title == first.label


async def test_unconference_lists_the_four_sessions(core: Core) -> None:
    answer = await core.talk("unconference")
    assert answer.kind == "choices"
    assert len(answer.choices) == 4


async def test_unknown_talk_says_so_and_suggests_the_nearest(core: Core) -> None:
    answer = await core.talk("groupby statemnts that safe the dya")
    assert answer.kind in {"talk", "not_found"}
    if answer.kind == "not_found":
        assert "Group-by statements that save the day" in labels(answer)
    nothing = await core.talk("zzzqqqxxx")
    assert nothing.kind == "not_found" and not nothing.found and nothing.ephemeral
    assert "zzzqqqxxx" in nothing.text


async def test_speakerless_talk_says_who_spoke_as_far_as_the_source_says(core: Core) -> None:
    answer = await core.talk("data management")
    assert answer.kind == "talk"
    assert field(answer, "Speakers") == "speaker not named"
    assert "Robert" in field(answer, "Who spoke")


async def test_talk_can_be_narrowed_to_one_conference(core: Core) -> None:
    assert (await core.talk("vincent", conference="tumocon-2023")).kind == "not_found"
    assert (await core.talk("vincent", conference="normconf-2022")).kind == "talk"
    assert (await core.talk("closing address", conference="tumocon-2023")).kind == "talk"


# -- /speaker ----------------------------------------------------------------------------


async def test_speaker_by_first_name(core: Core) -> None:
    answer = await core.speaker("vincent")
    assert answer.kind == "speaker"
    assert answer.title == "Vincent Warmerdam"
    assert "Group-by statements that save the day" in field(answer, "Talk")


async def test_speaker_tolerates_a_misspelt_name(core: Core) -> None:
    answer = await core.speaker("vicky")
    assert (answer.kind, answer.title) == ("speaker", "Vicki Boykis")


async def test_two_jameses_are_offered_as_choices(core: Core) -> None:
    answer = await core.speaker("james")
    assert answer.kind == "choices"
    assert labels(answer) == ["James David Long", "James Kirk"]


async def test_unknown_speaker_is_an_answer_not_an_error(core: Core) -> None:
    answer = await core.speaker("nobody-at-all")
    assert answer.kind == "not_found" and answer.ephemeral


# -- /nugget -----------------------------------------------------------------------------


async def test_random_nugget_has_attribution_and_talk(core: Core) -> None:
    answer = await core.nugget()
    assert answer.kind == "nugget"
    assert answer.text.startswith("“")
    assert field(answer, "Said by")
    assert field(answer, "Talk")
    assert answer.footer.startswith("Source: ")
    assert answer.actions and answer.actions[0].command == "nugget random"


async def test_random_nuggets_vary(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(1))
    seen = {(await core.nugget()).text for _ in range(30)}
    assert len(seen) > 5


async def test_nugget_by_speaker_only_quotes_that_speaker(core: Core) -> None:
    for _ in range(10):
        answer = await core.nugget("vicki")
        assert field(answer, "Said by") == "Vicki Boykis"


async def test_nugget_by_talk_and_by_topic(core: Core) -> None:
    by_talk = await core.nugget("docker")
    assert "Docker" in field(by_talk, "Talk")
    by_topic = await core.nugget("crontab")
    assert "crontab" in by_topic.text.lower()


async def test_nugget_from_an_unnamed_speaker_says_so(core: Core) -> None:
    answer = await core.nugget("inference at the edge")
    assert field(answer, "Said by") == "speaker not named in the source"


# -- /search -----------------------------------------------------------------------------


async def test_search_ranks_hits_with_highlighted_snippets(core: Core) -> None:
    answer = await core.search("crontab")
    assert answer.kind == "search"
    assert answer.fields[0].name.startswith("An ML Fairytale")
    assert f"{HIGHLIGHT_START}crontab{HIGHLIGHT_END}" in answer.fields[0].value.lower()


async def test_search_finds_words_in_transcripts(core: Core) -> None:
    answer = await core.search("podcast booth")
    assert answer.kind == "search"
    assert answer.fields[0].name.startswith("Closing Address")


async def test_search_pages(core: Core) -> None:
    first = await core.search("data")
    assert first.pages > 1
    second = await core.search("data", page=2)
    assert second.page == 2
    assert {f.name for f in first.fields}.isdisjoint({f.name for f in second.fields})
    beyond = await core.search("data", page=99)
    assert beyond.kind == "not_found"


# -- hostile input -----------------------------------------------------------------------

HOSTILE = [
    '"',
    '" OR 1=1 --',
    "AND",
    "NEAR(docker alpine)",
    "*",
    "title:docker",
    "docker) OR (",
    "'; DROP TABLE talks; --",
    "x" * 10_000,
    "🦄🔥",
    "\x00\x1b[31m\x07keynote",
    "\u202ekeynote",
    "@everyone",
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("command", ["talk", "speaker", "nugget", "search"])
async def test_hostile_input_gets_a_normal_answer(core: Core, command: str, text: str) -> None:
    answer = await core.ask(f"/{command} {text}")
    assert answer.kind in {"talk", "speaker", "nugget", "search", "choices", "not_found", "usage"}
    assert answer.title
    assert "\x00" not in answer.title + answer.text
    assert (await core.talk("keynote")).title == "An ML Fairytale"  # nothing was dropped


async def test_overlong_query_is_shortened_and_says_so(core: Core) -> None:
    answer = await core.search("crontab " * 2000)
    assert answer.kind == "search"
    assert f"first {MAX_QUERY_LENGTH} characters" in answer.footer


def test_clean_query_strips_control_and_bidi_characters() -> None:
    assert clean_query("\x1b[31mkey\u202enote\x00 ") == ("[31mkey note", False)
    assert clean_query("a" * 300)[1] is True


def test_split_command() -> None:
    assert split_command("/talk  keynote ") == ("talk", "keynote")
    assert split_command("SPEAKER vincent") == ("speaker", "vincent")
    assert split_command("") == ("", "")


async def test_unknown_command_and_empty_query_are_usage_answers(core: Core) -> None:
    assert (await core.ask("/frobnicate now")).kind == "usage"
    assert (await core.ask("/talk")).kind == "usage"
    assert (await core.ask("/help")).kind == "help"


# -- autocomplete ------------------------------------------------------------------------


async def test_talk_autocomplete_matches_title_prefixes(core: Core) -> None:
    choices = await core.suggest_talks("dock")
    assert choices[0].label == "How small can I get that Docker container?"
    assert len(await core.suggest_talks("")) <= 25
    assert await core.suggest_talks("fairyt")


async def test_speaker_autocomplete(core: Core) -> None:
    assert [c.label for c in await core.suggest_speakers("jam")] == [
        "James David Long",
        "James Kirk",
    ]
    assert (await core.suggest_speakers("vicky"))[0].label == "Vicki Boykis"


async def test_empty_store_says_no_data(db: Database) -> None:
    answer = await Core(db).nugget()
    assert answer.kind == "error" and "confbot load" in answer.text


async def test_a_reload_is_seen_by_a_running_core(db: Database, data_copy: Path) -> None:
    await load_data_dir(db, data_copy)
    core = Core(db)
    core.version_check_seconds = 0
    assert "multi-stage builds" in (await core.talk("docker")).text
    path = data_copy / "normconf-2022" / "how-small-can-i-get-that-docker-container.toml"
    path.write_text(path.read_text().replace("multi-stage builds", "multi stage builds"))
    await load_data_dir(db, data_copy)
    assert "multi stage builds" in (await core.talk("docker")).text


async def test_a_page_past_the_end_says_so_and_keeps_the_same_search(core: Core) -> None:
    assert (await core.search("crontab")).pages == 1
    beyond = await core.search("crontab", page=5)
    assert beyond.kind == "not_found" and "only 1 page" in beyond.text
    narrow = await core.search("fairytale crontab")
    assert narrow.text == "1 talk(s) match."
    assert (await core.search("fairytale crontab", page=2)).kind == "not_found"


async def test_autocomplete_with_no_word_characters_falls_back_quietly(core: Core) -> None:
    assert isinstance(await core.suggest_talks("???"), list)
    assert isinstance(await core.suggest_talks("#("), list)


async def test_an_absurd_page_number_is_an_answer_not_a_crash(core: Core) -> None:
    answer = await core.ask("/search crontab --page 99999999999999999999")
    assert answer.kind in {"search", "not_found"}


def test_a_room_that_starts_like_a_weekday_is_a_room() -> None:
    assert split_day("Sunflower") == ("", "Sunflower")
    assert split_day("Saturn stage") == ("", "Saturn stage")
    assert split_day("sat Saturn") == ("sat", "Saturn")


async def test_search_can_be_narrowed_to_a_conference_and_flags_go_anywhere(core: Core) -> None:
    everywhere = await core.ask("/search data")
    normconf = await core.ask("/search data --conference normconf-2022")
    assert normconf.kind == "search"
    assert all("NormConf 2022" in c.description for c in normconf.choices)
    assert everywhere.text != normconf.text
    second = await core.ask("/search data --conference normconf-2022 --page 2")
    same = await core.ask("/search data --page 2 --conference normconf-2022")
    assert second.page == same.page == 2
    assert [f.name for f in second.fields] == [f.name for f in same.fields]
    huge = await core.ask("/search data --page 99999999999999999999")
    assert huge.kind == "not_found" and "page" in huge.text


async def test_speaker_lookup_folds_case_beyond_ascii(db: Database) -> None:
    talk = Talk("t", "Naturalism", (Speaker("Émile Zola"),), "A talk.")
    await replace_conferences(db, [Conference("c", "C", talks=(talk,))], origin="import")
    answer = await Core(db).speaker("ÉMILE")
    assert (answer.kind, answer.title) == ("speaker", "Émile Zola")


# -- hostile input (issue 10) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "/speaker \udcff",
        "/nugget \udcff",
        "/talk \udcff",
        "/search \udcff docker",
        "/now \udcff",
        "/next \udcff",
        "/schedule today \udcff",
        "/talk docker --conference \udcff",
    ],
)
async def test_lone_surrogates_are_answered_not_raised(core: Core, line: str) -> None:
    answer = await core.ask(line)
    assert answer.title
    answer.text.encode("utf-8")


async def test_autocomplete_takes_lone_surrogates(core: Core) -> None:
    assert await core.suggest_speakers("\udcff") == []
    await core.suggest_talks("vick\udcff")
    await core.programme.suggest_rooms("\udcff")
    await core.programme.suggest_days("\udcff")


@pytest.mark.parametrize("page", ["²", "①", "٣", "１", "99999999999999999999999"])
async def test_a_page_in_other_digits_is_not_a_number(core: Core, page: str) -> None:
    answer = await core.ask(f"/search crontab --page {page}")
    if page.isascii():  # a huge page is capped at the last page there can be
        assert answer.kind in ("search", "not_found") and answer.page >= 1
    else:  # one clear line from the page parameter, no exception
        assert answer.kind == "usage" and "--page wants a whole number" in answer.text


async def test_repeated_words_are_searched_once(core: Core) -> None:
    once = await core.ask("/search crontab")
    many = await core.ask("/search " + " ".join(["crontab"] * 40))
    assert [f.name for f in many.fields] == [f.name for f in once.fields]


async def test_a_query_over_the_store_budget_is_answered_too_broad(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.store import queries
    from bot.store.db import QueryBudgetExceeded

    async def too_slow(*args: object, **kwargs: object) -> None:
        raise QueryBudgetExceeded("stopped")

    monkeypatch.setattr(queries, "search_talks", too_slow)
    answer = await core.ask("/search you")
    assert answer.kind == "error" and not answer.found and answer.ephemeral
    assert answer.text == "That search is too broad; try fewer or more specific words."
    # as Discord's commands, Slack's page buttons and the console's "more" call it
    assert await core.search("you", page=2) == answer


async def test_a_repeated_typo_is_corrected_once(core: Core) -> None:
    once = await core.ask("/talk dockr")
    assert once.kind == "talk"
    assert (await core.ask("/talk " + " ".join(["dockr"] * 30))).title == once.title
