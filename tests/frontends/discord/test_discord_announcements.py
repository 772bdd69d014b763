"""Programme-change announcements through the real Discord poster and discord.py against the
fake Discord (which enforces the embed limits): a batch too big for one message goes out in
parts, and after a crash between the first part's send and its record the restart finds that
part (past Discord's nonce window) and sends the others once; no part is mistaken for
another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import tests.fakes.discord as fake_discord
from bot.core import Core
from bot.delivery.announce_service import AnnouncementService
from bot.frontends.discord import ConfBot
from bot.frontends.discord.poster import DiscordPoster
from bot.records import Conference, Speaker, Talk
from bot.store.imports import import_conference
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.poster import Crash, KilledAfterSending

START = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
TITLE = "A rather long talk title about @everyone, *markdown* & <angle> brackets, number "


def programme(shift: timedelta = timedelta(0)) -> Conference:
    talks = tuple(
        Talk(
            slug=f"talk-{n}",
            title=f"{TITLE}{n}",
            speakers=(Speaker("Ada"),),
            summary="About it.",
            starts_at=START + timedelta(minutes=n) + shift,
            ends_at=START + timedelta(minutes=n + 30) + shift,
            room="Saal 1",
            guid=f"guid-{n}",
        )
        for n in range(120)
    )
    return Conference("bigcon", "BigCon 2024", talks, timezone="UTC", origin="import")


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core) -> AsyncIterator[ConfBot]:
    bot = ConfBot(core, core.db, guild_ready_timeout=0.05, start_wisdom=False)
    async with running_bot(bot, fake):
        yield bot


async def test_a_big_batch_is_posted_in_parts_exactly_once_across_a_crash(
    fake: FakeDiscord, bot: ConfBot, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(datetime.now(UTC))
    await import_conference(core.db, programme(), origin="import", now=clock.now())
    first = AnnouncementService(
        core.db, KilledAfterSending(DiscordPoster(bot)), frontend="discord", clock=clock
    )
    await first.subscribe(
        guild_id=str(fake.guild_id),
        channel_id=str(fake.channel_id),
        conferences=["bigcon"],
        filter_kind="all",
        filter_value="",
        created_by="ada",
    )
    moved = programme(timedelta(minutes=15))
    moved = replace(moved, talks=moved.talks[:-1])  # and the last one cancelled
    await import_conference(core.db, moved, origin="import", now=clock.now())
    with pytest.raises(Crash):  # the first part is out; the process dies before recording
        await first.run_due()
    assert len(fake.channel_messages(fake.channel_id)) == 1

    monkeypatch.setattr(fake_discord, "NONCE_WINDOW", 0.0)  # only the lookup prevents a repeat
    clock.advance(timedelta(minutes=2))
    second = AnnouncementService(core.db, DiscordPoster(bot), frontend="discord", clock=clock)
    results = [r.kind for r in await second.run_due()]
    assert results[0] == "recovered" and set(results[1:]) == {"sent"} and len(results) >= 3
    assert await second.run_due() == []

    posted = fake.channel_messages(fake.channel_id)
    assert len(posted) == len(results)
    descriptions = [m["embeds"][0]["description"] for m in posted]
    assert descriptions == [
        f"Programme update #1, part {n} of {len(results)}." for n in range(1, len(results) + 1)
    ]
    lines = [
        line for m in posted for f in m["embeds"][0]["fields"] for line in f["value"].split("\n")
    ]
    assert len(lines) == 120  # 119 moved, 1 cancelled: each once
    assert all(m["mention_everyone"] is False for m in posted)
    assert all("@everyone" not in str(m["embeds"]) for m in posted)
    assert posted[-1]["embeds"][0]["fields"][-1]["name"] == "Cancelled"
