"""The one error handler of the Discord bot: `ConfTree.on_error`.

Every failure of a slash command, an autocomplete or a component ends here: logged with its
traceback (or one line for a refusal), answered with one short ephemeral line.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.frontends.discord.embeds import short_line

if TYPE_CHECKING:
    from bot.frontends.discord.bot import ConfBot

log = logging.getLogger("confbot.discord")

DEFERRED = "confbot_deferred"  # interaction.extras key: how the answer was deferred, if it was
ERROR_LINE = "Sorry, something went wrong while answering that. It has been logged."


class AutocompleteFailed(app_commands.AppCommandError):
    """An autocomplete callback raised `original`."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"autocomplete failed: {type(original).__name__}")
        self.original = original


class ComponentFailed(app_commands.AppCommandError):
    """A button or select menu callback raised `original`."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"component failed: {type(original).__name__}")
        self.original = original


def interaction_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    if custom_id:
        return f"component {str(custom_id)[:40]!r}"
    name = data.get("name") if isinstance(data, dict) else None
    return f"/{name}" if name else f"interaction {interaction.type.name}"


class ConfTree(app_commands.CommandTree["ConfBot"]):
    """The command tree whose `on_error` is the single error handler of the bot."""

    async def on_error(
        self, interaction: discord.Interaction[ConfBot], error: app_commands.AppCommandError, /
    ) -> None:
        original: BaseException = getattr(error, "original", None) or error
        name = interaction_name(interaction)
        if isinstance(error, app_commands.MissingPermissions):
            wanted = ", ".join(
                p.replace("_", " ").replace("guild", "server").title()
                for p in error.missing_permissions
            )
            line = f"You need the {wanted} permission to use {name}."
            log.info("refused %s for user %s: missing %s", name, interaction.user.id, wanted)
        elif isinstance(error, app_commands.NoPrivateMessage):
            line = f"{name} only works in a server channel."
        elif isinstance(error, app_commands.CheckFailure):
            line = f"You cannot use {name} here."
            log.info("refused %s for user %s: %s", name, interaction.user.id, error)
        elif isinstance(error, app_commands.TransformerError):
            line = "I could not use that option value; pick one from the list."
            log.info("%s: bad option value: %s", name, error)
        elif isinstance(
            error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch
        ):
            line = "This command is out of date; ask an admin to run confbot sync."
            log.warning("%s: %s (commands need a sync)", name, error)
        else:
            line = ERROR_LINE
            log.error(
                "%s failed for user %s in guild %s",
                name,
                interaction.user.id,
                interaction.guild_id,
                exc_info=(type(original), original, original.__traceback__),
            )
        await self._answer_error(interaction, line)

    async def _answer_error(self, interaction: discord.Interaction[ConfBot], line: str) -> None:
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                if not interaction.response.is_done():
                    await interaction.response.autocomplete([])
                return
            if interaction.is_expired():
                return
            text = short_line(line)
            if interaction.response.is_done():
                if interaction.extras.get(DEFERRED) == "public":
                    # A followup would take the place of the public "thinking…" message and
                    # show the error to everyone: remove that message first.
                    with contextlib.suppress(discord.HTTPException):
                        await interaction.delete_original_response()
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as failure:
            log.warning("could not tell the user about the error: %s", failure)
