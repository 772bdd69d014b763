"""The interaction callback without `with_response` (bot/frontends/discord/callback.py), end to
end: the real discord.py client runs `ConfBot` against `FakeDiscord`, which answers 204 to a
callback that does not ask for the message back, as Discord does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.answer import Choice
from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.frontends.discord.callback import SEND, ChoicePayloads, respond
from bot.frontends.discord.components import Rendered
from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.discord.rest import RecordedRequest
from tests.fakes.waiting import eventually

JSON = dict[str, Any]


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core) -> AsyncIterator[ConfBot]:
    async with running_bot(ConfBot(core, core.db, guild_ready_timeout=0.05), fake) as bot:
        await bot.tree.sync()
        yield bot


def callbacks(fake: FakeDiscord) -> list[RecordedRequest]:
    return fake.requests_to("/callback", "POST")


async def test_an_answer_is_one_callback_that_asks_for_nothing_back(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    result = await fake.invoke("talk", {"query": "keynote"})

    sent = callbacks(fake)[-1]
    assert "with_response" not in sent.query and sent.status == 204
    assert sent.json["type"] == 4
    data = sent.json["data"]
    assert data["embeds"][0]["title"] == "An ML Fairytale"
    assert data["allowed_mentions"] == {"parse": []}  # no answer can ping anyone
    assert "flags" not in data  # public
    assert result.custom_ids == ["cf:a:nugget?query=normconf-2022/an-ml-fairytale"]
    assert fake.channel_messages(fake.channel_id) == [result.message]
    assert fake.errors == []


async def test_a_private_answer_is_flagged_ephemeral(fake: FakeDiscord, bot: ConfBot) -> None:
    result = await fake.invoke("talk", {"query": "zzqxw qqqv"})

    assert result.ephemeral
    assert callbacks(fake)[-1].json["data"]["flags"] == 64
    assert fake.channel_messages(fake.channel_id) == []  # only the asker saw it


async def test_a_page_button_edits_its_message_and_keeps_its_buttons(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    first = await fake.invoke("search", {"text": "data"})
    following = next(c for c in first.custom_ids if "page=2" in c)
    second = await fake.click(first, following)

    sent = callbacks(fake)[-1]
    assert sent.json["type"] == 7 and sent.status == 204
    assert second.message_id == first.message_id
    assert any("page=3" in c for c in second.custom_ids)
    assert fake.channel_messages(fake.channel_id) == [second.message]


async def test_after_the_callback_the_interaction_is_done_for_discord_py(
    fake: FakeDiscord, core: Core
) -> None:
    """`is_done()`, a second answer, the original's edit and a followup behave as after
    discord.py's own `send_message`."""
    seen: JSON = {}

    @app_commands.command(name="probe", description="A probe")
    async def probe(interaction: discord.Interaction[Any]) -> None:
        rendered = Rendered(discord.Embed(title="first"), None, False)
        await respond(interaction, rendered, SEND)
        seen["done"] = interaction.response.is_done()
        try:
            await respond(interaction, rendered, SEND)
        except discord.InteractionResponded:
            seen["second"] = "refused"
        await interaction.edit_original_response(embed=discord.Embed(title="edited"))
        await interaction.followup.send("and one more")

    bot = ConfBot(core, core.db, guild_ready_timeout=0.05)
    bot.tree.add_command(probe)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        result = await fake.invoke("probe")
        await eventually(lambda: len(result.followups) == 1)

    assert seen == {"done": True, "second": "refused"}
    assert result.message is not None and result.message["embeds"][0]["title"] == "edited"
    assert result.followups[0]["content"] == "and one more"
    assert len(callbacks(fake)) == 1


async def test_a_callback_after_the_deadline_raises_as_discord_py_does(
    core: Core,
) -> None:
    seen: JSON = {}

    @app_commands.command(name="probe", description="A probe")
    async def probe(interaction: discord.Interaction[Any]) -> None:
        await asyncio.sleep(0.2)
        try:
            await respond(interaction, Rendered(discord.Embed(title="late"), None, False), SEND)
        except discord.NotFound as error:
            seen["code"] = error.code
        seen["done"] = interaction.response.is_done()

    async with FakeDiscord(interaction_deadline=0.1) as fake_discord:
        bot = ConfBot(core, core.db, guild_ready_timeout=0.05)
        bot.tree.add_command(probe)
        async with running_bot(bot, fake_discord):
            await bot.tree.sync()
            result = await fake_discord.invoke("probe")
            await eventually(lambda: "done" in seen)

    assert result.expired
    assert seen == {"code": 10062, "done": False}  # unknown interaction; nothing was sent


async def test_autocomplete_is_answered_in_one_callback_that_asks_for_nothing_back(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    offered = await fake.autocomplete("talk", {"query": "fairy"})

    sent = callbacks(fake)[-1]
    assert "with_response" not in sent.query and sent.status == 204
    assert sent.json["type"] == 8
    names = [choice["name"] for choice in sent.json["data"]["choices"]]
    assert names and any("Fairytale" in name for name in names)
    assert offered == sent.json["data"]["choices"]
    assert fake.errors == []


def test_the_same_kept_suggestions_give_the_same_body_and_others_a_new_one() -> None:
    payloads = ChoicePayloads()
    keynote = Choice("An ML Fairytale", "talk", "normconf-2022/an-ml-fairytale")
    other = Choice("Another talk", "talk", "normconf-2022/another")
    first = payloads([keynote, other])

    assert payloads([keynote, other]) is first  # a new list of the same kept objects
    copy = Choice("An ML Fairytale", "talk", "normconf-2022/an-ml-fairytale")
    assert payloads([copy, other]) is not first  # equal, not the same: built afresh
    assert payloads([copy, other]) == first
    assert payloads([]) == {"type": 8, "data": {"choices": []}}
    assert [c["value"] for c in first["data"]["choices"]] == [keynote.query, other.query]
