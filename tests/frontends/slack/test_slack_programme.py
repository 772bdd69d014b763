"""/now, /next and /schedule on Slack, end to end: the real Bolt app from `build_app` against
the local fake Slack (HTTP and Socket Mode), over real SQLite with the CCCamp 2019 sample
schedule imported.

The core's clock is injected (Wednesday 21 August 2019, 11:10 in Berlin, ten minutes into the
Opening Ceremony); nothing depends on the wall clock.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.frontends.slack import build_app
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, ResponsePost
from tests.frontends.slack.test_slack_e2e import (
    Driver,
    button_ids,
    header,
    running,
    settings_for,
    texts,
)

OPENING = datetime(2019, 8, 21, 11, 10, tzinfo=ZoneInfo("Europe/Berlin"))


async def camp_core(db: Database) -> Core:
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    await replace_conferences(db, [sample], origin="import")
    return Core(db, rng=random.Random(7), clock=FakeClock(OPENING))


class Channel:
    """Commands typed by one member in #general."""

    def __init__(self, driver: Driver, user: str, channel: str) -> None:
        self.driver = driver
        self.user = user
        self.channel = channel

    async def command(self, command: str, text: str = "") -> ResponsePost:
        result = await self.driver.command(command, text, user=self.user, channel=self.channel)
        assert result.acked and result.ack is None
        return result.responses[-1]

    async def click(self, action_id: str, message: ResponsePost) -> ResponsePost:
        result = await self.driver.click(action_id, message, user=self.user, channel=self.channel)
        assert result.acked
        return result.responses[-1]


@pytest.fixture(params=["http", "socket"])
async def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _channel(core: Core, transport: str) -> AsyncIterator[Channel]:
    async with FakeSlack() as fake:
        general = fake.add_channel("general")
        alice = fake.add_user("alice")
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        app = build_app(core, None, settings_for(fake, transport, frozenset()), client)
        async with running(fake, app, transport) as driver:
            yield Channel(driver, alice, general)


@pytest.fixture
async def camp(db: Database, transport: str) -> AsyncIterator[Channel]:
    async for channel in _channel(await camp_core(db), transport):
        yield channel


def lines(message: ResponsePost) -> str:
    return "\n".join(texts(message.blocks))


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_shows_the_opening_ceremony_in_curie(camp: Channel) -> None:
    reply = await camp.command("/now")

    assert reply.ok, reply.error
    assert reply.response_type == "in_channel"
    assert header(reply) == "On now"
    assert "Opening Ceremony" in lines(reply) and "Curie" in lines(reply)
    assert "As of Wed 21 Aug 11:10 CEST" in lines(reply)
    picked = await camp.click("confbot_open_0", reply)
    assert picked.ok and not picked.replace_original
    assert header(picked) == "Opening Ceremony"


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_next_gives_one_talk_per_room(camp: Channel) -> None:
    reply = await camp.command("/next")

    assert header(reply) == "Next up in each room"
    text = lines(reply)
    assert "card10 Badge" in text and "Knoten 101" in text
    assert text.count("Wed 12:00–12:45") == 2
    assert button_ids(reply) == ["confbot_open_0", "confbot_open_1"]  # each talk: a new message


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_schedule_day_2_curie_lists_thursdays_curie_talks(camp: Channel) -> None:
    reply = await camp.command("/schedule", "day 2 curie --conference camp2019")

    assert reply.ok, reply.error
    assert header(reply) == (
        "Chaos Communication Camp 2019: Thursday 22 August 2019, rooms matching “curie”"
    )
    text = lines(reply)
    for title in ("OpenCodes", "Beyond the Pile of Knobs", "Caught in the Net"):
        assert title in text
    assert "Meitner" not in text and "Wed " not in text


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_conference_without_that_room_says_nothing_is_on(camp: Channel) -> None:
    reply = await camp.command("/now", "nowhere --conference camp2019")

    assert header(reply) == "Nothing on"
    assert "No talk in a room matching “nowhere”" in lines(reply)


async def test_now_without_a_timed_conference_explains_how_to_import_one(
    core: Core, transport: str
) -> None:
    async for channel in _channel(core, transport):
        reply = await channel.command("/now")
        assert reply.ok, reply.error
        assert reply.response_type == "ephemeral"
        assert header(reply) == "No timed schedule"
        assert "confbot import" in lines(reply)
