"""/remind: talk reminders in a channel, for server managers.

subscribe (minutes before each talk; optionally only a room or a track, only one conference;
a channel, by default this one), unsubscribe, status and list. Gated like /wisdom: hidden from
members without Manage Server (default_permissions) and checked again when a command runs.
Every answer is ephemeral; the reminders themselves are the platform-neutral
`ReminderService`, run by the bot's post loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import Interaction, app_commands
from discord.ext import commands

from bot.answer import Answer
from bot.delivery.reminder_service import ReminderService
from bot.frontends.discord.bot import ConfBot
from bot.frontends.discord.cogs.admin import bot_can_post, require_manage_guild, who
from bot.frontends.discord.cogs.programme import (
    CONFERENCE_HELP,
    ROOM_HELP,
    chosen_conference,
    conference_slug,
)
from bot.reminders import (
    MAX_MINUTES,
    MIN_MINUTES,
    ReminderInputError,
    input_error_answer,
    status_answer,
    subscribed_answer,
    subscriptions_answer,
    unsubscribed_answer,
)

Minutes = app_commands.Range[int, MIN_MINUTES, MAX_MINUTES]
Name = app_commands.Range[str, 1, 100]

NOT_RUNNING = Answer(
    kind="error",
    title="Reminders",
    text="Talk reminders are not running in this bot.",
    found=False,
    ephemeral=True,
)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Reminders(
    commands.GroupCog,
    group_name="remind",
    group_description="Talk reminders in a channel (Manage Server)",
):
    """The /remind admin commands."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction[Any], /) -> bool:
        return require_manage_guild(interaction)

    async def _answer(
        self,
        interaction: Interaction[ConfBot],
        run: Callable[[ReminderService], Awaitable[Answer]],
    ) -> None:
        async def produce() -> Answer:
            service = self.bot.reminders
            if service is None:
                return NOT_RUNNING
            try:
                return await run(service)
            except ReminderInputError as error:
                return input_error_answer(error)

        await self.bot.send_answer(interaction, produce, ephemeral=True)

    @app_commands.command(name="subscribe", description="Post a reminder before each talk")
    @app_commands.describe(
        minutes=f"Minutes before each talk ({MIN_MINUTES} to {MAX_MINUTES})",
        room=f"Only talks in this room. {ROOM_HELP}",
        track="Only talks in this track (part of its name)",
        conference=CONFERENCE_HELP,
        channel="Where to post (default: this channel)",
    )
    async def subscribe(
        self,
        interaction: Interaction[ConfBot],
        minutes: Minutes,
        room: Name | None = None,
        track: Name | None = None,
        conference: Name | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        guild_id = str(interaction.guild_id)
        target = channel or interaction.channel
        channel_id = str(channel.id if channel else interaction.channel_id)
        can_post = (
            bot_can_post(interaction, target)
            if isinstance(target, discord.abc.GuildChannel)
            else True
        )

        async def run(service: ReminderService) -> Answer:
            if room and track:
                raise ReminderInputError("Give a room or a track, not both.")
            kind, value = ("room", room) if room else ("track", track) if track else ("all", "")
            status = await service.subscribe(
                guild_id=guild_id,
                channel_id=channel_id,
                minutes_before=minutes,
                created_by=who(interaction),
                can_post=can_post,
                conference=conference_slug(conference),
                filter_kind=kind,
                filter_value=value or "",
            )
            return subscribed_answer(status)

        await self._answer(interaction, run)

    @subscribe.autocomplete("room")
    async def room_choices(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        slug = chosen_conference(interaction)
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_rooms(current, slug)
        )

    @subscribe.autocomplete("conference")
    async def conference_choices(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_conferences(current)
        )

    @app_commands.command(name="unsubscribe", description="Stop the reminders in a channel")
    @app_commands.describe(channel="The channel (default: this one)")
    async def unsubscribe(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: ReminderService) -> Answer:
            return unsubscribed_answer(await service.unsubscribe(channel_id, by=who(interaction)))

        await self._answer(interaction, run)

    @app_commands.command(name="status", description="A channel's reminders: next, sent, errors")
    @app_commands.describe(channel="The channel (default: this one)")
    async def status(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: ReminderService) -> Answer:
            return status_answer(await service.status(channel_id))

        await self._answer(interaction, run)

    @app_commands.command(name="list", description="Every reminder subscription in this server")
    async def list_subscriptions(self, interaction: Interaction[ConfBot]) -> None:
        guild_id = str(interaction.guild_id)

        async def run(service: ReminderService) -> Answer:
            return subscriptions_answer(await service.subscriptions(guild_id))

        await self._answer(interaction, run)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, ConfBot)
    await bot.add_cog(Reminders(bot))
