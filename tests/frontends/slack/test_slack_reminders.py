"""/remind on Slack, end to end: the real Bolt app from `build_app` against the local fake Slack
(HTTP and Socket Mode), over real SQLite with the CCCamp 2019 sample schedule imported.

The reminder service (the one handed to the app) runs on an injected clock: an admin
subscribes a channel to reminders 10 minutes before each talk in room Curie, and at 10:50 in
Berlin on Wednesday 21 August 2019 the reminder of the 11:00 Opening Ceremony is posted, once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Secret, SlackSettings
from bot.core import Core
from bot.delivery.reminder_service import ReminderService
from bot.frontends.slack import build_app, serve
from bot.frontends.slack.app import REMIND_COMMAND, REMIND_REFUSAL_LINE
from bot.frontends.slack.poster import REMINDER_EVENT, SlackPoster
from bot.frontends.slack.serve import post_once
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, ResponsePost
from tests.frontends.slack.test_slack_e2e import (
    Driver,
    eventually,
    header,
    running,
    settings_for,
    texts,
)

pytestmark = pytest.mark.samples("samples/frab-camp2019.json")

BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2019, 8, 21, 10, 0, tzinfo=BERLIN)
TEN_TO_ELEVEN = datetime(2019, 8, 21, 10, 50, tzinfo=BERLIN)


async def import_camp(db: Database) -> None:
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    await replace_conferences(db, [sample], origin="import")


@dataclass
class Workspace:
    fake: FakeSlack
    driver: Driver
    service: ReminderService
    clock: FakeClock
    general: str
    talks: str
    alice: str  # a member
    bob: str  # a workspace admin

    async def remind(self, text: str = "", *, user: str | None = None) -> ResponsePost:
        result = await self.driver.command(
            REMIND_COMMAND, text, user=user or self.bob, channel=self.general
        )
        assert result.acked and result.ack is None
        return result.responses[-1]


@pytest.fixture(params=["http", "socket"])
async def ws(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Workspace]:
    transport: str = request.param
    await import_camp(db)
    clock = FakeClock(MORNING)
    core = Core(db, rng=random.Random(7), clock=clock)
    async with FakeSlack() as fake:
        general, talks = fake.add_channel("general"), fake.add_channel("talks")
        alice, bob = fake.add_user("alice"), fake.add_user("bob", admin=True)
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        service = ReminderService(db, SlackPoster(client), frontend="slack", clock=clock)
        settings = settings_for(fake, transport, frozenset())
        app = build_app(core, None, settings, client, reminders=service)
        async with running(fake, app, transport) as driver:
            yield Workspace(fake, driver, service, clock, general, talks, alice, bob)


def joined(reply: ResponsePost) -> str:
    return "\n".join(texts(reply.blocks))


async def test_an_admin_subscribes_and_the_reminder_is_posted_once_before_the_talk(
    ws: Workspace,
) -> None:
    reply = await ws.remind("subscribe 10 room curie")
    assert reply.response_type == "ephemeral"
    assert header(reply) == "Reminders subscribed"
    assert 'in a room matching "curie"' in joined(reply)
    [sub] = await ws.service.subscriptions()
    assert (sub.channel_id, sub.guild_id, sub.created_by) == (ws.general, ws.fake.team_id, ws.bob)

    assert await post_once(None, ws.service) == ([], [])  # 10:00 in Berlin: not yet
    ws.clock.set(TEN_TO_ELEVEN)
    _, [outcome] = await post_once(None, ws.service)
    assert (outcome.kind, outcome.title) == ("sent", "Opening Ceremony")

    post = await ws.fake.wait_for_post(ws.general)
    assert header(post) == "Starting in 10 minutes: Opening Ceremony"
    assert outcome.message_id == post["ts"]
    assert post["metadata"]["event_type"] == REMINDER_EVENT
    key = post["metadata"]["event_payload"]["idempotency_key"]
    assert key.startswith("r-")
    assert post["unfurl_links"] is False
    assert not post.get("link_names") and "parse" not in post  # no mentions

    assert await ws.service.run_due() == []  # once per talk
    assert len(ws.fake.posted) == 1


async def test_status_list_and_unsubscribe(ws: Workspace) -> None:
    await ws.remind("subscribe 10 room curie")
    ws.clock.set(TEN_TO_ELEVEN)
    await ws.service.run_due()

    status = await ws.remind("status")
    listed = await ws.remind("list")
    off = await ws.remind("unsubscribe")

    assert header(status) == "Reminder status"
    assert "Next: card10 Badge" in joined(status) and "1 sent" in joined(status)
    assert header(listed) == "Reminder subscriptions"
    assert f"in channel {ws.general}:" in joined(listed)
    assert header(off) == "Reminders unsubscribed"
    for reply in (status, listed, off):
        assert reply.response_type == "ephemeral"

    ws.clock.set(ws.clock.now() + timedelta(hours=1))  # 11:50: card10 Badge at 12:00 in Curie
    assert await ws.service.run_due() == []
    assert len(ws.fake.posted) == 1
    [sub] = await ws.service.subscriptions()
    assert not sub.enabled


async def test_another_channel_a_track_and_one_conference(ws: Workspace) -> None:
    reply = await ws.remind(f"subscribe <#{ws.talks}|talks> 5 track a --conference camp2019")
    assert header(reply) == "Reminders subscribed"
    [sub] = await ws.service.subscriptions()
    assert (sub.channel_id, sub.minutes_before, sub.conference) == (ws.talks, 5, "camp2019")
    assert (sub.filter_kind, sub.filter_value) == ("track", "a")


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ("subscribe 0 room curie", "0 minutes is out of range; give 1 to 1440"),
        ("subscribe ten", "'ten' is not a number of minutes"),
        ("subscribe 10 room nowhere", "No talk is in a room matching 'nowhere'"),
        ("subscribe 10 speaker ada", "filter by room or track, not 'speaker'"),
        ("subscribe 10 --conference nocon", "No conference `nocon`; known:"),
        ("subscribe #talks 10", "I cannot tell which channel"),
        ("subscribe", "/remind subscribe [#channel] MINUTES"),
        ("", "/remind subscribe [#channel] MINUTES"),
    ],
)
async def test_bad_input_is_explained_privately_and_nothing_is_stored(
    ws: Workspace, text: str, explained: str
) -> None:
    reply = await ws.remind(text)
    assert reply.response_type == "ephemeral"
    assert explained in joined(reply)
    assert await ws.service.subscriptions() == []


async def test_a_channel_the_bot_cannot_post_in_is_refused_with_a_hint(ws: Workspace) -> None:
    outside = ws.fake.add_channel("secret", private=True, member=False)
    reply = await ws.remind(f"subscribe <#{outside}> 10")
    assert "cannot post in that channel" in joined(reply)
    assert "/invite @confbot" in joined(reply)
    assert await ws.service.subscriptions() == []


async def test_a_member_who_is_not_an_admin_is_refused_and_nothing_changes(
    ws: Workspace,
) -> None:
    for text in ("subscribe 10 room curie", "status", "list", "unsubscribe"):
        reply = await ws.remind(text, user=ws.alice)
        assert reply.response_type == "ephemeral"
        assert REMIND_REFUSAL_LINE in texts(reply.blocks)
    assert await ws.service.subscriptions() == []
    assert ws.fake.posted == []


async def test_serve_posts_reminders_from_its_post_loop(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confbot.slack")
    await import_camp(db)
    core = Core(db, rng=random.Random(7))
    async with FakeSlack() as fake:
        channel = fake.add_channel("general")
        setup = ReminderService(
            db,
            SlackPoster(AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)),
            frontend="slack",
            clock=FakeClock(MORNING),
        )
        await setup.subscribe(
            guild_id=fake.team_id,
            channel_id=channel,
            minutes_before=10,
            created_by="U1",
            can_post=True,
            filter_kind="room",
            filter_value="curie",
        )
        settings = SlackSettings(
            bot_token=Secret(fake.bot_token),
            app_token=Secret(fake.app_token),
            api_url=fake.api_url,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(
            serve(core, db, settings, stop=stop, clock=FakeClock(TEN_TO_ELEVEN))
        )
        post = await fake.wait_for_post(channel)  # the post loop ran at start-up
        await eventually(lambda: "reminder for 'Opening Ceremony' in channel" in caplog.text)
        stop.set()
        await asyncio.wait_for(task, 10)

    assert header(post) == "Starting in 10 minutes: Opening Ceremony"
    assert "0 daily post(s) made, 1 reminder(s) posted" in caplog.text
    assert "reminder for 'Opening Ceremony' in channel" in caplog.text


async def reimport(db: Database, change: Callable[[Any], Any | None]) -> None:
    """Import the camp again with each talk passed through `change` (None drops it)."""
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    talks = tuple(t for t in (change(talk) for talk in sample.talks) if t is not None)
    await replace_conferences(db, [replace(sample, talks=talks)], origin="import")


async def test_a_reminded_channel_is_told_once_when_the_talk_is_cancelled(ws: Workspace) -> None:
    await ws.remind("subscribe 10 room curie")
    ws.clock.set(TEN_TO_ELEVEN)
    await post_once(None, ws.service)
    reminder = await ws.fake.wait_for_post(ws.general)

    def retitle(talk: Any) -> Any:  # a title that tries to ping the channel
        return (
            replace(talk, title="Opening <!channel>") if talk.title == "Opening Ceremony" else talk
        )

    def cancel(talk: Any) -> Any | None:
        return None if talk.title == "Opening Ceremony" else talk

    await reimport(ws.service.db, retitle)
    await reimport(ws.service.db, cancel)
    ws.clock.set(TEN_TO_ELEVEN + timedelta(minutes=2))
    _, [outcome] = await post_once(None, ws.service)

    assert outcome.kind == "sent"
    notice = await ws.fake.wait_for_post(ws.general)
    assert header(notice) == "Talk cancelled"
    assert "Cancelled: *Opening &lt;!channel&gt;* (was 11:00, Curie)" in texts(notice["blocks"])
    assert "<!channel>" not in str(notice)  # escaped: no mention
    keys = [p["metadata"]["event_payload"]["idempotency_key"] for p in (reminder, notice)]
    assert keys[0] != keys[1] and notice["metadata"]["event_type"] == REMINDER_EVENT
    await reimport(ws.service.db, cancel)  # the same export again, and another run
    ws.clock.set(TEN_TO_ELEVEN + timedelta(minutes=3))
    assert await post_once(None, ws.service) == ([], [])
    assert len([p for p in ws.fake.posted if p.get("channel") == ws.general]) == 2


async def test_a_reminded_talk_that_moves_is_reminded_again_at_its_new_time(
    ws: Workspace,
) -> None:
    await ws.remind("subscribe 10 room curie")
    ws.clock.set(TEN_TO_ELEVEN)
    await post_once(None, ws.service)
    await ws.fake.wait_for_post(ws.general)
    half_past = datetime(2019, 8, 21, 11, 30, tzinfo=BERLIN)

    def move(talk: Any) -> Any:
        if talk.title != "Opening Ceremony":
            return talk
        return replace(talk, starts_at=half_past, ends_at=half_past + timedelta(minutes=30))

    await reimport(ws.service.db, move)
    ws.clock.set(half_past - timedelta(minutes=10))
    _, [outcome] = await post_once(None, ws.service)
    assert (outcome.kind, outcome.title) == ("sent", "Opening Ceremony")
    again = await ws.fake.wait_for_post(ws.general)
    assert header(again) == "Moved, now starting in 10 minutes: Opening Ceremony"
    shown = "\n".join(texts(again["blocks"]))
    assert "*Moved from*\nWednesday 21 August 11:00 CEST (09:00 UTC)" in shown
    ws.clock.set(half_past - timedelta(minutes=5))
    assert await post_once(None, ws.service) == ([], [])
