"""The slash commands, generated from the command table: one `app_commands.Command` each.

Names, descriptions, options (type, length and number limits, required or not) and
autocomplete all come from `bot.commands.table.COMMANDS`; a call becomes an `Invocation` of
the options given and is answered by `Core.run`, like every other front end. Loaded as an
extension (`setup`), so `confbot sync` registers exactly what the table declares.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Optional

import discord
from discord import app_commands
from discord.ext import commands

from bot.commands.invocation import Invocation
from bot.commands.params import Channel, Number, Param
from bot.commands.registry import Command, Message, MessageCommand, Registry
from bot.commands.suggest import suggestions
from bot.commands.table import COMMANDS
from bot.frontends.discord.bot import ConfBot
from bot.frontends.discord.callers import caller_of
from bot.nugget_rules import discord_link

DESCRIPTION_MAX = 100
Callback = Callable[..., Coroutine[Any, Any, None]]
AutocompleteCallback = Callable[
    [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


def option_type(param: Param) -> Any:
    """The annotation discord.py turns into the option: its type and limits."""
    kind = param.type
    if isinstance(kind, Number):
        annotation: Any = app_commands.Range[int, kind.minimum, kind.maximum]
    elif isinstance(kind, Channel):
        annotation = discord.TextChannel
    else:
        annotation = app_commands.Range[str, 1, kind.max_length]
    return annotation if param.required else Optional[annotation]  # noqa: UP045


def given_options(interaction: discord.Interaction[Any]) -> dict[str, str]:
    """The options filled in so far (for autocomplete narrowed by another option)."""
    return {
        name: str(value).strip()
        for name, value in vars(interaction.namespace).items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }


def _callback(command: Command) -> Callback:
    async def callback(interaction: discord.Interaction[ConfBot], **options: Any) -> None:
        bot = interaction.client
        invocation = Invocation.from_mapping(
            command.name,
            {name: _option_text(value) for name, value in options.items() if value is not None},
        )
        caller = caller_of(interaction)
        if command.admin or command.private:
            await bot.send_answer(
                interaction, lambda: bot.core.run(invocation, caller), ephemeral=True
            )
        else:
            await bot.send_answer(interaction, lambda: bot.core.run(invocation, caller))

    return callback


def require_manage_guild(interaction: discord.Interaction[Any]) -> bool:
    """Checked on every admin command at run time, whatever Discord showed the user."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


def _option_text(value: Any) -> str:
    """An option's value as the text a parameter parses (a channel by its id)."""
    if isinstance(value, str | int):  # most options; checked first: Snowflake is a slow Protocol
        return str(value).strip()
    if isinstance(value, discord.abc.Snowflake):
        return str(value.id)
    return str(value).strip()


def _autocomplete(param: Param) -> AutocompleteCallback:
    source = param.autocomplete
    assert source is not None

    async def complete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        bot = interaction.client
        assert isinstance(bot, ConfBot)
        given = given_options(interaction)
        caller = caller_of(interaction)  # suggestions stay in the server's conferences
        return await bot.suggest(
            interaction, lambda: suggestions(bot.core, source, current, given, caller)
        )

    return complete


def slash_command(command: Command) -> app_commands.Command[Any, ..., None]:
    """The app command of one table entry (its `slash` parameters as options)."""
    # Discord lists the required options first.
    options = sorted((p for p in command.params if p.slash), key=lambda p: not p.required)
    callback = _callback(command)
    interaction_param = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            interaction_param,
            *(
                inspect.Parameter(
                    p.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=option_type(p),
                    default=inspect.Parameter.empty if p.required else None,
                )
                for p in options
            ),
        ]
    )
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        p.name: p.help[:DESCRIPTION_MAX] for p in options
    }
    callback.__discord_app_commands_param_autocomplete__ = {  # type: ignore[attr-defined]
        p.name: _autocomplete(p) for p in options if p.autocomplete is not None
    }
    app_command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=command.short_name,
        description=command.summary[:DESCRIPTION_MAX],
        callback=callback,
    )
    if command.admin:
        app_command.add_check(require_manage_guild)
    return app_command


AppCommand = app_commands.Command[Any, ..., None] | app_commands.Group


def app_command(command: Command) -> AppCommand:
    """A plain command, or a group of subcommands (admin groups need Manage Server, in a
    server: Discord hides them from others, and the registry checks again on every call)."""
    if not command.subcommands:
        return slash_command(command)
    group = app_commands.Group(
        name=command.name,
        description=command.summary[:DESCRIPTION_MAX],
        guild_only=command.admin,
        default_permissions=discord.Permissions(manage_guild=True) if command.admin else None,
    )
    for sub in command.subcommands:
        group.add_command(slash_command(sub))
    return group


def slash_commands(registry: Registry = COMMANDS) -> list[AppCommand]:
    return [app_command(command) for command in registry if command.slash]


def message_menu(command: MessageCommand) -> app_commands.ContextMenu:
    """A message command as Discord's message context menu (right-click a message, Apps):
    the message's words (mentions as plain names) and its link, answered privately."""

    async def callback(interaction: discord.Interaction[ConfBot], message: discord.Message) -> None:
        bot = interaction.client
        link = discord_link(
            str(interaction.guild_id or ""), str(message.channel.id), str(message.id)
        )
        found = Message(plain_words(message), link, str(message.author.id))
        caller = caller_of(interaction)
        await bot.send_answer(
            interaction,
            lambda: bot.core.message_action(command.name, found, caller),
            ephemeral=True,
        )

    return app_commands.ContextMenu(name=command.name, callback=callback)


def plain_words(message: discord.Message) -> str:
    """The message's words with user mentions as names ("<@123>" -> "@ada"); "@everyone"
    stays as typed (it never pings: mentions are off in everything the bot sends)."""
    text = message.content
    for user in message.mentions:
        for form in (f"<@{user.id}>", f"<@!{user.id}>"):
            text = text.replace(form, f"@{user.display_name}")
    return text


def message_menus(registry: Registry = COMMANDS) -> list[app_commands.ContextMenu]:
    return [message_menu(command) for command in registry.messages]


async def setup(bot: commands.Bot) -> None:
    """Add every slash command and message command of the table to the bot's tree."""
    for command in slash_commands():
        bot.tree.add_command(command)
    for menu in message_menus():
        bot.tree.add_command(menu)
