"""Reminders through the real slack_sdk client against a fake Slack that enforces lowered
limits: the poster paces chat.postMessage per channel, so a burst gets no 429; a 429 caused
by another process is retried by the delivery engine after Slack's Retry-After and the
reminder is delivered exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.pacing import Rate
from bot.delivery.reminder_service import ReminderService
from bot.frontends.slack.pacing import POST_PER_CHANNEL, SlackRates
from bot.frontends.slack.poster import SlackPoster
from bot.records import Conference
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.ratelimits import SlackRateLimits
from tests.store.test_reminders_store import T0, make_talk

LOWERED = SlackRateLimits(post_per_channel=(1, 0.2))
RATES = SlackRates(post_per_channel=Rate(1, 0.2))
CONF = Conference(
    slug="pacedconf",
    name="PacedConf",
    timezone="Europe/Berlin",
    origin="import",
    talks=tuple(make_talk(f"talk{n}", 0, room=f"Room {n}") for n in range(3)),
)


async def reminders_in(
    fake: FakeSlack, db: Database, poster: SlackPoster, channels: int
) -> tuple[ReminderService, FakeClock, list[str]]:
    """A reminder service over `poster` with `channels` channels subscribed to three talks at
    T0, its clock at the reminders' due time."""
    await replace_conferences(db, [CONF], origin="import")
    clock = FakeClock(T0 - timedelta(hours=1))
    service = ReminderService(db, poster, frontend="slack", clock=clock)
    ids = [fake.add_channel(f"talks-{n}") for n in range(channels)]
    for channel in ids:
        await service.subscribe(
            guild_id=fake.team_id,
            channel_id=channel,
            minutes_before=10,
            created_by="ada",
            can_post=True,
            conference=CONF.slug,
        )
    clock.set(T0 - timedelta(minutes=10))
    return service, clock, ids


def delivered(fake: FakeSlack) -> Counter[tuple[str, str]]:
    """The bot's reminders per (channel, idempotency key)."""
    return Counter(
        (str(post["channel"]), str(post["metadata"]["event_payload"]["idempotency_key"]))
        for post in fake.posted
        if isinstance(post.get("metadata"), dict)
    )


async def test_a_burst_of_reminders_is_paced_per_channel_and_gets_no_429(db: Database) -> None:
    async with FakeSlack(rate_limits=LOWERED) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        poster = SlackPoster(client, rates=RATES)
        assert SlackPoster(client).rates.post_per_channel == POST_PER_CHANNEL
        service, _, _ = await reminders_in(fake, db, poster, channels=3)

        outcomes = await service.run_due()

        assert [o.kind for o in outcomes] == ["sent"] * 9
        assert fake.limiter.refused.total() == 0
        assert len(fake.calls_to("chat.postMessage")) == 9
        assert set(delivered(fake).values()) == {1} and len(delivered(fake)) == 9
        assert poster.pacer.waits > 0  # three reminders in each channel had to wait


async def test_unpaced_posts_get_429_which_the_fake_counts(db: Database) -> None:
    async with FakeSlack(rate_limits=LOWERED) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        unpaced = SlackPoster(client, rates=SlackRates(post_per_channel=Rate(100, 0.2)))
        service, _, _ = await reminders_in(fake, db, unpaced, channels=3)

        outcomes = await service.run_due()

        assert fake.limiter.refused["chat.postMessage"] > 0
        assert Counter(o.kind for o in outcomes)["retry"] == fake.limiter.refused.total()


async def test_a_429_from_another_process_is_retried_after_retry_after_and_sent_once(
    db: Database,
) -> None:
    async with FakeSlack(rate_limits=SlackRateLimits(post_per_channel=(1, 0.5))) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        poster = SlackPoster(client, rates=SlackRates(post_per_channel=Rate(1, 0.5)))
        service, clock, [channel] = await reminders_in(fake, db, poster, channels=1)
        await client.chat_postMessage(channel=channel, text="another process said this first")

        first = await service.run_due()
        due = clock.now()

        # The refused reminder waits for the engine; the channel's next ones for the pacer.
        assert [o.kind for o in first] == ["retry", "sent", "sent"]
        assert first[0].retry_at == due + timedelta(seconds=1)  # Slack's Retry-After: 1
        assert fake.limiter.refused["chat.postMessage"] == 1
        clock.advance(timedelta(seconds=1))
        assert [o.kind for o in await service.run_due()] == ["sent"]
        assert await service.run_due() == []
        assert set(delivered(fake).values()) == {1} and len(delivered(fake)) == 3
