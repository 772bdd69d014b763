"""/talk, /speaker and /search: find talks and speakers, with autocomplete on the query.

/talk takes an optional conference (the slug of a timed conference, autocompleted).

The answers come from the command core; an ambiguous /talk or /speaker comes back as a list of
choices, shown as a select menu whose pick replaces the message with the chosen talk.
"""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.ext import commands

from bot.core import MAX_QUERY_LENGTH
from bot.frontends.discord.bot import ConfBot

Query = app_commands.Range[str, 1, MAX_QUERY_LENGTH]
Conference = app_commands.Range[str, 1, 100]


class Talks(commands.Cog):
    """Talks, speakers and full-text search."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot

    @app_commands.command(name="talk", description="Find a talk by title, speaker, kind or words")
    @app_commands.describe(
        query="A title, a speaker, a kind such as keynote, or a few words",
        conference="Only this conference (its short name)",
    )
    async def talk(
        self, interaction: Interaction[ConfBot], query: Query, conference: Conference | None = None
    ) -> None:
        slug = conference.strip().lower() or None if conference else None
        await self.bot.send_answer(interaction, lambda: self.bot.core.talk(query, slug))

    @talk.autocomplete("query")
    async def talk_query(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(interaction, lambda: self.bot.core.suggest_talks(current))

    @talk.autocomplete("conference")
    async def talk_conference(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_conferences(current)
        )

    @app_commands.command(name="speaker", description="Who a speaker is and what they talked about")
    @app_commands.describe(query="A first name, a last name or a full name")
    async def speaker(self, interaction: Interaction[ConfBot], query: Query) -> None:
        await self.bot.send_answer(interaction, lambda: self.bot.core.speaker(query))

    @speaker.autocomplete("query")
    async def speaker_query(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(interaction, lambda: self.bot.core.suggest_speakers(current))

    @app_commands.command(
        name="search", description="Search titles, summaries, nuggets and transcripts"
    )
    @app_commands.describe(text="Words to look for, e.g. crontab")
    async def search(self, interaction: Interaction[ConfBot], text: Query) -> None:
        await self.bot.send_answer(interaction, lambda: self.bot.core.search(text))


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, ConfBot)
    await bot.add_cog(Talks(bot))
