"""The Discord bot: slash commands over the command core, and the post loop (daily wisdom and
talk reminders).

`ConfBot` holds no command logic and no SQL: commands call `Core` and render the `Answer` they
get (`components.Renderer`). Every command, the admin groups /wisdom and /remind too, is
generated from the command table (`slash.py`); the bot registers its wisdom and reminder
services as `core.delivery["discord"]` for them. A click replays the invocation it carries.
It is built from outside with an open `Database` and `Core` (nothing happens at import).
Intents are minimal (guilds only: no privileged intent), mentions are off for everything the
bot sends, and `ConfTree.on_error` is the one place errors are handled: logged with their
traceback, answered with one short ephemeral line.

The error handler is `errors.ConfTree`; running, syncing and inviting are in `serve.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
from discord import app_commands
from discord.ext import commands

from bot.answer import Answer
from bot.clock import Clock
from bot.commands.delivery import Delivery
from bot.commands.invocation import Invocation, Stash, Unpacked
from bot.config import DiscordSettings
from bot.core import Core
from bot.delivery.agenda_service import AgendaService
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.model import Poster
from bot.delivery.outcome_log import log_run
from bot.delivery.reminder_service import ReminderService
from bot.delivery.runner import Runner
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.discord.callback import EDIT, SEND, ChoicePayloads, respond, respond_choices
from bot.frontends.discord.callers import caller_of
from bot.frontends.discord.components import DYNAMIC_ITEMS, Renderer
from bot.frontends.discord.errors import (
    DEFERRED,
    AutocompleteFailed,
    ComponentFailed,
    ConfTree,
    interaction_name,
)
from bot.frontends.discord.late import LateAnswers
from bot.frontends.discord.poster import DiscordPoster
from bot.logs import person
from bot.reminders import ReminderOutcome, ReminderPost
from bot.store.db import Database
from bot.wisdom import DEFAULT_GRACE, Outcome, WisdomPost

log = logging.getLogger("confbot.discord")

EXTENSIONS: tuple[str, ...] = ("bot.frontends.discord.slash",)
FRONTEND = "discord"

WisdomFactory = Callable[[Database, Poster[WisdomPost]], WisdomService]
ReminderFactory = Callable[[Database, Poster[ReminderPost]], ReminderService]
Produce = Callable[[], Awaitable[Answer]]
SuggestionSource = Callable[[], Awaitable[Sequence[Any]]]
T = TypeVar("T")


def quiet_voice() -> None:
    """Slash commands need no voice: no warning at start that voice libraries are missing."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class ConfBot(commands.Bot):
    """The confbot Discord client. Pass the open `Database` and `Core`; they are not closed here.

    `core`/`db` may be None only for `sync_commands`, which needs the command definitions and
    nothing else. `clock`, `wisdom_factory` and `reminders_factory` let tests run the post loop
    (daily wisdom, then talk reminders; `start_wisdom` and `wisdom_interval` are for both) on
    simulated time; `wake_wisdom()` / `wake_reminders()` run the loop now instead of at its
    next tick.
    """

    def __init__(
        self,
        core: Core | None,
        db: Database | None,
        settings: DiscordSettings | None = None,
        *,
        clock: Clock | None = None,
        wisdom_factory: WisdomFactory | None = None,
        reminders_factory: ReminderFactory | None = None,
        wisdom_grace: timedelta = DEFAULT_GRACE,
        wisdom_interval: float = 60.0,
        start_wisdom: bool = True,
        guild_ready_timeout: float = 1.0,
        answer_timeout: float = 2.0,
        autocomplete_timeout: float = 2.0,
        extensions: Sequence[str] = EXTENSIONS,
    ) -> None:
        quiet_voice()
        intents = discord.Intents.none()
        intents.guilds = True  # channel and permission cache; nothing privileged
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            tree_cls=ConfTree,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
        )
        self._core = core
        self.db = db
        self.settings = settings
        self.clock = clock
        self.wisdom_grace = wisdom_grace
        self.wisdom_interval = wisdom_interval
        self.late = LateAnswers(answer_timeout)  # answers past it are deferred
        self.autocomplete_timeout = autocomplete_timeout
        self.stash = Stash()
        self.render = Renderer()
        self.choice_payloads = ChoicePayloads()
        self.served = 0
        self._extensions = tuple(extensions)
        self.poster = DiscordPoster(self)
        self.wisdom: WisdomService | None = None
        self.reminders: ReminderService | None = None
        self.announcements: AnnouncementService | None = None
        if db is not None:
            factory = wisdom_factory or self._default_wisdom
            self.wisdom = factory(db, self.poster)
            self.reminders = (reminders_factory or self._default_reminders)(db, self.poster)
        self.agenda: AgendaService | None = None
        if db is not None:  # personal agenda DMs (/follow, /agenda)
            self.agenda = AgendaService(
                db,
                self.poster,
                frontend=FRONTEND,
                clock=clock,
                log=logging.getLogger("confbot.discord.agenda"),
                on_pause=core.notices.add if core is not None else None,
            )
            self.announcements = AnnouncementService(
                db,
                self.poster,
                frontend=FRONTEND,
                clock=clock,
                log=logging.getLogger("confbot.discord.announcements"),
            )
        if core is not None:  # what /wisdom, /remind and /programme on Discord manage
            core.delivery[FRONTEND] = Delivery(self.wisdom, self.reminders, self.announcements)
        self._start_wisdom = start_wisdom and (
            self.wisdom is not None or self.reminders is not None
        )
        self.runner = Runner(
            [
                s
                for s in (self.wisdom, self.reminders, self.announcements, self.agenda)
                if s is not None
            ],
            clock=clock,
            interval=wisdom_interval,
            report=self._report,
        )
        if self.announcements is not None:  # a followed source's import wakes the loop
            self.announcements.waker = self.runner.wake
        self._wisdom_task: asyncio.Task[None] | None = None  # the post loop

    def _default_wisdom(self, db: Database, poster: Poster[WisdomPost]) -> WisdomService:
        return WisdomService(
            db,
            poster,
            frontend=FRONTEND,
            clock=self.clock,
            grace=self.wisdom_grace,
            log=logging.getLogger("confbot.discord.wisdom"),
        )

    def _default_reminders(self, db: Database, poster: Poster[ReminderPost]) -> ReminderService:
        return ReminderService(
            db,
            poster,
            frontend=FRONTEND,
            clock=self.clock,
            log=logging.getLogger("confbot.discord.reminders"),
        )

    @property
    def core(self) -> Core:
        if self._core is None:
            raise RuntimeError("this ConfBot was built without a Core (sync only)")
        return self._core

    # -- lifecycle -----------------------------------------------------------------------

    async def setup_hook(self) -> None:
        for extension in self._extensions:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        if self._start_wisdom:
            self._wisdom_task = asyncio.create_task(self.runner.run(), name="confbot-wisdom")
        log.info(
            "loaded %d slash commands: %s",
            len(self.tree.get_commands()),
            ", ".join(sorted(c.name for c in self.tree.get_commands())),
        )

    async def close(self) -> None:
        task, self._wisdom_task = self._wisdom_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.runner.cancel_waiters()
        await super().close()

    async def on_ready(self) -> None:
        user = self.user
        names = ", ".join(f"{g.name} ({g.id})" for g in self.guilds[:20])
        more = f" and {len(self.guilds) - 20} more" if len(self.guilds) > 20 else ""
        log.info(
            "ready as %s (id %s) in %d guild(s): %s%s",
            user,
            user.id if user else "?",
            len(self.guilds),
            names or "none",
            more,
        )

    async def on_resumed(self) -> None:
        log.info("gateway session resumed")

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined guild %s (%s)", guild.name, guild.id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        log.info("left guild %s (%s)", guild.name, guild.id)

    # -- answering -----------------------------------------------------------------------

    async def send_answer(
        self,
        interaction: discord.Interaction[Any],
        produce: Produce,
        *,
        edit: bool = False,
        ephemeral: bool = False,
    ) -> Answer:
        """Answer the interaction with what `produce` returns, in one callback when it comes
        within the answer timeout (`self.late`), else after a deferral.

        `edit` replaces the message a component is on (not for an ephemeral answer to a public
        message: that is sent to the clicker alone); `ephemeral` forces an ephemeral reply.
        """
        deferral: asyncio.Task[Any] | None = None

        def running_late() -> None:
            nonlocal deferral
            if edit:
                interaction.extras[DEFERRED] = "update"
                deferral = asyncio.ensure_future(interaction.response.defer())
            else:
                interaction.extras[DEFERRED] = "private" if ephemeral else "public"
                deferral = asyncio.ensure_future(
                    interaction.response.defer(ephemeral=ephemeral, thinking=True)
                )

        waiting = self.late.watch(running_late)
        try:
            answer = await produce()
        finally:
            self.late.done(waiting)
            if deferral is not None:
                await deferral
        if deferral is not None:
            rendered = self.render(answer, self.stash)
            await interaction.edit_original_response(embed=rendered.embed, view=rendered.view)
            interaction.extras[DEFERRED] = "answered"
            self._log_served(interaction, answer)
            return answer
        rendered = self.render(answer, self.stash)
        if edit and (ephemeral or not rendered.ephemeral):
            await respond(interaction, rendered, EDIT)
        else:
            await respond(interaction, rendered, SEND, ephemeral=ephemeral or rendered.ephemeral)
        self._log_served(interaction, answer)
        return answer

    def _log_served(self, interaction: discord.Interaction[Any], answer: Answer) -> None:
        self.served += 1
        if log.isEnabledFor(logging.INFO):  # the name and the hash are not free
            log.info(
                "served %s (%s) for %s in guild %s",
                interaction_name(interaction),
                answer.kind,
                person(interaction.user.id),
                interaction.guild_id or "DM",
            )

    async def suggest(
        self, interaction: discord.Interaction[Any], source: SuggestionSource
    ) -> list[app_commands.Choice[str]]:
        """Answer an autocomplete with choices from the core, fast: none rather than a late
        answer (autocomplete cannot be deferred). Returns [] for discord.py, which sends
        nothing more once the interaction is answered."""
        try:
            async with asyncio.timeout(self.autocomplete_timeout):
                choices = await source()
        except TimeoutError:
            log.warning("autocomplete for %s took too long", interaction_name(interaction))
            return []
        except Exception as error:
            await self.tree.on_error(interaction, AutocompleteFailed(error))
            return []
        await respond_choices(interaction, self.choice_payloads(choices))
        return []

    async def handle_component(
        self, interaction: discord.Interaction[Any], found: Unpacked | None, *, edit: bool
    ) -> None:
        """A click on one of our buttons or select menus (see `embeds.DYNAMIC_ITEMS`): the
        invocation it carries, replayed for the clicker (an admin's Approve passes the
        registry's admin check; anyone else's is refused there)."""
        try:
            invocation = found.invocation if found is not None else None
            if invocation is None:
                await interaction.response.send_message(
                    "That button has expired; run the command again.", ephemeral=True
                )
                return
            message = interaction.message
            command = self.core.commands.get(invocation.command)
            # A private command's answer ("Remind me": the clicker's agenda) stays private,
            # also when it is late and deferred.
            private = (message is not None and message.flags.ephemeral) or (
                command is not None and command.private
            )
            caller = caller_of(interaction)  # the server's conferences, as they are now
            await self.send_answer(
                interaction,
                lambda: self.core.run(invocation, caller),
                edit=edit,
                ephemeral=private,
            )
        except Exception as error:
            await self.tree.on_error(interaction, ComponentFailed(error))

    async def submit_form(
        self, interaction: discord.Interaction[Any], invocation: Invocation
    ) -> None:
        """A submitted form (`forms.FormModal`): its invocation with the typed values."""
        caller = caller_of(interaction)
        await self.send_answer(
            interaction, lambda: self.core.run(invocation, caller), ephemeral=True
        )

    # -- the post loop: daily wisdom and talk reminders -----------------------------------

    def wake_wisdom(self) -> asyncio.Future[list[Outcome]]:
        """Run the post loop now; the future gets that run's daily wisdom outcomes."""
        return self._wake(self.wisdom)

    def wake_reminders(self) -> asyncio.Future[list[ReminderOutcome]]:
        """Run the post loop now; the future gets that run's reminder outcomes."""
        return self._wake(self.reminders)

    def wake_agenda(self) -> asyncio.Future[list[Any]]:
        """Run the post loop now; the future gets that run's agenda DM results."""
        return self._wake(self.agenda)

    def _wake(self, service: object) -> asyncio.Future[Any]:
        """Wake the runner; the future gets `service`'s outcomes of that run."""
        picked: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        index = next((i for i, s in enumerate(self.runner.services) if s is service), None)

        def pick(run: asyncio.Future[list[Sequence[Any]]]) -> None:
            if picked.done():
                return
            if run.cancelled():
                picked.cancel()
            else:
                picked.set_result([] if index is None else list(run.result()[index]))

        self.runner.wake().add_done_callback(pick)
        return picked

    def _report(self, index: int, outcomes: Sequence[Any]) -> None:
        log_run(log, outcomes)
