"""The ceiling discord.py itself allows: a minimal `commands.Bot` whose slash commands answer a
constant embed, with the same command and option names the burst fires (/talk with its
autocomplete, /search, /speaker, /nugget). `bench.discord_burst` runs it against the same fake
as confbot and prints confbot's throughput as a share of this bot's.

Two ways to answer: `send_message`, discord.py's public call (which asks Discord for the
message back and parses it), and `lean`, the callback confbot itself answers with
(`bot/frontends/discord/callback.py`: no message back). The first is the goal's reference;
the second, like for like, shows what confbot's own code costs beyond discord.py's.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answer import Choice
from bot.frontends.discord.callback import SEND, ChoicePayloads, respond, respond_choices
from bot.frontends.discord.components import Rendered

EMBED = discord.Embed(title="An answer", description="The same constant answer every time.")
RENDERED = Rendered(EMBED, None, False)
CHOICES = [app_commands.Choice(name=f"Talk {n}", value=f"talk-{n}") for n in range(10)]
CHOICES_BODY = ChoicePayloads()([Choice(f"Talk {n}", "talk", f"talk-{n}") for n in range(10)])


async def _answer(interaction: discord.Interaction[TrivialBot]) -> None:
    if interaction.client.lean:
        await respond(interaction, RENDERED, SEND)
    else:
        await interaction.response.send_message(embed=EMBED)


@app_commands.command(name="talk", description="A talk")
async def talk(interaction: discord.Interaction[TrivialBot], query: str) -> None:
    await _answer(interaction)


@talk.autocomplete("query")
async def talk_choices(
    interaction: discord.Interaction[TrivialBot], current: str
) -> list[app_commands.Choice[str]]:
    if interaction.client.lean:
        await respond_choices(interaction, CHOICES_BODY)
        return []  # answered: discord.py sends nothing more
    return CHOICES


@app_commands.command(name="search", description="Search")
async def search(interaction: discord.Interaction[TrivialBot], text: str) -> None:
    await _answer(interaction)


@app_commands.command(name="speaker", description="A speaker")
async def speaker(interaction: discord.Interaction[TrivialBot], query: str) -> None:
    await _answer(interaction)


nugget = app_commands.Group(name="nugget", description="Nuggets")  # as confbot's /nugget


@nugget.command(name="random", description="A nugget")
async def random_nugget(
    interaction: discord.Interaction[TrivialBot], speaker: str | None = None
) -> None:
    await _answer(interaction)


class TrivialBot(commands.Bot):
    """Intents, caches and mentions as confbot's bot sets them; nothing else."""

    def __init__(self, *, lean: bool = False) -> None:
        self.lean = lean
        discord.VoiceClient.warn_nacl = False
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
        )
        self.tree.add_command(talk)
        self.tree.add_command(search)
        self.tree.add_command(speaker)
        self.tree.add_command(nugget)


async def serve_trivial(token: str, guild_id: int, *, lean: bool = False) -> None:
    """Log in, sync the commands to `guild_id` and serve until cancelled (the endpoints are
    the ones discord.py is pointed at); `lean` answers as confbot does."""
    bot = TrivialBot(lean=lean)
    async with bot:
        await bot.login(token)
        guild = discord.Object(id=guild_id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        await bot.connect(reconnect=True)
