"""Option helpers the admin cogs share with the generated programme commands.

The /now, /next and /schedule commands themselves are generated from the command table
(`bot.frontends.discord.slash`); what is left here is what cogs/reminders.py imports.
"""

from __future__ import annotations

from discord import Interaction

from bot.commands.params import CONFERENCE, ROOM
from bot.frontends.discord.bot import ConfBot

ROOM_HELP = ROOM.help
CONFERENCE_HELP = CONFERENCE.help


def conference_slug(conference: str | None) -> str | None:
    """The slug option as the core wants it: trimmed, lower case, None when not given."""
    slug = (conference or "").strip().lower()
    return slug or None


def chosen_conference(interaction: Interaction[ConfBot]) -> str | None:
    """The conference option already filled in, to narrow another option's autocomplete."""
    value = getattr(interaction.namespace, "conference", None)
    return conference_slug(value if isinstance(value, str) else None)
