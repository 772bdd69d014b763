"""The slash commands are generated from the command table: every command, with its options,
their limits and their autocomplete, exactly as declared."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.commands.params import Channel, Number
from bot.commands.table import COMMANDS
from bot.frontends.discord.slash import slash_commands

SLASH = [command for command in COMMANDS if command.slash]


def discord_definitions() -> dict[str, dict[str, Any]]:
    """The payload `confbot sync` sends for each command."""
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents(guilds=True))
    )
    return {command.name: command.to_dict(tree) for command in slash_commands()}


def test_discord_gets_every_command_with_its_options_and_limits() -> None:
    definitions = discord_definitions()
    assert list(definitions) == [c.name for c in SLASH]
    pairs = []
    for command in SLASH:
        definition = definitions[command.name]
        if command.subcommands:  # a group: each subcommand is one of its options
            subs = {o["name"]: o for o in definition["options"]}
            assert list(subs) == [sub.short_name for sub in command.subcommands]
            pairs += [(sub, subs[sub.short_name]) for sub in command.subcommands]
            assert 1 <= len(definition["description"]) <= 100
        else:
            pairs.append((command, definition))
    for command, definition in pairs:
        assert 1 <= len(definition["description"]) <= 100
        options = {o["name"]: o for o in definition.get("options", [])}
        assert set(options) == {p.name for p in command.params if p.slash}
        for param in command.params:
            if not param.slash:
                continue
            option = options[param.name]
            assert option["required"] == param.required
            assert option.get("autocomplete", False) == (param.autocomplete is not None)
            if isinstance(param.type, Number):
                assert (option["type"], option["min_value"]) == (4, param.type.minimum)
            elif isinstance(param.type, Channel):
                assert option["type"] == 7  # a channel picker
            else:
                assert (option["type"], option["max_length"]) == (3, param.type.max_length)


def test_discord_search_can_be_narrowed_to_a_conference() -> None:
    """The README says so; before the table, Discord's /search had only `text`."""
    options = {o["name"]: o for o in discord_definitions()["search"]["options"]}
    assert options["conference"]["autocomplete"] is True
    assert options["page"]["max_value"] == 9999


def test_an_admin_group_becomes_a_discord_group_for_managers_only() -> None:
    from tests.commands.test_groups import DEMO, TABLE

    [group] = slash_commands(TABLE)
    assert isinstance(group, app_commands.Group)
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents(guilds=True))
    )
    definition = group.to_dict(tree)
    assert definition["name"] == DEMO.name
    assert definition["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert [o["name"] for o in definition["options"]] == ["subscribe", "status"]
    subscribe = definition["options"][0]
    channel = next(o for o in subscribe["options"] if o["name"] == "channel")
    assert channel["type"] == 7  # a channel picker, not text
