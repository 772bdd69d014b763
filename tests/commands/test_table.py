"""Everything derived from the command table agrees with it: the Slack manifest and its
commands, `confbot ask --help` and the README (the Discord commands: tests/frontends/discord/
test_slash.py)."""

from __future__ import annotations

import argparse
import re

from bot.cli import build_parser
from bot.commands.params import Text
from bot.commands.table import COMMANDS
from bot.frontends.slack.app import CORE_COMMANDS
from bot.nugget_rules import MAX_LENGTH
from tests.conftest import REPO

SLASH = [command for command in COMMANDS if command.slash]


def manifest_commands() -> dict[str, str]:
    """command name -> usage_hint, read from slack-manifest.yml."""
    text = (REPO / "slack-manifest.yml").read_text()
    found = re.findall(r"- command: /(\S+)\n(?:\s+\w+: .*\n)*?\s+usage_hint: \"(.*)\"", text)
    return dict(found)


def test_the_slack_manifest_lists_every_command_with_its_options() -> None:
    listed = manifest_commands()
    assert {c.name for c in SLASH} <= set(listed)
    assert set(listed) == {c.name for c in SLASH}
    for command in SLASH:
        for flag in command.flags:
            assert f"--{flag.name}" in listed[command.name], (command.name, flag.name)


def test_the_slack_manifest_lists_every_message_command_as_a_message_shortcut() -> None:
    text = (REPO / "slack-manifest.yml").read_text()
    found = re.findall(
        r"- name: (.+)\n\s+type: message\n\s+callback_id: (\S+)\n\s+description: \"(.+)\"", text
    )
    assert found == [(m.name, m.callback_id, m.summary) for m in COMMANDS.messages]
    assert [m.callback_id for m in COMMANDS.messages] == ["save_as_nugget"]


def test_slack_answers_every_slash_command_of_the_table() -> None:
    assert tuple(f"/{c.name}" for c in SLASH) == CORE_COMMANDS


def test_every_free_text_parameter_has_a_length_cap() -> None:
    for command in COMMANDS.leaves():
        for param in command.params:
            if isinstance(param.type, Text):
                # A submitted nugget's words may be longer than a query (a sentence or two).
                cap = MAX_LENGTH if param.name == "text" and "nugget" in command.name else 200
                assert param.type.max_length <= cap, (command.name, param.name)


def ask_help() -> str:
    parser = build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return str(subcommands.choices["ask"].format_help())


def test_confbot_ask_help_lists_every_command_and_its_parameters() -> None:
    shown = ask_help()
    for command in COMMANDS:
        assert command.usage() in shown
        for param in command.params:
            assert param.help in shown, (command.name, param.name)


def test_the_readme_names_every_command_and_what_takes_a_conference() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("| command | what you get |", 1)[1].split("\n\n", 1)[0]
    for command in SLASH:
        assert f"`/{command.name}" in table, command.name
    narrowed = next(line for line in readme.split("\n\n") if "--conference SLUG" in line)
    for command in COMMANDS:
        if command.param("conference") is not None:
            assert f"`/{command.name}`" in narrowed, command.name
