"""The Discord poster against the fake Discord with the real discord.py client: a post that
went out just before the bot was killed is found again after a restart, however much the
channel chatted since, and a send is never cancelled while discord.py is still waiting on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

import tests.fakes.discord as fake_discord
from bot.core import Core
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.discord import ConfBot
from bot.frontends.discord.poster import DiscordPoster
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.poster import Crash, KilledAfterSending

AMS = "Europe/Amsterdam"
# Monday 3 June 2024, 08:00 in Amsterdam (CEST): the post is due at 09:00 local, 07:00 UTC.
EIGHT_AM = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)
FOUR_HOURS_LATE = EIGHT_AM + timedelta(hours=5)


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core) -> AsyncIterator[ConfBot]:
    bot = ConfBot(core, core.db, guild_ready_timeout=0.05, wisdom_interval=3600.0)
    async with running_bot(bot, fake):
        yield bot


def bot_posts(fake: FakeDiscord, bot: ConfBot) -> list[dict[str, object]]:
    assert bot.user is not None
    mine = str(bot.user.id)
    return [m for m in fake.channel_messages(fake.channel_id) if m["author"]["id"] == mine]


async def test_a_late_post_is_found_after_a_crash_in_a_chatty_channel(
    fake: FakeDiscord, bot: ConfBot, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(EIGHT_AM)
    first = WisdomService(
        core.db, KilledAfterSending(DiscordPoster(bot)), frontend="discord", clock=clock
    )
    channel = str(fake.channel_id)
    await first.subscribe(
        guild_id=str(fake.guild_id),
        channel_id=channel,
        post_time="09:00",
        zone=AMS,
        created_by="ada",
        can_post=True,
    )
    for n in range(300):  # the morning's chat, after the post was due
        fake.post_user_message(f"morning chat {n}")
    clock.set(FOUR_HOURS_LATE)  # the bot was down; the post goes out late, then it is killed
    with pytest.raises(Crash):
        await first.run_due()
    for n in range(40):
        fake.post_user_message(f"afternoon chat {n}")
    # The restart comes after Discord's nonce window: only the lookup can prevent a repeat.
    monkeypatch.setattr(fake_discord, "NONCE_WINDOW", 0.0)
    clock.set(FOUR_HOURS_LATE + timedelta(minutes=10))
    second = WisdomService(core.db, DiscordPoster(bot), frontend="discord", clock=clock)

    outcomes = await second.run_due()

    assert [o.kind for o in outcomes] == ["recovered"]
    assert len(bot_posts(fake, bot)) == 1
    assert outcomes[0].message_id == bot_posts(fake, bot)[0]["id"]


async def test_a_send_that_outlives_its_timeout_is_not_cancelled(
    fake: FakeDiscord, bot: ConfBot, core: Core
) -> None:
    clock = FakeClock(EIGHT_AM)
    poster = DiscordPoster(bot, send_timeout=0.05)
    service = WisdomService(core.db, poster, frontend="discord", clock=clock)
    await service.subscribe(
        guild_id=str(fake.guild_id),
        channel_id=str(fake.channel_id),
        post_time="09:00",
        zone=AMS,
        created_by="ada",
        can_post=True,
    )
    # discord.py sleeps on the 429 and retries inside channel.send: longer than the timeout.
    fake.rate_limit_next("/messages", retry_after=0.5, method="POST")
    clock.set(EIGHT_AM + timedelta(hours=1, minutes=1))

    outcomes = await service.run_due()

    for _ in range(500):  # the request goes on in the background and delivers the post
        if bot_posts(fake, bot):
            break
        await asyncio.sleep(0.01)
    assert len(bot_posts(fake, bot)) == 1
    assert [o.kind for o in outcomes] == ["retry"]
    assert "may have gone out" in outcomes[0].detail
    assert outcomes[0].retry_at is not None
    clock.set(outcomes[0].retry_at)
    assert [o.kind for o in await service.run_due()] == ["recovered"]
    assert len(bot_posts(fake, bot)) == 1
    # The channel is not stuck: the next day's post goes straight out.
    poster.send_timeout = 30.0
    clock.set(EIGHT_AM + timedelta(days=1, hours=1, minutes=1))
    assert [o.kind for o in await service.run_due()] == ["sent"]
    assert len(bot_posts(fake, bot)) == 2
