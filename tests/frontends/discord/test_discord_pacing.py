"""Reminders through the real discord.py client against a fake Discord that enforces lowered
limits: the bot's pacing keeps the global limit and discord.py the route buckets, so a burst
gets no 429; without the pacing the fake refuses, discord.py waits the `retry_after` and
sends again, and each reminder is still delivered exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.core import Core
from bot.delivery.pacing import Rate
from bot.delivery.reminder_service import ReminderService
from bot.frontends.discord import ConfBot
from bot.frontends.discord.pacing import GLOBAL
from bot.records import Conference
from bot.store.content import replace_conferences
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.discord.ratelimits import DiscordRateLimits
from tests.frontends.discord.test_discord_poster import bot as bot  # the same bot, this fake
from tests.store.test_reminders_store import T0, make_talk

MESSAGES = "POST /channels/{channel_id}/messages"
LOWERED = DiscordRateLimits(
    global_limit=4, global_period=0.5, routes={MESSAGES: (2, 0.25)}, default_route=(50, 1.0)
)
BOT_GLOBAL = Rate(4, 0.5)
CONF = Conference(
    slug="pacedconf",
    name="PacedConf",
    timezone="Europe/Berlin",
    origin="import",
    talks=(make_talk("alpha", 0), make_talk("beta", 0, room="Lovelace")),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(rate_limits=LOWERED) as fake:
        yield fake


async def reminders_in(
    fake: FakeDiscord, bot: ConfBot, core: Core, channels: int
) -> tuple[ReminderService, list[int]]:
    """A reminder service of `bot` with `channels` channels subscribed to two talks at T0,
    its clock at the reminders' due time."""
    await replace_conferences(core.db, [CONF], origin="import")
    clock = FakeClock(T0 - timedelta(hours=1))
    service = ReminderService(core.db, bot.poster, frontend="discord", clock=clock)
    ids = [fake.add_channel(f"talks-{n}") for n in range(channels)]
    for channel in ids:
        await service.subscribe(
            guild_id=str(fake.guild_id),
            channel_id=str(channel),
            minutes_before=10,
            created_by="ada",
            can_post=True,
            conference=CONF.slug,
        )
    clock.set(T0 - timedelta(minutes=10))
    return service, ids


def delivered(fake: FakeDiscord, channels: list[int]) -> Counter[tuple[int, str]]:
    """Messages per (channel, nonce): 1 each means every reminder arrived exactly once."""
    return Counter(
        (channel, str(message.get("nonce")))
        for channel in channels
        for message in fake.channel_messages(channel)
    )


async def test_a_burst_of_reminders_is_paced_within_the_limits_and_gets_no_429(
    fake: FakeDiscord, bot: ConfBot, core: Core
) -> None:
    assert bot.poster.pacing.rate == GLOBAL  # Discord's 50 a second, unless lowered
    bot.poster.pacing.rate = BOT_GLOBAL
    service, channels = await reminders_in(fake, bot, core, channels=6)

    outcomes = await service.run_due()

    assert [o.kind for o in outcomes] == ["sent"] * 12
    assert fake.limiter.refused.total() == 0
    assert len(fake.requests_to("/messages", "POST")) == 12  # nothing sent twice
    assert set(delivered(fake, channels).values()) == {1} and len(delivered(fake, channels)) == 12
    assert bot.poster.pacing.pacer.waits > 0  # the pacing, not luck, kept the limit


async def test_without_pacing_the_global_limit_answers_429_and_each_is_sent_again_once(
    fake: FakeDiscord, bot: ConfBot, core: Core
) -> None:
    bot.poster.pacing.rate = Rate(10_000, 0.5)  # as good as none
    service, channels = await reminders_in(fake, bot, core, channels=6)

    outcomes = await service.run_due()

    assert fake.limiter.refused["global"] > 0  # the fake enforces what the pacing avoids
    assert [o.kind for o in outcomes] == ["sent"] * 12  # discord.py waited retry_after
    assert set(delivered(fake, channels).values()) == {1} and len(delivered(fake, channels)) == 12


async def test_discord_py_keeps_a_route_bucket_from_the_headers(core: Core) -> None:
    one_a_channel = DiscordRateLimits(routes={MESSAGES: (1, 0.3)})
    async with (
        FakeDiscord(rate_limits=one_a_channel) as fake,
        running_bot(ConfBot(core, core.db, guild_ready_timeout=0.05), fake) as bot,
    ):
        service, _ = await reminders_in(fake, bot, core, channels=1)

        outcomes = await service.run_due()

        # The first answer said Remaining 0: discord.py waited the Reset-After, no 429.
        assert [o.kind for o in outcomes] == ["sent", "sent"]
        assert fake.limiter.refused.total() == 0
        assert [p.status for p in fake.requests_to("/messages", "POST")] == [200, 200]


async def test_a_429_caused_by_another_process_is_waited_out_and_sent_once(core: Core) -> None:
    slow_window = DiscordRateLimits(global_limit=4, global_period=1.5)
    async with (
        FakeDiscord(rate_limits=slow_window) as fake,
        running_bot(ConfBot(core, core.db, guild_ready_timeout=0.05), fake) as bot,
    ):
        service, channels = await reminders_in(fake, bot, core, channels=1)
        # Another process on the same token spends the global window first.
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            for _ in range(10):
                async with session.get(f"{fake.api_base}/users/@me") as response:
                    if response.status == 429:
                        break
        assert fake.limiter.refused == {"global": 1}

        outcomes = await service.run_due()

        assert [o.kind for o in outcomes] == ["sent", "sent"]
        posts = fake.requests_to(f"/channels/{channels[0]}/messages", "POST")
        assert [p.status for p in posts] == [429, 200, 200]
        # One 429 of ours, then none: discord.py held every request until the Retry-After
        # (its own global lock; the pacing counts only what is sent).
        assert fake.limiter.refused == {"global": 2}
        assert set(delivered(fake, channels).values()) == {1}
        assert len(delivered(fake, channels)) == 2


async def test_slash_command_answers_are_not_counted_against_the_global_limit(
    fake: FakeDiscord, bot: ConfBot, core: Core
) -> None:
    pacing = bot.poster.pacing
    pacing.rate = Rate(1, 30.0)  # a counted request now would wait up to 30 s
    await pacing.pacer.start(("discord:global", pacing.rate))
    waits = pacing.pacer.waits

    answers = [await fake.invoke("talk", {"query": "keynote"}) for _ in range(3)]

    assert all(answer.type == 4 and not answer.errors for answer in answers)
    assert pacing.pacer.waits == waits
