"""/now, /next and /schedule: the live programme of the timed conferences.

The answers come from the command core (`core.programme`); each listed talk is a choice, shown
as a select menu whose pick shows that talk. Room, day and conference autocomplete from the
timed talks in the store.
"""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.ext import commands

from bot.frontends.discord.bot import ConfBot

Room = app_commands.Range[str, 1, 100]
Day = app_commands.Range[str, 1, 40]
Conference = app_commands.Range[str, 1, 100]

ROOM_HELP = "Part of a room name, e.g. curie"
CONFERENCE_HELP = "Only this conference (its short name)"


def conference_slug(conference: str | None) -> str | None:
    """The slug option as the core wants it: trimmed, lower case, None when not given."""
    slug = (conference or "").strip().lower()
    return slug or None


def chosen_conference(interaction: Interaction[ConfBot]) -> str | None:
    """The conference option already filled in, to narrow another option's autocomplete."""
    value = getattr(interaction.namespace, "conference", None)
    return conference_slug(value if isinstance(value, str) else None)


class Programme(commands.Cog):
    """What's on now, what's next, and a day's schedule."""

    def __init__(self, bot: ConfBot) -> None:
        self.bot = bot

    @app_commands.command(name="now", description="What's on right now")
    @app_commands.describe(room=ROOM_HELP, conference=CONFERENCE_HELP)
    async def now(
        self,
        interaction: Interaction[ConfBot],
        room: Room | None = None,
        conference: Conference | None = None,
    ) -> None:
        slug = conference_slug(conference)
        await self.bot.send_answer(
            interaction, lambda: self.bot.core.programme.now(room or "", slug)
        )

    @app_commands.command(name="next", description="What's next, in each room")
    @app_commands.describe(room=ROOM_HELP, conference=CONFERENCE_HELP)
    async def next(
        self,
        interaction: Interaction[ConfBot],
        room: Room | None = None,
        conference: Conference | None = None,
    ) -> None:
        slug = conference_slug(conference)
        await self.bot.send_answer(
            interaction, lambda: self.bot.core.programme.next(room or "", slug)
        )

    @app_commands.command(name="schedule", description="A day's programme")
    @app_commands.describe(
        day="today, tomorrow, friday, day 2 or 2019-08-22",
        room=ROOM_HELP,
        conference=CONFERENCE_HELP,
    )
    async def schedule(
        self,
        interaction: Interaction[ConfBot],
        day: Day | None = None,
        room: Room | None = None,
        conference: Conference | None = None,
    ) -> None:
        slug = conference_slug(conference)
        await self.bot.send_answer(
            interaction,
            lambda: self.bot.core.programme.schedule(day or "", room or "", slug),
        )

    @now.autocomplete("room")
    @next.autocomplete("room")
    @schedule.autocomplete("room")
    async def room_choices(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        slug = chosen_conference(interaction)
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_rooms(current, slug)
        )

    @schedule.autocomplete("day")
    async def day_choices(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        slug = chosen_conference(interaction)
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_days(current, slug)
        )

    @now.autocomplete("conference")
    @next.autocomplete("conference")
    @schedule.autocomplete("conference")
    async def conference_choices(
        self, interaction: Interaction[ConfBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.bot.suggest(
            interaction, lambda: self.bot.core.programme.suggest_conferences(current)
        )


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, ConfBot)
    await bot.add_cog(Programme(bot))
