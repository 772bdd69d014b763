"""The Discord fake runs the real discord.py client over the real wire protocols.

A tiny `commands.Bot` defined here (slash commands, autocomplete, a button view, ephemeral
replies, deferrals) is pointed at a `FakeDiscord`, and every test reads as a behaviour of Discord
that our bot's front end relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord import (
    FakeDiscord,
    InteractionRejected,
    running_bot,
    use_fake_discord,
)

TOPICS = ["rust", "ruby", "python", "postgres", "kubernetes"]


class PingView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Again", custom_id="ping:again", style=discord.ButtonStyle.primary)
    async def again(
        self, interaction: discord.Interaction, button: discord.ui.Button[PingView]
    ) -> None:
        await interaction.response.edit_message(content="pong again", view=None)

    @discord.ui.button(label="Secret", custom_id="ping:secret")
    async def secret(
        self, interaction: discord.Interaction, button: discord.ui.Button[PingView]
    ) -> None:
        await interaction.response.send_message("only you can see this", ephemeral=True)


class PingBot(commands.Bot):
    """The smallest bot that exercises what our real front end does."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
            chunk_guilds_at_startup=False,
        )
        self.guild = discord.Object(guild_id)
        self.failures: asyncio.Queue[Exception] = asyncio.Queue()
        self.late_delay = 0.0

    async def setup_hook(self) -> None:
        guild = self.guild

        @app_commands.command(name="ping", description="Ping the bot")
        @app_commands.describe(topic="What to ping about")
        async def ping(interaction: discord.Interaction, topic: str) -> None:
            await interaction.response.send_message(f"pong: {topic}", view=PingView())

        @ping.autocomplete("topic")
        async def ping_topics(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            if current == "everything":  # more than Discord accepts
                return [app_commands.Choice(name=f"t{i}", value=f"t{i}") for i in range(30)]
            return [app_commands.Choice(name=t, value=t) for t in TOPICS if t.startswith(current)]

        @app_commands.command(name="whisper", description="Reply only to the caller")
        async def whisper(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("psst", ephemeral=True)

        @app_commands.command(name="whoami", description="Admin or member?")
        async def whoami(interaction: discord.Interaction) -> None:
            role = "admin" if interaction.permissions.administrator else "member"
            await interaction.response.send_message(role, ephemeral=True)

        @app_commands.command(name="reload", description="Admins only")
        @app_commands.default_permissions(manage_guild=True)
        async def reload(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("reloaded", ephemeral=True)

        @app_commands.command(name="slow", description="Defer, then follow up")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("done slowly")

        @app_commands.command(name="twice", description="Answer one interaction twice")
        async def twice(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("first")
            try:
                await interaction.response.send_message("second")
            except discord.InteractionResponded as exc:  # discord.py knows locally
                self.failures.put_nowait(exc)
            try:  # a fresh response object does not know: Discord must refuse
                await discord.InteractionResponse(interaction).send_message("second")
            except discord.HTTPException as exc:
                self.failures.put_nowait(exc)

        @app_commands.command(name="late", description="Answer after the deadline")
        async def late(interaction: discord.Interaction) -> None:
            await asyncio.sleep(self.late_delay)
            try:
                await interaction.response.send_message("too late")
            except discord.HTTPException as exc:
                self.failures.put_nowait(exc)

        @app_commands.command(name="huge", description="An embed over Discord's limit")
        async def huge(interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_message(embed=discord.Embed(description="x" * 4097))
            except discord.HTTPException as exc:
                self.failures.put_nowait(exc)
                await interaction.response.send_message(f"embed refused: {exc.code}")

        @app_commands.command(name="hello", description="Works in DMs too")
        async def hello(interaction: discord.Interaction) -> None:
            where = "a DM" if interaction.guild is None else interaction.guild.name
            await interaction.response.send_message(f"hello {interaction.user.name} in {where}")

        guild_only: list[app_commands.Command[Any, ..., Any]] = [
            ping,
            whisper,
            whoami,
            reload,
            slow,
            twice,
            late,
            huge,
        ]
        for command in guild_only:
            self.tree.add_command(command, guild=guild)
        self.tree.add_command(hello)
        await self.tree.sync(guild=guild)
        await self.tree.sync()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[PingBot]:
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    bot = PingBot(fake.guild_id)
    connecting: asyncio.Task[None] | None = None
    try:
        await bot.login(fake.token)
        connecting = asyncio.create_task(bot.connect())
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await asyncio.wait_for(bot.close(), 5)
        if connecting is not None:
            await asyncio.wait_for(connecting, 5)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved_base, saved_gateway


async def next_failure(bot: PingBot) -> Exception:
    return await asyncio.wait_for(bot.failures.get(), 5)


async def test_the_bot_becomes_ready_and_syncs_its_commands(
    fake: FakeDiscord, bot: PingBot
) -> None:
    await fake.wait_until_identified()
    assert fake.identify_count == 1
    assert bot.user is not None and bot.user.id == fake.application_id
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and guild.get_channel(fake.channel_id) is not None
    guild_commands = {c["name"]: c for c in fake.commands(fake.guild_id)}
    assert set(guild_commands) == {
        "ping",
        "whisper",
        "whoami",
        "reload",
        "slow",
        "twice",
        "late",
        "huge",
    }
    assert guild_commands["ping"]["application_id"] == str(fake.application_id)
    assert guild_commands["ping"]["options"][0]["autocomplete"] is True
    assert [c["name"] for c in fake.commands()] == ["hello"]
    assert fake.unhandled == []


async def test_a_slash_command_gets_its_reply(fake: FakeDiscord, bot: PingBot) -> None:
    result = await fake.invoke("ping", {"topic": "rust"})

    assert result.type == 4
    assert result.data["content"] == "pong: rust"
    assert result.content == "pong: rust"
    assert not result.ephemeral
    assert result.custom_ids == ["ping:again", "ping:secret"]
    assert fake.channel_messages(fake.channel_id) == [result.message]


async def test_autocomplete_gets_choices(fake: FakeDiscord, bot: PingBot) -> None:
    choices = await fake.autocomplete("ping", {"topic": "ru"}, focused="topic")

    assert choices == [{"name": "rust", "value": "rust"}, {"name": "ruby", "value": "ruby"}]


async def test_too_many_autocomplete_choices_are_refused(fake: FakeDiscord, bot: PingBot) -> None:
    with pytest.raises(InteractionRejected) as refused:
        await fake.autocomplete("ping", {"topic": "everything"}, focused="topic")

    assert refused.value.errors[0]["code"] == 50035


async def test_a_button_click_updates_the_message(fake: FakeDiscord, bot: PingBot) -> None:
    pong = await fake.invoke("ping", {"topic": "rust"})

    clicked = await fake.click(pong, "ping:again")

    assert clicked.type == 7
    assert clicked.message_id == pong.message_id
    assert clicked.content == "pong again"
    assert pong.message is not None and pong.message["components"] == []
    assert pong.message["edited_timestamp"] is not None


async def test_an_ephemeral_reply_carries_the_ephemeral_flag(
    fake: FakeDiscord, bot: PingBot
) -> None:
    whisper = await fake.invoke("whisper")
    pong = await fake.invoke("ping", {"topic": "rust"})
    secret = await fake.click(pong, "ping:secret")

    assert whisper.ephemeral and whisper.data["flags"] & 64
    assert secret.ephemeral and secret.content == "only you can see this"
    assert fake.channel_messages(fake.channel_id) == [pong.message]  # ephemerals are not in it


async def test_admins_and_members_get_their_permissions(fake: FakeDiscord, bot: PingBot) -> None:
    admin = fake.add_member("ada", admin=True)

    assert (await fake.invoke("whoami", user=admin)).content == "admin"
    assert (await fake.invoke("whoami")).content == "member"


async def test_discord_only_offers_commands_the_user_may_see_there(
    fake: FakeDiscord, bot: PingBot
) -> None:
    admin = fake.add_member("ada", admin=True)

    assert (await fake.invoke("reload", user=admin)).content == "reloaded"
    with pytest.raises(PermissionError):
        await fake.invoke("reload")  # default_member_permissions hides it from members
    with pytest.raises(LookupError):
        await fake.invoke("ping", {"topic": "x"}, guild_id=None)  # synced to the guild only


async def test_a_deferred_command_is_completed_by_its_followup(
    fake: FakeDiscord, bot: PingBot
) -> None:
    result = await fake.invoke("slow")

    assert result.type == 5
    assert result.content == "done slowly"
    assert result.message is not None and result.message["flags"] & 128 == 0  # no longer loading


async def test_a_slash_command_works_in_a_dm(fake: FakeDiscord, bot: PingBot) -> None:
    stranger = fake.add_user("sam")

    result = await fake.invoke("hello", user=stranger, guild_id=None)

    assert result.content == "hello sam in a DM"
    assert result.channel_id == fake.dm_channel(stranger)


async def test_a_second_callback_for_one_interaction_gets_40060(
    fake: FakeDiscord, bot: PingBot
) -> None:
    result = await fake.invoke("twice")

    assert result.content == "first"
    assert isinstance(await next_failure(bot), discord.InteractionResponded)
    refused = await next_failure(bot)
    assert isinstance(refused, discord.HTTPException)
    assert (refused.status, refused.code) == (400, 40060)
    assert result.error_codes == [40060]


async def test_a_callback_after_the_deadline_gets_10062(fake: FakeDiscord, bot: PingBot) -> None:
    fake.interaction_deadline = 0.1
    bot.late_delay = 0.2

    result = await fake.invoke("late")

    refused = await next_failure(bot)
    assert isinstance(refused, discord.NotFound) and refused.code == 10062
    assert result.expired and result.type is None and result.error_codes == [10062]


async def test_an_oversized_embed_gets_50035(fake: FakeDiscord, bot: PingBot) -> None:
    result = await fake.invoke("huge")

    refused = await next_failure(bot)
    assert isinstance(refused, discord.HTTPException)
    assert (refused.status, refused.code) == (400, 50035)
    assert "4096" in refused.text
    assert result.content == "embed refused: 50035"

    channel = bot.get_partial_messageable(fake.channel_id)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("y" * 2001)
    assert too_long.value.code == 50035


async def test_posting_to_a_deleted_channel_gets_10003(fake: FakeDiscord, bot: PingBot) -> None:
    gone = fake.add_channel("gone")
    fake.delete_channel(gone)

    with pytest.raises(discord.NotFound) as refused:
        await bot.get_partial_messageable(gone).send("anyone?")

    assert (refused.value.status, refused.value.code) == (404, 10003)


async def test_posting_where_the_bot_lacks_permission_gets_50013(
    fake: FakeDiscord, bot: PingBot
) -> None:
    locked = fake.add_channel("announcements")
    fake.deny_channel(locked)

    with pytest.raises(discord.Forbidden) as refused:
        await bot.get_partial_messageable(locked).send("hello")

    assert (refused.value.status, refused.value.code) == (403, 50013)
    assert fake.channel_messages(locked) == []


async def test_a_429_with_retry_after_is_retried_and_succeeds(
    fake: FakeDiscord, bot: PingBot
) -> None:
    fake.rate_limit_next(f"/channels/{fake.channel_id}/messages", retry_after=0.05)

    message = await bot.get_partial_messageable(fake.channel_id).send("after the wait")

    attempts = fake.requests_to(f"/channels/{fake.channel_id}/messages", "POST")
    assert [a.status for a in attempts] == [429, 200]
    assert fake.channel_messages(fake.channel_id)[-1]["id"] == str(message.id)
    assert await fake.wait_for_message(fake.channel_id) == fake.message(message.id)


async def test_a_dropped_connection_is_resumed(fake: FakeDiscord, bot: PingBot) -> None:
    await fake.drop_connection()

    assert (fake.resume_count, fake.identify_count) == (1, 1)
    assert (await fake.invoke("ping", {"topic": "go"})).content == "pong: go"


async def test_events_sent_while_disconnected_are_replayed_on_resume(
    fake: FakeDiscord, bot: PingBot
) -> None:
    await fake.drop_connection(wait=False)

    result = await fake.invoke("ping", {"topic": "later"})

    assert result.content == "pong: later"
    assert fake.resume_count == 1


async def test_a_reconnect_request_is_resumed(fake: FakeDiscord, bot: PingBot) -> None:
    await fake.request_reconnect()

    assert (fake.resume_count, fake.identify_count) == (1, 1)
    assert fake.gateway_paths == ["/gateway", "/resume-gateway"]
    assert (await fake.invoke("ping", {"topic": "go"})).content == "pong: go"


async def test_the_same_nonce_returns_the_same_message(fake: FakeDiscord, bot: PingBot) -> None:
    channel = bot.get_partial_messageable(fake.channel_id)

    first = await channel.send("daily wisdom", nonce="wisdom-2024-06-01")
    second = await channel.send("daily wisdom", nonce="wisdom-2024-06-01")
    other = await channel.send("daily wisdom", nonce="wisdom-2024-06-02")

    assert first.id == second.id != other.id
    assert len(fake.channel_messages(fake.channel_id)) == 2


async def test_running_bot_points_discord_py_at_the_fake_and_restores_it(fake: FakeDiscord) -> None:
    saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)

    async with running_bot(PingBot(fake.guild_id), fake) as bot:
        assert bot.is_ready()
        assert fake.api_base == Route.BASE
        assert (await fake.invoke("ping", {"topic": "x"})).content == "pong: x"

    assert saved == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    with use_fake_discord(fake):
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    assert saved == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
