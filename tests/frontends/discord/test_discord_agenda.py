"""The personal agenda on Discord, end to end: the real discord.py client runs `ConfBot`
against `FakeDiscord` over real SQLite. A member follows a talk (by /follow, or the "Remind
me" button under a talk), and at the lead time a direct message arrives in the DM channel
the bot opens (POST /users/@me/channels), once, with the time as a Discord timestamp; a member
who closed their DMs (50007) is paused at the first refusal and told once."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import START, walk_conference
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, running_bot
from tests.frontends.discord.test_discord_programme import embed

JSON = dict[str, Any]
TALK = "Data talk 2 in Hall A"
STARTS = START + timedelta(hours=2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def bot(fake: FakeDiscord, db: Database, clock: FakeClock) -> AsyncIterator[ConfBot]:
    await replace_conferences(db, [walk_conference()], origin="import")
    core = Core(db, rng=random.Random(7), clock=clock)
    bot = ConfBot(core, db, clock=clock, guild_ready_timeout=0.05, wisdom_interval=3600.0)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield bot


def dms(fake: FakeDiscord, member: JSON) -> list[JSON]:
    return fake.channel_messages(fake.dm_channel(member))


async def test_a_followed_talk_is_direct_messaged_once_at_the_lead_time(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ada = fake.add_member("ada")
    followed = await fake.invoke("follow", {"query": TALK}, subcommand="talk", user=ada)
    assert followed.ephemeral and embed(followed)["title"] == "Following"
    assert f"<t:{int(STARTS.timestamp())}:f>" in embed(followed)["description"]
    assert await bot.wake_agenda() == []
    assert dms(fake, ada) == []

    clock.set(STARTS - timedelta(minutes=10))
    assert [r.kind for r in await bot.wake_agenda()] == ["sent"]
    assert [r.kind for r in await bot.wake_agenda()] == []  # exactly once
    [message] = dms(fake, ada)
    dm = message["embeds"][0]
    assert dm["title"] == f"In 10 minutes: {TALK}"
    assert f"<t:{int(STARTS.timestamp())}:t>" in dm["description"]
    assert f"<t:{int(STARTS.timestamp())}:R>" in dm["description"]
    assert fake.requests_to("/users/@me/channels", "POST")
    assert message["mentions"] == [] and message["nonce"].startswith("a-")
    # No follow data in the logs: who followed, and who was messaged, is never named.
    assert "served /follow talk" in caplog.text and "direct message(s) sent" in caplog.text
    assert ada["id"] not in caplog.text


async def test_the_remind_me_button_follows_the_talk_for_whoever_clicks(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock
) -> None:
    ada, bob = fake.add_member("ada"), fake.add_member("bob")
    talk = await fake.invoke("talk", {"query": "Data talk 3 in Hall B"}, user=ada)
    [remind] = [c for c in talk.custom_ids if "follow talk" in c]
    clicked = await fake.click(talk, remind, user=bob)
    assert clicked.ephemeral and embed(clicked)["title"] == "Following"
    mine = await fake.invoke("agenda", {}, subcommand="all", user=bob)
    assert "Data talk 3 in Hall B" in embed(mine)["description"]
    theirs = await fake.invoke("agenda", {}, subcommand="all", user=ada)
    assert embed(theirs)["title"] == "Your agenda is empty"
    clock.set(START + timedelta(hours=3, minutes=-10))
    assert [r.kind for r in await bot.wake_agenda()] == ["sent"]
    assert len(dms(fake, bob)) == 1 and dms(fake, ada) == []


async def test_closed_dms_pause_the_member_and_they_are_told_once(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock
) -> None:
    ada = fake.add_member("ada")
    await fake.invoke("follow", {"name": "Hall A"}, subcommand="room", user=ada)
    fake.close_dms(ada)
    clock.set(START + timedelta(minutes=55))
    assert [r.kind for r in await bot.wake_agenda()] == ["disabled"]
    clock.set(START + timedelta(hours=1, minutes=55))
    assert await bot.wake_agenda() == []  # paused: no retry storm
    sends = [r for r in fake.requests_to("/messages", "POST") if r.path.startswith("/channels/")]
    assert len(sends) == 1

    told = await fake.invoke("talk", {"query": "Data talk 1 in Hall B"}, user=ada)
    assert told.ephemeral and "50007" in embed(told)["footer"]["text"]
    again = await fake.invoke("talk", {"query": "Data talk 1 in Hall B"}, user=ada)
    assert "50007" not in embed(again).get("footer", {}).get("text", "")

    fake.close_dms(ada, closed=False)
    resumed = await fake.invoke("agenda", {}, subcommand="today", user=ada)
    assert any("on again" in f["value"] for f in embed(resumed)["fields"])
    clock.set(START + timedelta(hours=2, minutes=50))
    assert [r.kind for r in await bot.wake_agenda()] == ["sent"]
    assert len(dms(fake, ada)) == 1
