"""What the admin command groups (/wisdom, /remind) share: the run-time Manage Server check,
who asked, and whether the bot can post in a channel."""

from __future__ import annotations

from typing import Any

import discord
from discord import Interaction, app_commands

from bot.frontends.discord.bot import ConfBot


def require_manage_guild(interaction: Interaction[Any]) -> bool:
    """Checked on every admin command at run time, whatever Discord showed the user."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


def who(interaction: Interaction[ConfBot]) -> str:
    """The asker as stored with a subscription: name and id."""
    return f"{interaction.user.name} ({interaction.user.id})"


def bot_can_post(interaction: Interaction[ConfBot], channel: discord.abc.GuildChannel) -> bool:
    """Whether the bot may see, post and embed in `channel` (True when it cannot tell)."""
    guild = interaction.guild
    me = guild.me if guild is not None else None
    if me is None:
        return True
    perms = channel.permissions_for(me)
    return perms.view_channel and perms.send_messages and perms.embed_links
