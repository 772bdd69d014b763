"""One community, one conference, on the core: a server that used `/conference use` gets
/talk, /speaker, /nugget and /search in its conferences (all of them, not only the first,
each hit saying which it is from when that is not obvious); --conference still reaches the
others; an unknown slug is answered with a short list of the known ones; follow-ups replay
what was asked for the caller who presses them; the community's conferences are cached."""

from __future__ import annotations

import asyncio
import io
import random
from dataclasses import replace

import pytest

from bot.answer import Answer
from bot.commands.delivery import Delivery
from bot.commands.invocation import Invocation
from bot.commands.params import MAX_KNOWN_NAMED
from bot.commands.registry import Caller
from bot.commands.suggest import suggestions
from bot.core import Core
from bot.delivery.reminder_service import ReminderService
from bot.frontends.console import ConsoleSession
from bot.records import Conference, Nugget, Speaker, Talk
from bot.store import communities
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from tests.commands.conftest import NOW
from tests.conftest import REPO
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

ADMIN = Caller(frontend="discord", user="1", place="G1", channel="C1", admin=True)
MEMBER = Caller(frontend="discord", user="2", place="G1", channel="C1")
ELSEWHERE = Caller(frontend="discord", user="3", place="G2", channel="C9")


def othercon() -> Conference:
    """A third conference beside the bundled two: a Vicki of its own, fairytales, nuggets,
    and a talk with the slug of one of NormConf's."""
    pipelines = tuple(
        Talk(
            slug=f"fairytale-pipelines-{n}",
            title=f"Fairytale data pipelines, part {n}",
            speakers=(Speaker("Vicki Other"),),
            summary="Once upon a time a fairytale pipeline ran every night.",
            nuggets=(
                Nugget(f"Every pipeline is a fairytale until night {n}.", "Vicki Other", "x"),
                Nugget(f"Nobody reads the logs of part {n}.", "Vicki Other", "x"),
            ),
        )
        for n in (1, 2)
    )
    retold = Talk(
        slug="an-ml-fairytale",
        title="An ML Fairytale, retold",
        speakers=(Speaker("Vicki Other"),),
        summary="The same fairytale, told again.",
    )
    return Conference("othercon-2024", "OtherCon 2024", talks=(*pipelines, retold))


@pytest.fixture
async def three(db: Database) -> Core:
    await load_data_dir(db, REPO / "data")
    await replace_conferences(db, [othercon()], origin="import")
    return Core(db, rng=random.Random(11))


async def use(core: Core, slugs: str, caller: Caller = ADMIN) -> None:
    answer = await core.ask(f"/conference use {slugs}", caller)
    assert answer.found, answer.text


def conference_of(answer: Answer) -> set[str]:
    return {f.value for f in answer.fields if f.name == "Conference"}


# -- /speaker ----------------------------------------------------------------------------------


async def test_speaker_defaults_to_the_communitys_conference(three: Core) -> None:
    await use(three, "normconf-2022")

    anywhere = await three.ask("/speaker vicki", ELSEWHERE)
    here = await three.ask("/speaker vicki", MEMBER)
    missed = await three.ask("/speaker other", MEMBER)
    reached = await three.ask("/speaker other --conference othercon-2024", MEMBER)

    assert {c.label for c in anywhere.choices} == {"Vicki Boykis", "Vicki Other"}
    assert here.kind == "speaker" and here.title == "Vicki Boykis"
    assert missed.title == "No speaker found" and "in normconf-2022" in missed.text
    assert "--conference SLUG" in missed.text
    assert reached.title == "Vicki Other"


async def test_a_misspelt_speaker_is_fuzzy_matched_only_in_the_community(three: Core) -> None:
    await use(three, "othercon-2024")

    assert (await three.ask("/speaker vicky othr", MEMBER)).title == "Vicki Other"
    assert (await three.ask("/speaker vicky boikis", MEMBER)).title == "No speaker found"
    assert (await three.ask("/speaker vicky boikis", ELSEWHERE)).title == "Vicki Boykis"


# -- /nugget -----------------------------------------------------------------------------------


async def test_a_random_nugget_comes_from_the_communitys_conference(three: Core) -> None:
    await use(three, "othercon-2024")

    here = [await three.ask("/nugget", MEMBER) for _ in range(12)]
    reached = [await three.ask("/nugget --conference tumocon-2023", MEMBER) for _ in range(6)]

    assert {a.fields[1].value.rpartition("(")[2] for a in here} == {"OtherCon 2024)"}
    assert len({a.text for a in here}) > 1  # still random among its four
    assert {a.fields[1].value.rpartition("(")[2] for a in reached} == {"TuMoCon 2023)"}


async def test_a_nugget_filter_stays_in_the_community(three: Core) -> None:
    await use(three, "normconf-2022")

    by_vicki = [await three.ask("/nugget vicki", MEMBER) for _ in range(8)]
    fairytale = await three.ask("/nugget --talk fairytale-pipelines-1", MEMBER)
    by_ref = await three.ask("/nugget --talk othercon-2024/fairytale-pipelines-1", MEMBER)

    assert {a.fields[0].value for a in by_vicki} == {"Vicki Boykis"}
    # The free words find NormConf's fairytale, not OtherCon's talk of that slug.
    assert "NormConf 2022" in fairytale.fields[1].value
    # A talk's full ref names its conference: a pick from anywhere still opens.
    assert by_ref.title == "Nugget of wisdom" and "OtherCon 2024" in by_ref.fields[1].value


async def test_a_community_whose_conferences_have_no_nuggets_is_told_so(db: Database) -> None:
    await replace_conferences(
        db, [othercon(), Conference("empty-2025", "Empty 2025")], origin="import"
    )
    core = Core(db, rng=random.Random(1))
    await use(core, "empty-2025")

    answer = await core.ask("/nugget", MEMBER)

    assert answer.title == "No nugget found" and not answer.found
    assert answer.text.startswith("There are no nuggets in empty-2025.")


# -- several conferences -----------------------------------------------------------------------


async def test_a_community_of_two_conferences_looks_in_both(three: Core) -> None:
    await use(three, "normconf-2022 othercon-2024")

    talks = await three.ask("/talk an-ml-fairytale", MEMBER)
    search = await three.ask("/search fairytale", MEMBER)
    speakers = await three.ask("/speaker vicki", MEMBER)
    nuggets = {(await three.ask("/nugget", MEMBER)).fields[1].value for _ in range(30)}

    assert talks.kind == "choices"
    assert {c.description.rpartition(" · ")[2] for c in talks.choices} == {
        "NormConf 2022",
        "OtherCon 2024",
    }
    assert search.text.startswith("4 talk(s) match in normconf-2022, othercon-2024")
    # Hits of two conferences say which each is from.
    assert all(f.name.endswith(("· NormConf 2022", "· OtherCon 2024")) for f in search.fields)
    assert {c.label for c in speakers.choices} == {"Vicki Boykis", "Vicki Other"}
    assert {n.rpartition("(")[2] for n in nuggets} == {"NormConf 2022)", "OtherCon 2024)"}


async def test_a_search_in_one_conference_does_not_label_its_hits(three: Core) -> None:
    await use(three, "othercon-2024")

    search = await three.ask("/search fairytale", MEMBER)

    assert search.text == "3 talk(s) match in othercon-2024."
    assert search.fields and not any("OtherCon" in f.name for f in search.fields)


async def test_the_conference_option_reaches_a_conference_the_community_is_not_about(
    three: Core,
) -> None:
    await use(three, "othercon-2024")

    talk = await three.ask("/talk an-ml-fairytale --conference normconf-2022", MEMBER)
    search = await three.ask("/search crontab --conference normconf-2022", MEMBER)

    assert talk.title == "An ML Fairytale"
    assert search.found and search.text.endswith("match.")  # no default named: none applied


async def test_a_conference_the_community_named_that_is_gone_narrows_nothing(
    three: Core,
) -> None:
    await communities.set_conferences(three.db, "discord", "G1", ["gone-2019"])

    answer = await three.ask("/talk an-ml-fairytale", MEMBER)

    assert answer.kind == "choices" and len(answer.choices) == 2
    assert "in gone-2019" not in answer.text


# -- unknown slugs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "/speaker vicki --conference nosuch",
        "/nugget --conference nosuch",
        "/talk fairytale --conference nosuch",
        "/search data --conference nosuch",
        "/now --conference nosuch",
        "/conference use nosuch",
    ],
)
async def test_an_unknown_slug_anywhere_names_the_known_ones(three: Core, line: str) -> None:
    answer = await three.ask(line, ADMIN)

    assert not answer.found and answer.ephemeral
    assert "No conference `nosuch`; known: normconf-2022, othercon-2024, tumocon-2023." in (
        answer.text
    )


async def test_the_known_slugs_named_are_capped_and_the_closest_come_first(db: Database) -> None:
    many = [Conference(f"conf-{n:02d}", f"Conf {n}") for n in range(30)]
    await replace_conferences(db, [*many, othercon()], origin="import")
    core = Core(db)

    answer = await core.ask("/talk x --conference othercon-2042", MEMBER)

    known = answer.text.partition("known: ")[2]
    assert known.startswith("othercon-2024, ")
    assert known.count(", ") == MAX_KNOWN_NAMED - 1
    assert f"and {31 - MAX_KNOWN_NAMED} more (/conference list)." in known


# -- follow-ups --------------------------------------------------------------------------------


async def test_a_page_button_replays_the_search_in_the_community_it_is_pressed_in(
    three: Core,
) -> None:
    await use(three, "normconf-2022")
    first = await three.ask("/search data", MEMBER)
    assert first.invocation is not None and first.pages == 2
    page_two = first.invocation.with_args(page=2)

    here = await three.run(page_two, MEMBER)
    there = await three.run(page_two, ELSEWHERE)

    assert page_two == Invocation.of("search", text="data", page=2)  # no default carried
    assert here.page == 2 and here.text == first.text == "6 talk(s) match in normconf-2022."
    assert {c.description.rpartition(" · ")[2] for c in here.choices} == {"NormConf 2022"}
    assert there.text != here.text and "in normconf-2022" not in there.text


async def test_a_button_pressed_after_the_community_changed_says_where_it_looked_now(
    three: Core,
) -> None:
    """The decision of bot/commands/scope.py: a follow-up looks in the conferences the
    community is about when it is pressed, and its answer says which they are."""
    await use(three, "normconf-2022")
    first = await three.ask("/search fairytale", MEMBER)
    await use(three, "othercon-2024")
    assert first.invocation is not None

    pressed = await three.run(first.invocation, MEMBER)

    assert first.text == "1 talk(s) match in normconf-2022."
    assert pressed.text == "3 talk(s) match in othercon-2024."


async def test_another_one_stays_in_the_community(three: Core) -> None:
    await use(three, "othercon-2024")
    first = await three.ask("/nugget", MEMBER)
    again = first.actions[0].invocation
    assert again is not None and again == Invocation.of("nugget random")

    more = [await three.run(again, MEMBER) for _ in range(6)]

    assert {a.fields[1].value.rpartition("(")[2] for a in more} == {"OtherCon 2024)"}


async def test_the_console_replays_more_and_numbers_for_its_caller(three: Core) -> None:
    await use(three, "normconf-2022")
    session = ConsoleSession(three, io.StringIO(), caller=MEMBER)

    await session.handle("/search data")
    await session.handle("more")
    page_two = session.last
    await session.handle("1")

    assert page_two is not None and page_two.page == 2
    assert page_two.text == "6 talk(s) match in normconf-2022."
    assert session.last is not None and session.last.kind == "talk"
    assert conference_of(session.last) == {"NormConf 2022"}


