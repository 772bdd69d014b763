"""/wisdom: the daily nugget of wisdom in a channel, for server managers.

subscribe (channel, HH:MM time, IANA timezone, which autocompletes), unsubscribe, status,
preview and now. The group is hidden from members without Manage Server (default_permissions,
which Discord applies) and checked again when a command runs (server settings can grant it to
anyone). Every answer is ephemeral; the scheduling itself is the platform-neutral
`WisdomService`.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import Interaction, app_commands
from discord.ext import commands

from bot.answer import Answer, Choice
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.discord.bot import ConfBot
from bot.frontends.discord.cogs.admin import bot_can_post, require_manage_guild, who
from bot.wisdom import (
    WisdomInputError,
    input_error_answer,
    outcome_answer,
    preview_answer,
    status_answer,
    subscribed_answer,
    unsubscribed_answer,
)

COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
)


@functools.cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def suggest_zones(current: str, limit: int = 25) -> list[Choice]:
    """IANA zone names for what was typed: exact, then prefix, then city prefix, then
    substring matches; common zones when nothing is typed."""
    wanted = current.strip().replace(" ", "_").casefold()
    if not wanted:
        names = [z for z in COMMON_ZONES if z in zone_names()]
    else:
        ranked: list[tuple[int, str]] = []
        for zone in zone_names():
            folded = zone.casefold()
            city = folded.rsplit("/", 1)[-1]
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif city.startswith(wanted):
                rank = 2
            elif wanted in folded:
                rank = 3
            else:
                continue
            ranked.append((rank, zone))
        names = [zone for _, zone in sorted(ranked)]
    return [Choice(label=name, command="wisdom", query=name) for name in names[:limit]]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Wisdom(
    commands.GroupCog,
    group_name="wisdom",
    group_description="A daily nugget of wisdom in a channel (Manage Server)",
):
    """The /wisdom admin commands."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: Interaction[Any], /) -> bool:
        return require_manage_guild(interaction)

    async def _answer(
        self,
        interaction: Interaction[ConfBot],
        run: Callable[[WisdomService], Awaitable[Answer]],
    ) -> None:
        async def produce() -> Answer:
            service = self.bot.wisdom
            if service is None:
                return Answer(
                    kind="error",
                    title="Daily wisdom",
                    text="Daily wisdom is not running in this bot.",
                    found=False,
                    ephemeral=True,
                )
            try:
                return await run(service)
            except WisdomInputError as error:
                return input_error_answer(error)

        await self.bot.send_answer(interaction, produce, ephemeral=True)

    @app_commands.command(name="subscribe", description="Post a nugget in a channel every day")
    @app_commands.describe(
        channel="Where to post",
        time="Local time of day, 24-hour HH:MM, e.g. 09:00",
        timezone="IANA time zone, e.g. Europe/Amsterdam",
    )
    async def subscribe(
        self,
        interaction: Interaction[ConfBot],
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
    ) -> None:
        guild_id = str(interaction.guild_id)
        can_post = bot_can_post(interaction, channel)

        async def run(service: WisdomService) -> Answer:
            sub = await service.subscribe(
                guild_id=guild_id,
                channel_id=str(channel.id),
                post_time=time,
                zone=timezone,
                created_by=who(interaction),
                can_post=can_post,
            )
            return subscribed_answer(sub, service.grace)

        await self._answer(interaction, run)

    @subscribe.autocomplete("timezone")
    async def subscribe_timezone(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        async def source() -> list[Choice]:
            return suggest_zones(current)

        return await self.bot.suggest(interaction, source)

    @app_commands.command(name="unsubscribe", description="Stop the daily nugget in a channel")
    @app_commands.describe(channel="The channel (default: this one)")
    async def unsubscribe(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: WisdomService) -> Answer:
            return unsubscribed_answer(await service.unsubscribe(channel_id, by=who(interaction)))

        await self._answer(interaction, run)

    @app_commands.command(name="status", description="Next post, last post and errors")
    @app_commands.describe(channel="The channel (default: this one)")
    async def status(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: WisdomService) -> Answer:
            return status_answer(await service.status(channel_id))

        await self._answer(interaction, run)

    @app_commands.command(name="preview", description="The next nugget, shown only to you")
    @app_commands.describe(channel="The channel (default: this one)")
    async def preview(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: WisdomService) -> Answer:
            return preview_answer(await service.preview(channel_id))

        await self._answer(interaction, run)

    @app_commands.command(name="now", description="Post today's nugget now instead of later")
    @app_commands.describe(channel="The channel (default: this one)")
    async def now(
        self, interaction: Interaction[ConfBot], channel: discord.TextChannel | None = None
    ) -> None:
        channel_id = str(channel.id if channel else interaction.channel_id)

        async def run(service: WisdomService) -> Answer:
            return outcome_answer(await service.post_now(channel_id))

        await self._answer(interaction, run)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, ConfBot)
    await bot.add_cog(Wisdom(bot))
