"""The Discord front end: slash commands, autocomplete, the daily wisdom post and talk
reminders.

Build a `ConfBot` with an open `Database` and `Core` (or call `serve`); `sync_commands`
registers the slash commands and `invite_url` gives the link that adds the bot to a server.
"""

from bot.frontends.discord.bot import ConfBot
from bot.frontends.discord.serve import fetch_application_id, invite_url, serve, sync_commands
from bot.frontends.discord.start import DiscordStartError

__all__ = [
    "ConfBot",
    "DiscordStartError",
    "fetch_application_id",
    "invite_url",
    "serve",
    "sync_commands",
]
