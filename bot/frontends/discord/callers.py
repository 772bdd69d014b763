"""Who asks on Discord, and where: the `Caller` of a slash command or of a click on one of
our buttons, and the `Channels` an admin command asks about the server."""

from __future__ import annotations

from typing import Any

import discord

from bot.commands.registry import Caller


def caller_of(interaction: discord.Interaction[Any]) -> Caller:
    """Who asks, and where: every command and every click gets its caller, so the server's
    conferences (/conference use) apply to a follow-up as to the command it replays."""
    return Caller(
        frontend="discord",
        user=str(interaction.user.id),
        place=str(interaction.guild_id or ""),
        channel=str(interaction.channel_id or ""),
        admin=interaction.guild is not None and interaction.permissions.manage_guild,
        name=interaction.user.name,
        channels=DiscordChannels(interaction),
    )


class DiscordChannels:
    """`Channels` for an admin command: whether the bot may see, post and embed there."""

    cannot_post_hint = ""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self.interaction = interaction

    async def can_post(self, channel: str) -> bool:
        guild = self.interaction.guild
        me = guild.me if guild is not None else None
        if guild is None or me is None or not channel.isdigit():
            return True
        target = guild.get_channel(int(channel))
        if target is None and str(self.interaction.channel_id) == channel:
            target = self.interaction.channel  # type: ignore[assignment]
        if not isinstance(target, discord.abc.GuildChannel):
            return True
        perms = target.permissions_for(me)
        return perms.view_channel and perms.send_messages and perms.embed_links

    async def zone(self) -> str | None:
        return None  # Discord does not tell a member's time zone
