"""/source add|list|remove in chat (admins), on the console's core, through Discord and
through Slack: `bot.sources.follow` does the work; URLs are shown without credentials."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.commands.registry import Caller
from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.frontends.slack import build_app
from bot.store.db import Database
from bot.store.sources import list_sources
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.slack import FakeSlack
from tests.frontends.slack.test_slack_e2e import running, settings_for, texts

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
SECRET_URL = "https://ada:hunter2@pretalx.example.org/ev/schedule.json"
SHOWN = "https://pretalx.example.org/ev/schedule.json"
ADMIN = Caller(frontend="slack", user="U1", place="T1", channel="C1", admin=True)


def shown(answer: Answer) -> str:
    return " ".join([answer.title, answer.text, *(f"{f.name} {f.value}" for f in answer.fields)])


async def test_an_admin_adds_lists_and_removes_a_source(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(7), clock=FakeClock(NOW))

    refused = await core.ask(f"/source add {SECRET_URL}", Caller(admin=False))
    added = await core.ask(f"/source add {SECRET_URL} --every 5m", ADMIN)
    again = await core.ask(f"/source add {SECRET_URL} --every 10m", ADMIN)
    too_fast = await core.ask("/source add https://example.org/x.json --every 5s", ADMIN)
    listed = await core.ask("/source list", ADMIN)

    assert refused.title == "Not allowed"
    assert added.text == f"Following {SHOWN} every 5m."
    assert again.text == f"Now polling {SHOWN} every 10m."
    assert "too short" in too_fast.text and not too_fast.found
    (source,) = await list_sources(bundled_db)
    assert source.interval == timedelta(minutes=10) and source.next_poll_at == NOW
    assert [f.name for f in listed.fields] == [SHOWN]
    assert "every 10m; not fetched yet" in listed.fields[0].value
    assert listed.choices[0].command == "source remove" and listed.choices[0].query == SHOWN
    for answer in (added, again, listed):
        assert "hunter2" not in shown(answer) and answer.ephemeral

    missing = await core.ask("/source remove https://example.org/other.json", ADMIN)
    removed = await core.ask(f"/source remove {SHOWN}", ADMIN)
    assert (
        missing.text == "No followed source https://example.org/other.json." and not missing.found
    )
    assert removed.text == f"Stopped following {SHOWN}; its programme stays imported."
    assert await list_sources(bundled_db) == []


async def test_a_member_may_not_add_a_source(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(7), clock=FakeClock(NOW))
    refused = await core.ask(f"/source add {SHOWN}", Caller(frontend="slack", place="T1"))
    assert refused.title == "Not allowed" and refused.ephemeral
    assert await list_sources(bundled_db) == []


async def test_source_commands_on_discord(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(7), clock=FakeClock(NOW))
    async with FakeDiscord() as fake:
        bot = ConfBot(
            core, bundled_db, guild_ready_timeout=0.05, start_wisdom=False, wisdom_interval=3600.0
        )
        async with running_bot(bot, fake):
            await bot.tree.sync()
            admin = fake.add_member("ada", admin=True)
            added = await fake.invoke(
                "source", {"url": SECRET_URL, "every": "5m"}, subcommand="add", user=admin
            )
            listed = await fake.invoke("source", subcommand="list", user=admin)
            removed = await fake.invoke("source", {"url": SHOWN}, subcommand="remove", user=admin)

    assert added.ephemeral
    assert f"Following {SHOWN} every 5m." in added.embeds[0]["description"]
    assert [f["name"] for f in listed.embeds[0]["fields"]] == [SHOWN]
    assert "hunter2" not in str(added.embeds) + str(listed.embeds)
    assert "Stopped following" in removed.embeds[0]["description"]
    assert await list_sources(bundled_db) == []


async def test_source_commands_on_slack(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(7), clock=FakeClock(NOW))
    async with FakeSlack() as fake:
        general = fake.add_channel("general")
        alice = fake.add_user("alice")
        ada = fake.add_user("ada", admin=True)
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        app = build_app(core, None, settings_for(fake, "http", frozenset()), client)
        async with running(fake, app, "http") as driver:

            async def command(text: str, user: str) -> str:
                result = await driver.command("/source", text, user=user, channel=general)
                assert result.acked
                reply = result.responses[-1]
                assert reply.response_type == "ephemeral"
                return "\n".join(texts(reply.blocks))

            refused = await command(f"add <{SHOWN}>", alice)
            added = await command(f"add <{SECRET_URL}> --every 2m", ada)
            listed = await command("list", ada)

    assert "Only workspace admins and owners" in refused and "/source" in refused
    assert f"Following {SHOWN} every 2m." in added
    assert SHOWN in listed and "hunter2" not in added + listed
    assert [s.url for s in await list_sources(bundled_db)] == [SECRET_URL]
