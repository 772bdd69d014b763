"""/now, /next and /schedule on Discord, end to end: the real discord.py client runs `ConfBot`
against `FakeDiscord`, over real SQLite with the CCCamp 2019 sample schedule imported.

The core's clock is injected (Wednesday 21 August 2019, 11:10 in Berlin, ten minutes into the
Opening Ceremony); nothing depends on the wall clock.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, InteractionResult, running_bot

JSON = dict[str, Any]
OPENING = datetime(2019, 8, 21, 11, 10, tzinfo=ZoneInfo("Europe/Berlin"))
THURSDAY_CURIE = [
    "OpenCodes",
    "Beyond the Pile of Knobs",
    "Automated security testing for Software Developers who dont know security!",
    "Fully Open, Fully Sovereign mobile devices",
    "A mobile phone that respects your freedom",
    "Fangespielen mit IMSI-Catchern",
    "Die 5G-Überwachungsstandards",
    "Caught in the Net",
]


@pytest.fixture
async def camp_db(bundled_db: Database) -> Database:
    """The bundled conferences (NormConf has no talk times) and the camp's schedule."""
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    await replace_conferences(bundled_db, [sample], origin="import")
    return bundled_db


async def start(fake: FakeDiscord, core: Core) -> ConfBot:
    return ConfBot(
        core, core.db, guild_ready_timeout=0.05, start_wisdom=False, wisdom_interval=3600.0
    )


@pytest.fixture
async def bot(fake: FakeDiscord, camp_db: Database) -> AsyncIterator[ConfBot]:
    core = Core(camp_db, rng=random.Random(7), clock=FakeClock(OPENING))
    bot = await start(fake, core)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield bot


def embed(result: InteractionResult) -> JSON:
    assert result.embeds, f"no embed in {result!r}"
    return result.embeds[0]


def fields(result: InteractionResult) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed(result).get("fields", [])}


def select_values(result: InteractionResult) -> list[str]:
    for row in result.components:
        for item in row["components"]:
            if item["type"] == 3:
                return [option["value"] for option in item["options"]]
    return []


