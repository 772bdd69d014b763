"""Agenda DMs on Slack post straight to the IM channel learned when the person followed: the
real Bolt app and slack_sdk client against the fake Slack with lowered limits, over real
SQLite. A burst to many followers opens no DM at send time and gets no 429, once each; a
stored channel Slack no longer knows is opened once more, and a person it cannot be opened
for is paused."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery.agenda_service import AgendaService
from bot.delivery.pacing import Pacer, Rate
from bot.frontends.slack import build_app
from bot.frontends.slack.dm_channels import DmChannels
from bot.frontends.slack.pacing import SlackRates
from bot.frontends.slack.poster import AGENDA_EVENT, SlackPoster
from bot.store import agenda
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import START, walk_conference
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.ratelimits import SlackRateLimits
from tests.frontends.slack.test_slack_e2e import Driver, header, running, settings_for

SECOND = 1.0
"""The lowered limits count calls a second, not a minute: Tier 3 (conversations.open) allows
10, one post a channel every 0.2 s."""
LOWERED = SlackRateLimits(
    tiers={1: 1, 2: 20, 3: 10, 4: 100}, period=SECOND, post_per_channel=(1, 0.2)
)
RATES = SlackRates(
    tiers={n: Rate(count, SECOND) for n, count in LOWERED.tiers.items()},
    post_per_channel=Rate(1, 0.2),
)
FOLLOWERS = 30
DUE = START + timedelta(minutes=55)
"""When the reminders of the talks in Hall A that the walk conference starts at one are due."""


@dataclass
class Workspace:
    fake: FakeSlack
    driver: Driver
    db: Database
    agenda: AgendaService
    dm_channels: DmChannels
    clock: FakeClock
    general: str

    async def follow(self, user: str) -> None:
        result = await self.driver.command(
            "/follow", "room Hall A", user=user, channel=self.general
        )
        assert result.acked and header(result.responses[-1]) == "Following"

    def opens(self) -> int:
        return len(self.fake.calls_to("conversations.open"))

    def refused(self) -> int:
        return sum(1 for call in self.fake.calls if call.status == 429)

    def dms(self) -> Counter[str]:
        """The agenda DMs posted, by channel."""
        return Counter(
            str(post["channel"])
            for post in self.fake.posted
            if isinstance(post.get("metadata"), dict)
            and post["metadata"].get("event_type") == AGENDA_EVENT
        )


@pytest.fixture
async def ws(db: Database) -> AsyncIterator[Workspace]:
    await replace_conferences(db, [walk_conference()], origin="import")
    clock = FakeClock(START)
    core = Core(db, rng=random.Random(7), clock=clock)
    async with FakeSlack(rate_limits=LOWERED) as fake:
        general = fake.add_channel("general")
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        pacer = Pacer()
        dm_channels = DmChannels(client, db, pacer=pacer, rates=RATES)
        poster = SlackPoster(client, pacer=pacer, rates=RATES, dm_channels=dm_channels)
        service = AgendaService(db, poster, frontend="slack", clock=clock)
        settings = settings_for(fake, "http", frozenset())
        app = build_app(core, None, settings, client, dm_channels=dm_channels)
        async with running(fake, app, "http") as driver:
            yield Workspace(fake, driver, db, service, dm_channels, clock, general)
        await dm_channels.settled()


async def test_a_burst_to_people_who_followed_earlier_opens_no_dm_and_gets_no_429(
    ws: Workspace,
) -> None:
    people = [ws.fake.add_user(f"follower{n}") for n in range(FOLLOWERS)]
    for person in people:
        await ws.follow(person)
    await ws.dm_channels.settled()
    assert ws.opens() == FOLLOWERS  # each opened once, when they followed
    stored = {person: await agenda.dm_channel(ws.db, "slack", person) for person in people}
    ims = {c.im_user: c.id for c in ws.fake.channels.values() if c.is_im}
    assert stored == {person: ims[person] for person in people}

    ws.clock.set(DUE)
    results = await ws.agenda.run_due()
    assert Counter(r.kind for r in results) == {"sent": FOLLOWERS}
    assert ws.opens() == FOLLOWERS  # none at send time
    assert ws.refused() == 0
    assert ws.dms() == {ims[person]: 1 for person in people}  # exactly once each
    assert await ws.agenda.run_due() == []
    assert sum(ws.dms().values()) == FOLLOWERS


async def test_someone_who_followed_before_channels_were_stored_is_opened_at_send_time(
    ws: Workspace,
) -> None:
    ada = ws.fake.add_user("ada")
    await ws.follow(ada)
    await ws.dm_channels.settled()
    await agenda.set_dm_channel(ws.db, "slack", ada, None)  # as a database of migration 14
    client = ws.dm_channels.client
    restarted = DmChannels(client, ws.db, rates=RATES)  # a restarted bot: nothing in memory
    poster = SlackPoster(client, pacer=restarted.pacer, rates=RATES, dm_channels=restarted)
    service = AgendaService(ws.db, poster, frontend="slack", clock=ws.clock)
    ws.clock.set(DUE)
    assert [r.kind for r in await service.run_due()] == ["sent"]
    assert ws.opens() == 2
    [im] = [c.id for c in ws.fake.channels.values() if c.is_im and c.im_user == ada]
    assert await agenda.dm_channel(ws.db, "slack", ada) == im  # stored for next time
    assert ws.dms() == {im: 1}


async def followed_then_gone(ws: Workspace) -> tuple[str, str]:
    """A person who followed (their IM channel stored) and whose IM channel Slack has since
    deleted (chat.postMessage there: channel_not_found): (user, old channel)."""
    ada = ws.fake.add_user("ada")
    await ws.follow(ada)
    await ws.dm_channels.settled()
    old = await agenda.dm_channel(ws.db, "slack", ada)
    assert old is not None
    ws.fake.channels[old].deleted = True
    ws.clock.set(DUE)
    return ada, old


async def test_a_stored_channel_that_is_gone_is_opened_once_more_and_posted_there(
    ws: Workspace,
) -> None:
    ada, old = await followed_then_gone(ws)
    assert [r.kind for r in await ws.agenda.run_due()] == ["sent"]
    new = await agenda.dm_channel(ws.db, "slack", ada)
    assert new is not None and new != old
    assert ws.opens() == 2  # the follow's, and one re-open
    assert ws.dms() == {new: 1}
    assert [c.error for c in ws.fake.calls_to("chat.postMessage")] == ["channel_not_found", None]


async def test_a_gone_channel_that_cannot_be_opened_again_pauses_the_person(
    ws: Workspace,
) -> None:
    ada, _ = await followed_then_gone(ws)
    ws.fake.users[ada].deleted = True  # conversations.open: user_disabled
    assert [r.kind for r in await ws.agenda.run_due()] == ["disabled"]
    assert ws.opens() == 2  # re-opened once, not retried
    assert await agenda.dm_channel(ws.db, "slack", ada) is None
    person = await agenda.person(ws.db, "slack", ada)
    assert person is not None and not person.enabled
    assert "user_disabled" in (person.paused_reason or "")
    assert ws.dms() == {}


async def test_a_refused_follow_opens_no_dm_and_keeps_nothing(ws: Workspace) -> None:
    ada = ws.fake.add_user("ada")
    result = await ws.driver.command(
        "/follow", "talk no such talk anywhere", user=ada, channel=ws.general
    )
    assert result.acked and header(result.responses[-1]) != "Following"
    await ws.dm_channels.settled()
    assert ws.opens() == 0
    assert await agenda.person(ws.db, "slack", ada) is None


async def test_after_forget_me_a_new_follow_stores_the_channel_anew(ws: Workspace) -> None:
    ada = ws.fake.add_user("ada")
    await ws.follow(ada)
    await ws.dm_channels.settled()
    gone = await ws.driver.command("/agenda", "forget-me", user=ada, channel=ws.general)
    assert gone.acked
    assert await agenda.person(ws.db, "slack", ada) is None
    await ws.follow(ada)
    await ws.dm_channels.settled()
    assert ws.opens() == 2  # nothing remembered across forget-me, in memory or stored
    [im] = [c.id for c in ws.fake.channels.values() if c.is_im and c.im_user == ada]
    assert await agenda.dm_channel(ws.db, "slack", ada) == im
