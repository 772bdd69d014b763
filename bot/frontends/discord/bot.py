"""The Discord bot: slash commands over the command core, and the post loop (daily wisdom and
talk reminders).

`ConfBot` holds no command logic and no SQL: commands call `Core` (and the wisdom and reminder
services)
and render the `Answer` they get (`embeds.render`). It is built from outside with an open
`Database` and `Core` (nothing happens at import). Intents are minimal (guilds only: no
privileged intent), mentions are off for everything the bot sends, and `ConfTree.on_error` is
the one place errors are handled: logged with their traceback, answered with one short
ephemeral line.

`serve` runs the bot until it is stopped; `sync_commands` registers the slash commands (to a
dev guild or globally: deliberately, not on every start); `invite_url` is the OAuth2 link with
the scopes and permissions the bot needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from discord import app_commands
from discord.ext import commands

from bot.answer import Answer
from bot.clock import Clock
from bot.config import DiscordSettings
from bot.core import Core
from bot.delivery.model import Poster
from bot.delivery.reminder_service import ReminderService
from bot.delivery.runner import Runner
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.discord.embeds import (
    DYNAMIC_ITEMS,
    Ask,
    QueryStash,
    autocomplete_choices,
    render,
    short_line,
)
from bot.frontends.discord.poster import DiscordPoster
from bot.reminders import ReminderOutcome, ReminderPost
from bot.store.db import Database
from bot.wisdom import DEFAULT_GRACE, Outcome, WisdomPost

log = logging.getLogger("confbot.discord")

EXTENSIONS: tuple[str, ...] = (
    "bot.frontends.discord.cogs.talks",
    "bot.frontends.discord.cogs.programme",
    "bot.frontends.discord.cogs.nuggets",
    "bot.frontends.discord.cogs.wisdom",
    "bot.frontends.discord.cogs.reminders",
)
FRONTEND = "discord"
TOKEN_REJECTED = "Discord rejected the token (401): check DISCORD_TOKEN"
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True
)
INVITE_SCOPES = ("bot", "applications.commands")
DEFERRED = "confbot_deferred"  # interaction.extras key: how the answer was deferred, if it was
ERROR_LINE = "Sorry, something went wrong while answering that. It has been logged."

WisdomFactory = Callable[[Database, Poster[WisdomPost]], WisdomService]
ReminderFactory = Callable[[Database, Poster[ReminderPost]], ReminderService]
Produce = Callable[[], Awaitable[Answer]]
SuggestionSource = Callable[[], Awaitable[Sequence[Any]]]
T = TypeVar("T")


def _quiet_voice() -> None:
    """Slash commands need no voice: no warning at start that voice libraries are missing."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class DiscordStartError(RuntimeError):
    """The bot could not start; `str(error)` is one line fit for the operator (no token)."""


class AutocompleteFailed(app_commands.AppCommandError):
    """An autocomplete callback raised `original`."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"autocomplete failed: {type(original).__name__}")
        self.original = original


class ComponentFailed(app_commands.AppCommandError):
    """A button or select menu callback raised `original`."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(f"component failed: {type(original).__name__}")
        self.original = original


def _interaction_name(interaction: discord.Interaction[Any]) -> str:
    command = interaction.command
    if command is not None:
        return f"/{command.qualified_name}"
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    if custom_id:
        return f"component {str(custom_id)[:40]!r}"
    name = data.get("name") if isinstance(data, dict) else None
    return f"/{name}" if name else f"interaction {interaction.type.name}"


