"""/nugget: a random nugget of wisdom, optionally by a speaker or from a talk.

Both options autocomplete (speaker names, talk titles). With both given, the talk wins: its
nuggets are all by its speakers. The answer has an "Another one" button that asks again with
the same filter.
"""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.ext import commands

from bot.core import MAX_QUERY_LENGTH
from bot.frontends.discord.bot import ConfBot

Query = app_commands.Range[str, 1, MAX_QUERY_LENGTH]


class Nuggets(commands.Cog):
    """Nuggets of wisdom on demand."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot

    @app_commands.command(name="nugget", description="A random nugget of wisdom from the talks")
    @app_commands.describe(
        speaker="Only nuggets by this speaker", talk="Only nuggets from this talk"
    )
    async def nugget(
        self,
        interaction: Interaction[ConfBot],
        speaker: Query | None = None,
        talk: Query | None = None,
    ) -> None:
        query = talk or speaker or ""
        await self.bot.send_answer(interaction, lambda: self.bot.core.nugget(query))

    @nugget.autocomplete("speaker")
    async def nugget_speaker(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(interaction, lambda: self.bot.core.suggest_speakers(current))

    @nugget.autocomplete("talk")
    async def nugget_talk(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(interaction, lambda: self.bot.core.suggest_talks(current))


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, ConfBot)
    await bot.add_cog(Nuggets(bot))
