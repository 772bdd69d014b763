"""The Slack poster against the fake Slack Web API: a reminder that went out just before the
bot was killed is found again after a restart by its message metadata, however many messages
the channel got since (`conversations.history` from the attempt, every page).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.reminder_service import ReminderService
from bot.frontends.slack.poster import SlackPoster
from bot.records import Conference
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.poster import Crash, KilledAfterSending
from tests.fakes.slack import FakeSlack
from tests.store.test_reminders_store import T0, make_talk

CONF = Conference(
    slug="testconf",
    name="TestConf",
    timezone="Europe/Berlin",
    origin="import",
    talks=(make_talk("alpha", 0),),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def test_a_reminder_is_found_after_a_crash_in_a_chatty_channel(
    fake: FakeSlack, db: Database
) -> None:
    await replace_conferences(db, [CONF], origin="import")
    channel = fake.add_channel("talks")
    chatter = fake.add_user("chatter")
    client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
    clock = FakeClock(T0 - timedelta(hours=1))
    first = ReminderService(
        db, KilledAfterSending(SlackPoster(client)), frontend="slack", clock=clock
    )
    await first.subscribe(
        guild_id="T1", channel_id=channel, minutes_before=30, created_by="ada", can_post=True
    )
    for n in range(50):
        fake.post_user_message(channel, chatter, f"before {n}")
    clock.set(T0 - timedelta(minutes=20))  # the bot was down; the reminder is late
    with pytest.raises(Crash):
        await first.run_due()
    for n in range(450):  # more than two pages of chat after the reminder
        fake.post_user_message(channel, chatter, f"after {n}")
    clock.set(T0 - timedelta(minutes=15))
    second = ReminderService(db, SlackPoster(client), frontend="slack", clock=clock)

    outcomes = await second.run_due()

    assert [o.kind for o in outcomes] == ["recovered"]
    posted = [m for m in fake.messages_in(channel) if m.get("metadata")]
    assert len(posted) == 1
    assert outcomes[0].message_id == posted[0]["ts"]