class ConfTree(app_commands.CommandTree["ConfBot"]):
    """The command tree whose `on_error` is the single error handler of the bot."""

    async def on_error(
        self, interaction: discord.Interaction[ConfBot], error: app_commands.AppCommandError, /
    ) -> None:
        original: BaseException = getattr(error, "original", None) or error
        name = _interaction_name(interaction)
        if isinstance(error, app_commands.MissingPermissions):
            wanted = ", ".join(
                p.replace("_", " ").replace("guild", "server").title()
                for p in error.missing_permissions
            )
            line = f"You need the {wanted} permission to use {name}."
            log.info("refused %s for user %s: missing %s", name, interaction.user.id, wanted)
        elif isinstance(error, app_commands.NoPrivateMessage):
            line = f"{name} only works in a server channel."
        elif isinstance(error, app_commands.CheckFailure):
            line = f"You cannot use {name} here."
            log.info("refused %s for user %s: %s", name, interaction.user.id, error)
        elif isinstance(error, app_commands.TransformerError):
            line = "I could not use that option value; pick one from the list."
            log.info("%s: bad option value: %s", name, error)
        elif isinstance(
            error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch
        ):
            line = "This command is out of date; ask an admin to run confbot sync."
            log.warning("%s: %s (commands need a sync)", name, error)
        else:
            line = ERROR_LINE
            log.error(
                "%s failed for user %s in guild %s",
                name,
                interaction.user.id,
                interaction.guild_id,
                exc_info=(type(original), original, original.__traceback__),
            )
        await self._answer_error(interaction, line)

    async def _answer_error(self, interaction: discord.Interaction[ConfBot], line: str) -> None:
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                if not interaction.response.is_done():
                    await interaction.response.autocomplete([])
                return
            if interaction.is_expired():
                return
            text = short_line(line)
            if interaction.response.is_done():
                if interaction.extras.get(DEFERRED) == "public":
                    # A followup would take the place of the public "thinking…" message and
                    # show the error to everyone: remove that message first.
                    with contextlib.suppress(discord.HTTPException):
                        await interaction.delete_original_response()
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as failure:
            log.warning("could not tell the user about the error: %s", failure)


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
        _quiet_voice()
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
        self.answer_timeout = answer_timeout
        self.autocomplete_timeout = autocomplete_timeout
        self.stash = QueryStash()
        self.served = 0
        self._extensions = tuple(extensions)
        self.poster = DiscordPoster(self)
        self.wisdom: WisdomService | None = None
        self.reminders: ReminderService | None = None
        if db is not None:
            factory = wisdom_factory or self._default_wisdom
            self.wisdom = factory(db, self.poster)
            self.reminders = (reminders_factory or self._default_reminders)(db, self.poster)
        self._start_wisdom = start_wisdom and (
            self.wisdom is not None or self.reminders is not None
        )
        self.runner = Runner(
            [s for s in (self.wisdom, self.reminders) if s is not None],
            clock=clock,
            interval=wisdom_interval,
            report=self._report,
        )
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
        within `answer_timeout` seconds, else after a deferral.

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

        timer = asyncio.get_running_loop().call_later(self.answer_timeout, running_late)
        try:
            answer = await produce()
        finally:
            timer.cancel()
            if deferral is not None:
                await deferral
        if deferral is not None:
            rendered = render(answer, self.stash)
            await interaction.edit_original_response(embed=rendered.embed, view=rendered.view)
            interaction.extras[DEFERRED] = "answered"
            self._log_served(interaction, answer)
            return answer
        rendered = render(answer, self.stash)
        if edit and (ephemeral or not rendered.ephemeral):
            await interaction.response.edit_message(embed=rendered.embed, view=rendered.view)
        elif rendered.view is not None:
            await interaction.response.send_message(
                embed=rendered.embed, view=rendered.view, ephemeral=ephemeral or rendered.ephemeral
            )
        else:
            await interaction.response.send_message(
                embed=rendered.embed, ephemeral=ephemeral or rendered.ephemeral
            )
        self._log_served(interaction, answer)
        return answer

    def _log_served(self, interaction: discord.Interaction[Any], answer: Answer) -> None:
        self.served += 1
        log.info(
            "served %s (%s) for user %s in guild %s",
            _interaction_name(interaction),
            answer.kind,
            interaction.user.id,
            interaction.guild_id or "DM",
        )

    async def suggest(
        self, interaction: discord.Interaction[Any], source: SuggestionSource
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete choices from the core, fast: an empty list rather than a late answer
        (autocomplete cannot be deferred)."""
        try:
            choices = await asyncio.wait_for(source(), self.autocomplete_timeout)
        except TimeoutError:
            log.warning("autocomplete for %s took too long", _interaction_name(interaction))
            return []
        except Exception as error:
            await self.tree.on_error(interaction, AutocompleteFailed(error))
            return []
        return autocomplete_choices(choices)

    async def ask_core(self, ask: Ask) -> Answer:
        """What a button or a select option asks."""
        query = ask.query or ""
        if ask.command == "talk":
            return await self.core.talk(query)
        if ask.command == "speaker":
            return await self.core.speaker(query)
        if ask.command == "nugget":
            return await self.core.nugget(query)
        return await self.core.search(query, ask.page or 1)

    async def handle_component(
        self, interaction: discord.Interaction[Any], ask: Ask | None, *, edit: bool
    ) -> None:
        """A click on one of our buttons or select menus (see `embeds.DYNAMIC_ITEMS`)."""
        try:
            if ask is None or ask.query is None:
                await interaction.response.send_message(
                    "That button has expired; run the command again.", ephemeral=True
                )
                return
            message = interaction.message
            private = message is not None and message.flags.ephemeral
            await self.send_answer(
                interaction, lambda: self.ask_core(ask), edit=edit, ephemeral=private
            )
        except Exception as error:
            await self.tree.on_error(interaction, ComponentFailed(error))

    # -- the post loop: daily wisdom and talk reminders -----------------------------------

    def wake_wisdom(self) -> asyncio.Future[list[Outcome]]:
        """Run the post loop now; the future gets that run's daily wisdom outcomes."""
        return self._wake(self.wisdom)

    def wake_reminders(self) -> asyncio.Future[list[ReminderOutcome]]:
        """Run the post loop now; the future gets that run's reminder outcomes."""
        return self._wake(self.reminders)

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
        service = self.runner.services[index]
        for outcome in outcomes:
            (log_outcome if service is self.wisdom else log_reminder)(outcome)


def log_outcome(outcome: Outcome) -> None:
    level = logging.INFO if outcome.kind in ("sent", "recovered", "skipped") else logging.WARNING
    log.log(
        level,
        "daily wisdom %s: channel %s, %s%s%s",
        outcome.kind,
        outcome.channel_id,
        outcome.local_date,
        f", message {outcome.message_id}" if outcome.message_id else "",
        f" ({outcome.detail})" if outcome.detail and outcome.kind != "sent" else "",
    )


def log_reminder(outcome: ReminderOutcome) -> None:
    level = logging.INFO if outcome.kind in ("sent", "recovered", "skipped") else logging.WARNING
    log.log(
        level,
        "reminder %s: channel %s, %r%s%s",
        outcome.kind,
        outcome.channel_id,
        outcome.title,
        f", message {outcome.message_id}" if outcome.message_id else "",
        f" ({outcome.detail})" if outcome.detail else "",
    )


# --------------------------------------------------------------------------------------------
# Running, syncing, inviting


class RedactToken(logging.Filter):
    """Replaces the token wherever it would appear in a log line."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "[token]")
            record.args = None
        return True


@contextlib.contextmanager
def redacting(token: str) -> Iterator[None]:
    """Keep `token` out of every log handler of the root logger while inside."""
    flt = RedactToken(token)
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(flt)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(flt)


@contextlib.contextmanager
def discord_endpoints(api_base: str | None, gateway_url: str | None) -> Iterator[None]:
    """Point discord.py at another REST base / gateway (a proxy, or a local fake); restore the
    previous ones on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def _public(url: str) -> str:
    """A URL without any user:password a proxy URL may carry."""
    try:
        return str(yarl.URL(url).with_user(None))
    except (TypeError, ValueError):
        return "the configured URL"


async def _login(bot: discord.Client, settings: DiscordSettings) -> None:
    token = settings.token.reveal()
    if not token.strip():
        raise DiscordStartError("DISCORD_TOKEN is empty: set it to the bot token")
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise DiscordStartError(TOKEN_REJECTED) from None
    except discord.HTTPException as error:
        raise DiscordStartError(
            f"Discord refused the login ({error.status}): {error.text[:200]}"
        ) from None
    except (aiohttp.ClientError, OSError) as error:
        raise DiscordStartError(
            f"cannot reach the Discord API at {_public(discord.http.Route.BASE)}: "
            f"{type(error).__name__}"
        ) from None


async def serve(
    core: Core,
    db: Database,
    settings: DiscordSettings,
    *,
    clock: Clock | None = None,
    wisdom_grace: timedelta = DEFAULT_GRACE,
    guild_ready_timeout: float = 1.0,
) -> None:
    """Run the Discord bot until cancelled (or the connection is lost for good).

    Raises DiscordStartError, with one line for the operator, when the token is missing or
    rejected or Discord cannot be reached.
    """
    token = settings.token.reveal()
    with redacting(token), discord_endpoints(settings.api_base, settings.gateway_url):
        bot = ConfBot(
            core,
            db,
            settings,
            clock=clock,
            wisdom_grace=wisdom_grace,
            guild_ready_timeout=guild_ready_timeout,
        )
        async with bot:
            started = time.monotonic()
            await _login(bot, settings)
            log.info(
                "logged in to %s in %.1fs; connecting to the gateway",
                _public(discord.http.Route.BASE),
                time.monotonic() - started,
            )
            try:
                await bot.connect(reconnect=True)
            except discord.ConnectionClosed as error:
                if error.code == 4004:
                    raise DiscordStartError(TOKEN_REJECTED) from None
                raise DiscordStartError(
                    f"Discord closed the gateway connection ({error.code})"
                ) from None
            except discord.PrivilegedIntentsRequired:
                raise DiscordStartError("Discord refused the gateway intents") from None
            except (discord.GatewayNotFound, aiohttp.ClientError, OSError) as error:
                raise DiscordStartError(
                    f"cannot reach the Discord gateway: {type(error).__name__}"
                ) from None
            finally:
                log.info("stopped after serving %d command(s)", bot.served)


async def sync_commands(settings: DiscordSettings, guild_id: int | None) -> list[str]:
    """Register the slash commands: copied to `guild_id` (instant, for a dev guild) or
    globally (None). Returns the names Discord now has."""
    token = settings.token.reveal()
    with redacting(token), discord_endpoints(settings.api_base, settings.gateway_url):
        bot = ConfBot(None, None, settings, start_wisdom=False)
        async with bot:
            await _login(bot, settings)
            if guild_id is not None:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                where = f"guild {guild_id}"
            else:
                synced = await bot.tree.sync()
                where = "globally"
            names = [command.name for command in synced]
            log.info("synced %d command(s) %s: %s", len(names), where, ", ".join(names))
            return names


async def fetch_application_id(settings: DiscordSettings) -> int:
    """The application id of the token's bot (for `invite_url`), asked of Discord."""
    token = settings.token.reveal()
    with redacting(token), discord_endpoints(settings.api_base, settings.gateway_url):
        _quiet_voice()
        client = discord.Client(intents=discord.Intents.none())
        async with client:
            await _login(client, settings)
            application_id = client.application_id
            if application_id is None:
                application_id = (await client.application_info()).id
            return application_id


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot to a server with the scopes and permissions it needs:
    bot + applications.commands; View Channel, Send Messages, Embed Links, Read Message
    History (the last to check whether a daily post went out before a restart)."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )
