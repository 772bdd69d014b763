"""/conference list and /conference use on the console's core: every slug with its name and
dates; an admin's community defaults /talk, /search, /now, /next and /schedule to its
conferences (the store keeps them per front end and community); --conference still reaches
the others; no slug clears it; the console has no community."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.answer import Answer
from bot.commands.invocation import Invocation
from bot.commands.registry import Caller
from bot.core import Core
from bot.sources.detect import load_schedule
from bot.store.communities import conferences_of
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock

OPENING = datetime(2019, 8, 21, 11, 10, tzinfo=ZoneInfo("Europe/Berlin"))
ADMIN = Caller(frontend="discord", user="1", place="G1", channel="C1", admin=True)
MEMBER = Caller(frontend="discord", user="2", place="G1", channel="C1")
ELSEWHERE = Caller(frontend="discord", user="2", place="G2", channel="C9")


@pytest.fixture
async def camp_core(bundled_db: Database) -> Core:
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    await replace_conferences(bundled_db, [sample], origin="import")
    return Core(bundled_db, rng=random.Random(7), clock=FakeClock(OPENING))


def names(answer: Answer) -> list[str]:
    return [field.name for field in answer.fields]


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_conference_list_shows_every_slug_with_its_name_and_dates(camp_core: Core) -> None:
    answer = await camp_core.ask("/conference list")

    assert answer.ephemeral
    assert names(answer) == [
        "camp2019 · Chaos Communication Camp 2019",
        "normconf-2022 · NormConf 2022",
        "tumocon-2023 · TuMoCon 2023",
    ]
    assert answer.fields[0].value == "Wed 21 Aug 2019 to Sun 25 Aug 2019"
    assert "/conference list|use" in (await camp_core.ask("/conference")).text


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_an_admin_says_which_conference_a_community_is_about(camp_core: Core) -> None:
    refused = await camp_core.ask("/conference use normconf-2022", MEMBER)
    used = await camp_core.ask("/conference use normconf-2022", ADMIN)

    assert refused.title == "Not allowed" and refused.ephemeral
    assert "normconf-2022" in used.text
    assert await conferences_of(camp_core.db, "discord", "G1") == ["normconf-2022"]
    assert await conferences_of(camp_core.db, "slack", "G1") == []

    here = await camp_core.ask("/search data", MEMBER)
    there = await camp_core.ask("/search data", ELSEWHERE)
    reached = await camp_core.ask("/now --conference camp2019", MEMBER)
    # The default narrows the search but is not written into what its buttons replay.
    assert here.text.endswith("match in normconf-2022.")
    assert here.invocation == there.invocation == Invocation.of("search", text="data")
    assert "in normconf-2022" not in there.text
    assert reached.title == "On now"
    assert (await camp_core.ask("/now", MEMBER)).title == "Nothing on"  # NormConf is untimed
    assert (await camp_core.ask("/now", ELSEWHERE)).title == "On now"

    cleared = await camp_core.ask("/conference use", ADMIN)
    assert "no longer" in cleared.text
    assert await conferences_of(camp_core.db, "discord", "G1") == []
    assert (await camp_core.ask("/now", MEMBER)).title == "On now"


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_several_conferences_narrow_the_programme_to_them(camp_core: Core) -> None:
    await camp_core.ask("/conference use normconf-2022 camp2019", ADMIN)

    assert await conferences_of(camp_core.db, "discord", "G1") == ["normconf-2022", "camp2019"]
    now = await camp_core.ask("/now", MEMBER)
    day = await camp_core.ask("/schedule", MEMBER)
    assert now.title == "On now"
    assert day.title.startswith("Chaos Communication Camp 2019")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_an_unknown_slug_is_refused_and_the_console_has_no_community(
    camp_core: Core,
) -> None:
    unknown = await camp_core.ask("/conference use nosuch", ADMIN)
    console = await camp_core.ask("/conference use camp2019", Caller(admin=True))

    assert unknown.text == ("No conference `nosuch`; known: camp2019, normconf-2022, tumocon-2023.")
    assert unknown.ephemeral
    assert "--conference" in console.text and not console.found
    assert await conferences_of(camp_core.db, "discord", "G1") == []