# -- the cache ---------------------------------------------------------------------------------


async def test_the_communitys_conferences_are_read_once_and_kept(three: Core) -> None:
    await use(three, "othercon-2024")
    assert (await three.ask("/search fairytale", MEMBER)).text.endswith("in othercon-2024.")

    # Changed behind the bot's back (another process): the bot keeps what it read ...
    await communities.set_conferences(three.db, "discord", "G1", ["normconf-2022"])
    kept = await three.ask("/search fairytale", MEMBER)
    # ... until the lookup re-checks (every few seconds; at once here).
    three.version_check_seconds = 0
    fresh = await three.ask("/search fairytale", MEMBER)

    assert kept.text.endswith("in othercon-2024.")
    assert fresh.text.endswith("in normconf-2022.")


async def test_conference_use_through_the_bot_applies_at_once(three: Core) -> None:
    await use(three, "othercon-2024")
    assert (await three.ask("/search fairytale", MEMBER)).text.endswith("in othercon-2024.")

    await use(three, "normconf-2022")

    assert (await three.ask("/search fairytale", MEMBER)).text.endswith("in normconf-2022.")
    await use(three, "")
    assert (await three.ask("/search fairytale", MEMBER)).text == "4 talk(s) match."


# -- /remind -----------------------------------------------------------------------------------


async def test_reminders_subscribed_in_a_community_of_one_conference_are_for_it(
    walk_core: Core,
) -> None:
    service = ReminderService(walk_core.db, FakePoster(FakeClock(NOW)), frontend="discord")
    walk_core.delivery["discord"] = Delivery(reminders=service)
    await use(walk_core, "walk-2026")

    here = await walk_core.ask("/remind subscribe C0123456 10", ADMIN)
    there = await walk_core.ask("/remind subscribe C0999999 10", replace(ADMIN, place="G2"))

    assert here.found and there.found, (here.text, there.text)
    subscriptions = {s.channel_id: s.conference for s in await service.subscriptions()}
    assert subscriptions == {"C0123456": "walk-2026", "C0999999": None}


# -- autocomplete ------------------------------------------------------------------------------


async def test_autocomplete_suggests_the_communitys_talks_and_speakers(three: Core) -> None:
    await use(three, "othercon-2024")

    talks = await suggestions(three, "talks", "fairy", {}, MEMBER)
    every_talk = await suggestions(three, "talks", "", {}, MEMBER)
    speakers = await suggestions(three, "speakers", "vick", {}, MEMBER)
    every_speaker = await suggestions(three, "speakers", "", {}, MEMBER)
    asked = await suggestions(three, "speakers", "vick", {"conference": "normconf-2022"}, MEMBER)
    anywhere = await suggestions(three, "speakers", "vick", {}, ELSEWHERE)

    assert {c.description.rpartition(" · ")[2] for c in talks} == {"OtherCon 2024"}
    assert len(talks) == len(every_talk) == 3
    assert [c.label for c in speakers] == [c.label for c in every_speaker] == ["Vicki Other"]
    assert [c.label for c in asked] == ["Vicki Boykis"]
    assert [c.label for c in anywhere] == ["Vicki Boykis", "Vicki Other"]


async def test_a_burst_from_one_community_reads_its_conferences_once(
    three: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    await use(three, "othercon-2024")
    three.version_check_seconds = 0  # nothing kept from before: every command would read
    reads: list[str] = []
    real = communities.conferences_of

    async def counted(db: Database, frontend: str, community: str) -> list[str]:
        reads.append(community)
        return await real(db, frontend, community)

    monkeypatch.setattr(communities, "conferences_of", counted)
    answers = await asyncio.gather(*(three.ask("/search fairytale", MEMBER) for _ in range(20)))

    assert {a.text for a in answers} == {"3 talk(s) match in othercon-2024."}
    assert reads == ["G1"]