def assert_clean(fake: FakeDiscord) -> None:
    assert fake.unhandled == []
    assert [(r.method, r.path, r.status, r.response) for r in fake.errors] == []


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_shows_the_opening_ceremony_in_curie(fake: FakeDiscord, bot: ConfBot) -> None:
    result = await fake.invoke("now")

    assert result.type == 4 and not result.ephemeral
    assert embed(result)["title"] == "On now"
    assert fields(result) == {"Wed 11:00–11:30 · Curie": "Opening Ceremony — jinxx, smtw"}
    assert "As of Wed 21 Aug 11:10 CEST" in embed(result)["footer"]["text"]
    assert select_values(result) == ["talk?query=camp2019/camp2019-10386-opening-ceremony"]
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_talk_picked_from_now_is_shown_below_the_listing(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    listing = await fake.invoke("now", {"room": "curie"})
    picked = await fake.click(listing, listing.custom_ids[0], values=select_values(listing))

    assert picked.type == 4 and picked.message_id != listing.message_id
    assert embed(picked)["title"] == "Opening Ceremony"
    assert embed(listing)["title"] == "On now in rooms matching “curie”"  # the listing stays
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_next_gives_one_talk_per_room(fake: FakeDiscord, bot: ConfBot) -> None:
    result = await fake.invoke("next")

    assert embed(result)["title"] == "Next up in each room"
    assert fields(result) == {
        "Wed 12:00–12:45 · Curie": "card10 Badge — schneider",
        "Wed 12:00–12:45 · Meitner": 'Knoten 101 — Lukas "cube" Hannen',
    }
    assert len(select_values(result)) == 2
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_schedule_day_2_in_curie_lists_thursdays_curie_talks(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    result = await fake.invoke("schedule", {"day": "day 2", "room": "curie"})

    assert embed(result)["title"] == (
        "Chaos Communication Camp 2019: Thursday 22 August 2019, rooms matching “curie”"
    )
    assert [value.split(" — ")[0] for value in fields(result).values()] == THURSDAY_CURIE
    assert all(name.startswith("Thu ") and name.endswith("· Curie") for name in fields(result))
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_the_conference_option_narrows_and_autocompletes(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    offered = await fake.autocomplete("now", {"conference": "camp"}, focused="conference")
    elsewhere = await fake.invoke("now", {"conference": "normconf-2022"})
    talk = await fake.invoke("talk", {"query": "card10 badge", "conference": "camp2019"})
    missed = await fake.invoke("talk", {"query": "card10 badge", "conference": "normconf-2022"})

    assert offered == [{"name": "Chaos Communication Camp 2019 · camp2019", "value": "camp2019"}]
    assert embed(elsewhere)["title"] == "Nothing on"
    assert embed(talk)["title"] == "card10 Badge"
    assert missed.ephemeral and embed(missed)["title"] == "No talk found"
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_room_and_day_autocomplete_from_the_programme(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    rooms = await fake.autocomplete("now", {"room": "cu"}, focused="room")
    every_room = await fake.autocomplete("schedule", {"room": ""}, focused="room")
    days = await fake.autocomplete("schedule", {"day": ""}, focused="day")
    thursday = await fake.autocomplete("schedule", {"day": "thu"}, focused="day")

    assert rooms == [{"name": "Curie", "value": "Curie"}]
    assert [c["value"] for c in every_room] == ["Curie", "Meitner"]
    values = [c["value"] for c in days]
    assert values[:2] == ["today", "tomorrow"]
    assert {"wednesday", "thursday", "day 1", "day 2"} <= set(values)
    assert thursday == [{"name": "Thursday · day 2 · 22 Aug", "value": "thursday"}]
    assert_clean(fake)


async def test_now_without_a_timed_conference_explains_how_to_import_one(
    fake: FakeDiscord, core: Core
) -> None:
    bot = await start(fake, core)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        result = await fake.invoke("now")
        rooms = await fake.autocomplete("now", {"room": ""}, focused="room")

    assert result.ephemeral
    assert embed(result)["title"] == "No timed schedule"
    assert "confbot import" in embed(result)["description"]
    assert rooms == []
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_an_unknown_conference_option_names_the_known_ones(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    now = await fake.invoke("now", {"conference": "nosuch"})
    talk = await fake.invoke("talk", {"query": "card10 badge", "conference": "nosuch"})

    for result in (now, talk):
        assert result.ephemeral
        text = str(embed(result).get("description", ""))
        assert "No conference \\`nosuch\\`; known: camp2019, normconf-2022, tumocon-2023" in text
    assert_clean(fake)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_conference_list_and_an_admin_s_conference_use(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    admin = fake.add_member("ada", admin=True)
    listed = await fake.invoke("conference", subcommand="list")
    refused = await fake.invoke("conference", {"slugs": "normconf-2022"}, subcommand="use")
    used = await fake.invoke("conference", {"slugs": "normconf-2022"}, subcommand="use", user=admin)
    now = await fake.invoke("now")
    reached = await fake.invoke("now", {"conference": "camp2019"})
    cleared = await fake.invoke("conference", subcommand="use", user=admin)
    again = await fake.invoke("now")

    assert listed.ephemeral
    assert "camp2019 · Chaos Communication Camp 2019" in fields(listed)
    assert fields(listed)["camp2019 · Chaos Communication Camp 2019"] == (
        "Wed 21 Aug 2019 to Sun 25 Aug 2019"
    )
    assert refused.ephemeral and "Manage Server permission" in str(refused.content)
    assert used.ephemeral and "normconf-2022" in embed(used)["description"]
    assert embed(now)["title"] == "Nothing on"  # NormConf 2022 has no talk times
    assert embed(reached)["title"] == "On now"
    assert "no longer" in embed(cleared)["description"]
    assert embed(again)["title"] == "On now"
    assert_clean(fake)
