"""The personal agenda on Slack, end to end: the real Bolt app against the local fake Slack
(HTTP and Socket Mode) over real SQLite. A member follows a talk (by /follow, or the "Remind
me" button), and at the lead time the agenda service opens the IM (`conversations.open`) and
posts the reminder there (`chat.postMessage`), once, the time as `<!date^…>`; a member whose
DMs cannot be opened is paused at the first refusal and told once, privately."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery.agenda_service import AgendaService
from bot.frontends.slack import build_app
from bot.frontends.slack.poster import AGENDA_EVENT, SlackPoster
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import START, walk_conference
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

TALK = "Data talk 2 in Hall A"
STARTS = START + timedelta(hours=2)


@dataclass
class Workspace:
    fake: FakeSlack
    driver: Driver
    agenda: AgendaService
    clock: FakeClock
    general: str
    alice: str
    bob: str

    async def say(self, command: str, text: str, user: str) -> ResponsePost:
        result = await self.driver.command(command, text, user=user, channel=self.general)
        assert result.acked
        return result.responses[-1]

    def dm_posts(self, user: str) -> list[dict[str, Any]]:
        ims = {c.id for c in self.fake.channels.values() if c.is_im and c.im_user == user}
        return [post for post in self.fake.posted if post.get("channel") in ims]


@pytest.fixture(params=["http", "socket"])
async def ws(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Workspace]:
    await replace_conferences(db, [walk_conference()], origin="import")
    clock = FakeClock(START)
    core = Core(db, rng=random.Random(7), clock=clock)
    async with FakeSlack() as fake:
        general = fake.add_channel("general")
        alice, bob = fake.add_user("alice"), fake.add_user("bob")
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        agenda = AgendaService(
            db, SlackPoster(client), frontend="slack", clock=clock, on_pause=core.notices.add
        )
        app = build_app(core, None, settings_for(fake, request.param, frozenset()), client)
        async with running(fake, app, request.param) as driver:
            yield Workspace(fake, driver, agenda, clock, general, alice, bob)


async def test_a_followed_talk_is_direct_messaged_once_at_the_lead_time(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reply = await ws.say("/follow", f"talk {TALK}", ws.alice)
    assert reply.response_type == "ephemeral" and header(reply) == "Following"
    assert f"<!date^{int(STARTS.timestamp())}^" in "\n".join(texts(reply.blocks))
    assert await ws.agenda.run_due() == []

    ws.clock.set(STARTS - timedelta(minutes=10))
    assert [r.kind for r in await ws.agenda.run_due()] == ["sent"]
    assert [r.kind for r in await ws.agenda.run_due()] == []  # exactly once
    [post] = ws.dm_posts(ws.alice)
    assert header(post) == f"In 10 minutes: {TALK}"
    shown = "\n".join(texts(post["blocks"]))
    assert f"<!date^{int(STARTS.timestamp())}^{{time}}|11:00 UTC>" in shown
    assert post["metadata"]["event_type"] == AGENDA_EVENT
    assert ws.dm_posts(ws.bob) == []
    assert "/follow from user#" in caplog.text and ws.alice not in caplog.text  # no follow data


async def test_the_remind_me_button_follows_the_talk_for_whoever_clicks(ws: Workspace) -> None:
    talk = await ws.say("/talk", "Data talk 3 in Hall B", ws.alice)
    ids = button_ids(talk)
    values = [
        element["value"]
        for block in talk.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    [remind] = [i for i, v in zip(ids, values, strict=True) if "follow talk" in v]
    clicked = await ws.driver.click(remind, talk, user=ws.bob, channel=ws.general)
    assert header(clicked.responses[-1]) == "Following"
    assert clicked.responses[-1].response_type == "ephemeral"
    mine = await ws.say("/agenda", "all", ws.bob)
    assert "Data talk 3 in Hall B" in "\n".join(texts(mine.blocks))
    theirs = await ws.say("/agenda", "all", ws.alice)
    assert header(theirs) == "Your agenda is empty"


async def test_a_dm_that_cannot_be_opened_pauses_the_member_who_is_told_once(
    ws: Workspace,
) -> None:
    await ws.say("/follow", "room Hall A", ws.alice)
    ws.fake.users[ws.alice].deleted = True  # conversations.open: user_disabled
    ws.clock.set(START + timedelta(minutes=55))
    assert [r.kind for r in await ws.agenda.run_due()] == ["disabled"]
    ws.clock.set(START + timedelta(hours=1, minutes=55))
    assert await ws.agenda.run_due() == []  # paused: no retry storm
    assert ws.dm_posts(ws.alice) == []

    ws.fake.users[ws.alice].deleted = False
    told = await ws.say("/talk", "Data talk 1 in Hall B", ws.alice)
    assert told.response_type == "ephemeral"
    assert "user_disabled" in "\n".join(texts(told.blocks))
    again = await ws.say("/talk", "Data talk 1 in Hall B", ws.alice)
    assert "user_disabled" not in "\n".join(texts(again.blocks))
    resumed = await ws.say("/agenda", "today", ws.alice)
    assert "on again" in "\n".join(texts(resumed.blocks))
    ws.clock.set(START + timedelta(hours=2, minutes=50))
    assert [r.kind for r in await ws.agenda.run_due()] == ["sent"]
    assert len(ws.dm_posts(ws.alice)) == 1
