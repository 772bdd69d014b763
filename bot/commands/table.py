"""The command table: every command the bot answers, in the order /help lists them.

Adding a command is one declaration in its module and one line here; the front ends, the
Slack manifest check, `confbot ask --help` and /help all follow from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answer import Answer, Field
from bot.commands.agenda import AGENDA
from bot.commands.announce import PROGRAMME
from bot.commands.conference import CONFERENCE
from bot.commands.follow import FOLLOW, UNFOLLOW
from bot.commands.nugget_commands import SAVE_AS_NUGGET
from bot.commands.nuggets import NUGGET
from bot.commands.programme import NEXT, NOW, SCHEDULE
from bot.commands.registry import Call, Command, Registry
from bot.commands.reminders import REMIND
from bot.commands.search import SEARCH
from bot.commands.sources import SOURCE
from bot.commands.talks import SPEAKER, TALK
from bot.commands.wisdom import WISDOM

if TYPE_CHECKING:
    from bot.core import Core


async def help_command(core: Core, call: Call) -> Answer:
    return help_answer(await core.lookup.conference_slugs())


def help_answer(conferences: Sequence[str] = ()) -> Answer:
    """Every command with its parameters, and the conferences to narrow to."""
    listed = [c for c in COMMANDS if c.name != "help"]
    return Answer(
        kind="help",
        title="confbot commands",
        text="Ask about the conference talks.",
        fields=(
            *(Field(command.usage(), command.help or command.summary) for command in listed),
            Field(
                "--conference SLUG",
                "Narrow "
                + ", ".join(f"/{c.name}" for c in listed if c.param("conference"))
                + " to one conference"
                + (f": {', '.join(conferences)}." if conferences else "."),
            ),
        ),
        ephemeral=True,
    )


def usage_text(registry: Registry | None = None) -> str:
    """Every command with its parameters, for `confbot ask --help`."""
    lines = ["commands:"]
    for command in registry or COMMANDS:
        lines.append(f"  {command.usage()}")
        lines.append(f"      {command.help or command.summary}")
        for param in command.params:
            name = param.label if param.positional else f"--{param.name} {param.label}"
            lines.append(f"      {name:<24} {param.help}")
        for sub in command.subcommands:
            lines.append(f"      {sub.usage()}")
    return "\n".join(lines)


HELP = Command("help", "What confbot can do", (), help_command, help="This list.", slash=False)

COMMANDS = Registry(
    (
        TALK,
        SPEAKER,
        NUGGET,
        SEARCH,
        NOW,
        NEXT,
        SCHEDULE,
        FOLLOW,
        UNFOLLOW,
        AGENDA,
        CONFERENCE,
        SOURCE,
        WISDOM,
        REMIND,
        PROGRAMME,
        HELP,
    ),
    messages=(SAVE_AS_NUGGET,),
)
