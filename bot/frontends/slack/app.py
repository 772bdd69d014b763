"""The Slack front end: a Slack Bolt (async) app over the command core and the wisdom service.

Slash commands /talk, /speaker, /nugget, /search, /now, /next, /schedule, /wisdom and
/remind are acked at once; the answer then goes to the command's response_url through
`respond()`, as Block Kit rendered by `bot.frontends.slack.blocks` from the core's `Answer`.
Buttons re-ask the core. /wisdom and /remind are for workspace admins/owners and the users in
SLACK_ADMIN_USER_IDS. Errors are caught in one place (the app's error handler): logged with
their traceback, answered with one short ephemeral line. `serve` runs the app in Socket Mode
or HTTP mode together with the post loop (daily wisdom and talk reminders).

This module holds no SQL and no command logic: it calls `Core`, `WisdomService` and
`ReminderService`, renders and sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import reminders as remind
from bot.answer import Answer
from bot.clock import Clock
from bot.config import SlackSettings
from bot.core import Core
from bot.delivery.reminder_service import ReminderService
from bot.delivery.runner import Runner
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack.blocks import (
    ACTION_ID_PATTERN,
    answer_message,
    parse_button_value,
    replaces_original,
)
from bot.frontends.slack.poster import SlackPoster
from bot.store.db import Database
from bot.wisdom import (
    DEFAULT_GRACE,
    Outcome,
    WisdomInputError,
    input_error_answer,
    outcome_answer,
    preview_answer,
    status_answer,
    subscribed_answer,
    unsubscribed_answer,
)

log = logging.getLogger("confbot.slack")

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
FRONTEND = "slack"
POST_INTERVAL_SECONDS = 60.0
RESPOND_RETRY_MAX_SECONDS = 3.0

CORE_COMMANDS = ("/talk", "/speaker", "/nugget", "/search", "/now", "/next", "/schedule")
WISDOM_COMMAND = "/wisdom"
REMIND_COMMAND = "/remind"
REQUIRED_SCOPES = frozenset({"commands", "chat:write", "users:read"})
"""Without these the commands or the daily post cannot work (the manifest asks for more)."""

ERROR_LINE = "Sorry, something went wrong on my side. It has been logged; please try again."
REFUSAL_LINE = (
    "Only workspace admins and owners (or the users listed in SLACK_ADMIN_USER_IDS) can "
    "manage daily wisdom."
)
WISDOM_USAGE = Answer(
    kind="usage",
    title="/wisdom: a daily nugget of wisdom in a channel (admins only)",
    text=(
        "• `/wisdom subscribe [#channel] HH:MM [Zone]` — post every day at that local time, "
        "e.g. `/wisdom subscribe #general 09:00 Europe/Amsterdam` (the zone defaults to "
        "yours, the channel to this one)\n"
        "• `/wisdom unsubscribe [#channel]` — stop posting\n"
        "• `/wisdom status [#channel]` — next post, last post, last error\n"
        "• `/wisdom preview [#channel]` — the next nugget, shown only to you\n"
        "• `/wisdom now [#channel]` — post today's nugget now"
    ),
    found=False,
    ephemeral=True,
)
REMIND_REFUSAL_LINE = (
    "Only workspace admins and owners (or the users listed in SLACK_ADMIN_USER_IDS) can "
    "manage talk reminders."
)
REMIND_USAGE = Answer(
    kind="usage",
    title="/remind: talk reminders in a channel (admins only)",
    text=(
        "• `/remind subscribe [#channel] MINUTES [room NAME | track NAME] [--conference SLUG]` "
        "— post a reminder that many minutes (1 to 1440) before each talk, e.g. "
        "`/remind subscribe #general 10 room curie` (the channel defaults to this one)\n"
        "• `/remind unsubscribe [#channel]` — stop the reminders\n"
        "• `/remind status [#channel]` — next reminders, how many went out, last error\n"
        "• `/remind list` — every reminder subscription in this workspace"
    ),
    found=False,
    ephemeral=True,
)
NO_REMINDERS = Answer(
    kind="error",
    title="Reminders are not available",
    text="This bot runs without the talk reminder scheduler.",
    found=False,
    ephemeral=True,
)
NO_WISDOM = Answer(
    kind="error",
    title="Daily wisdom is not available",
    text="This bot runs without the daily wisdom scheduler.",
    found=False,
    ephemeral=True,
)

INVITE_HINT = (
    "In Slack: invite me with `/invite @confbot` in that channel (archived channels cannot "
    "get posts)."
)

_CHANNEL_REF = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


class SlackStartupError(RuntimeError):
    """Slack cannot be started (the token was refused); the message names no secret."""


@dataclass
class Stats:
    """What the Slack front end did since it started (logged at shutdown)."""

    commands: int = 0
    clicks: int = 0
    errors: int = 0
    refused_responses: int = 0


class _CannotCheck(Exception):
    """users.info failed, so whether the user is an admin is unknown."""


# -- the front end (no Bolt here: testable on its own) ---------------------------------------


class SlackFrontend:
    """Turns slash commands and clicks into core / wisdom / reminder calls and `Answer`s."""

    def __init__(
        self,
        core: Core,
        wisdom: WisdomService | None,
        settings: SlackSettings,
        client: AsyncWebClient,
        *,
        reminders: ReminderService | None = None,
    ) -> None:
        self.core = core
        self.wisdom = wisdom
        self.reminders = reminders
        self.settings = settings
        self.client = client
        self.stats = Stats()
        self.scopes: frozenset[str] | None = None

    # -- the core commands

    async def command(self, name: str, text: str) -> Answer:
        """Every core command goes through `Core.ask`, which reads "--page N" and
        "--conference SLUG" the same way the console does."""
        return await self.core.ask(f"/{name.lstrip('/').lower()} {text}")

    async def click(self, value: str) -> Answer:
        """The answer to a button whose value is ``command|query`` (see blocks)."""
        command, query, page = parse_button_value(value)
        if command == "search":
            return await self.core.search(query, page)
        return await self.command(command, query)

    # -- /wisdom

    async def wisdom_command(
        self, text: str, *, user_id: str, team_id: str, channel_id: str
    ) -> Answer:
        words = text.split()
        sub = words[0].lower() if words else ""
        args = words[1:]
        if sub not in {"subscribe", "unsubscribe", "status", "preview", "now"}:
            return WISDOM_USAGE
        refused, profile = await self._gate(user_id, WISDOM_COMMAND, sub)
        if refused is not None:
            return refused
        if self.wisdom is None:
            return NO_WISDOM
        taken = _take_channel(args, channel_id)
        if isinstance(taken, Answer):
            return taken
        channel, args = taken

        service = self.wisdom
        try:
            if sub == "subscribe":
                return await self._subscribe(
                    service,
                    args,
                    user_id=user_id,
                    team_id=team_id,
                    channel=channel,
                    profile=profile,
                )
            if args:
                return WISDOM_USAGE
            if sub == "unsubscribe":
                return unsubscribed_answer(await service.unsubscribe(channel, by=user_id))
            if sub == "status":
                return status_answer(await service.status(channel))
            if sub == "preview":
                return preview_answer(await service.preview(channel))
            outcome = await service.post_now(channel)
            _log_outcomes([outcome])
            return outcome_answer(outcome)
        except WisdomInputError as error:
            return input_error_answer(error)

    async def _subscribe(
        self,
        service: WisdomService,
        args: list[str],
        *,
        user_id: str,
        team_id: str,
        channel: str,
        profile: dict[str, Any] | None,
    ) -> Answer:
        if len(args) not in (1, 2):
            return WISDOM_USAGE
        post_time = args[0]
        zone = args[1] if len(args) == 2 else await self._user_zone(user_id, profile)
        if not zone:
            return _line_answer(
                "Add the time zone, e.g. `/wisdom subscribe 09:00 Europe/Amsterdam`.",
                title="/wisdom subscribe",
            )
        can_post = await self._can_post(channel)
        try:
            subscription = await service.subscribe(
                guild_id=team_id,
                channel_id=channel,
                post_time=post_time,
                zone=zone,
                created_by=user_id,
                can_post=can_post,
            )
        except WisdomInputError as error:
            answer = input_error_answer(error)
            if not can_post:
                answer = _replace(answer, text=f"{answer.text}\n{INVITE_HINT}")
            return answer
        return subscribed_answer(subscription, service.grace)

    # -- /remind

    async def remind_command(
        self, text: str, *, user_id: str, team_id: str, channel_id: str
    ) -> Answer:
        words = text.split()
        sub = words[0].lower() if words else ""
        args = words[1:]
        if sub not in {"subscribe", "unsubscribe", "status", "list"}:
            return REMIND_USAGE
        refused, _ = await self._gate(user_id, REMIND_COMMAND, sub)
        if refused is not None:
            return refused
        if self.reminders is None:
            return NO_REMINDERS
        service = self.reminders
        if sub == "list":
            if args:
                return REMIND_USAGE
            answer = remind.subscriptions_answer(await service.subscriptions(team_id))
            return _replace(answer, ephemeral=True)
        taken = _take_channel(args, channel_id)
        if isinstance(taken, Answer):
            return taken
        channel, args = taken
        if sub == "subscribe":
            return await self._remind_subscribe(
                service, args, user_id=user_id, team_id=team_id, channel=channel
            )
        if args:
            return REMIND_USAGE
        if sub == "unsubscribe":
            return remind.unsubscribed_answer(await service.unsubscribe(channel, by=user_id))
        return remind.status_answer(await service.status(channel))

    async def _remind_subscribe(
        self,
        service: ReminderService,
        args: list[str],
        *,
        user_id: str,
        team_id: str,
        channel: str,
    ) -> Answer:
        """MINUTES [room NAME | track NAME] [--conference SLUG]"""
        conference: str | None = None
        lowered = [arg.lower() for arg in args]
        if "--conference" in lowered:
            at = lowered.index("--conference")
            if at + 1 >= len(args):
                return REMIND_USAGE
            conference, args = args[at + 1], args[:at] + args[at + 2 :]
        if not args:
            return REMIND_USAGE
        minutes, rest = args[0], args[1:]
        kind, value = (rest[0], " ".join(rest[1:])) if rest else ("all", "")
        can_post = await self._can_post(channel)
        try:
            status = await service.subscribe(
                guild_id=team_id,
                channel_id=channel,
                minutes_before=minutes,
                created_by=user_id,
                can_post=can_post,
                conference=conference,
                filter_kind=kind,
                filter_value=value,
            )
        except remind.ReminderInputError as error:
            answer = remind.input_error_answer(error)
            if not can_post:
                answer = _replace(answer, text=f"{answer.text}\n{INVITE_HINT}")
            return answer
        return remind.subscribed_answer(status)

    # -- admins

    async def _gate(
        self, user_id: str, command: str, sub: str
    ) -> tuple[Answer | None, dict[str, Any] | None]:
        """(None, the user's profile if it was fetched) for an admin, else (the refusal, None)."""
        wisdom = command == WISDOM_COMMAND
        try:
            admin, profile = await self._is_admin(user_id)
        except _CannotCheck as error:
            return _line_answer(
                f"I could not check whether you are an admin (Slack said: {error}); "
                "please try again in a moment.",
                title="Daily wisdom" if wisdom else "Reminders",
            ), None
        if not admin:
            log.info("refused %s %s from %s: not an admin", command, sub, user_id)
            refusal = REFUSAL_LINE if wisdom else REMIND_REFUSAL_LINE
            return _line_answer(refusal, title="Not allowed"), None
        return None, profile

    async def _is_admin(self, user_id: str) -> tuple[bool, dict[str, Any] | None]:
        if user_id in self.settings.admin_user_ids:
            return True, None
        profile = await self._user(user_id)
        admin = any(profile.get(key) for key in ("is_admin", "is_owner", "is_primary_owner"))
        return admin, profile

    async def _user(self, user_id: str) -> dict[str, Any]:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            raise _CannotCheck(_error_code(error)) from error
        user = response.get("user")
        return user if isinstance(user, dict) else {}

    async def _user_zone(self, user_id: str, profile: dict[str, Any] | None) -> str | None:
        if profile is None:
            try:
                profile = await self._user(user_id)
            except _CannotCheck:
                return None
        zone = profile.get("tz")
        return zone if isinstance(zone, str) and zone else None

    async def _can_post(self, channel: str) -> bool:
        """Whether a chat.postMessage to `channel` should succeed (asked before subscribing)."""
        try:
            response = await self.client.conversations_info(channel=channel)
        except SlackApiError as error:
            code = _error_code(error)
            if code in ("channel_not_found", "is_archived"):
                return False
            log.warning("cannot check channel %s (%s); assuming I can post there", channel, code)
            return True
        info = response.get("channel")
        if not isinstance(info, dict):
            return True
        if info.get("is_archived"):
            return False
        if info.get("is_member") or info.get("is_im"):
            return True
        if info.get("is_private"):
            return False
        return "chat:write.public" in await self.granted_scopes()

    async def granted_scopes(self) -> frozenset[str]:
        """The bot token's scopes (from auth.test's X-OAuth-Scopes header), asked once."""
        if self.scopes is None:
            try:
                response = await self.client.auth_test()
                self.scopes = _scopes(response.headers)
            except SlackApiError as error:
                log.warning("auth.test failed: %s", _error_code(error))
                return frozenset()
        return self.scopes


# -- Bolt ----------------------------------------------------------------------------------


def build_app(
    core: Core,
    wisdom: WisdomService | None,
    settings: SlackSettings,
    client: AsyncWebClient,
    *,
    reminders: ReminderService | None = None,
    logger: logging.Logger | None = None,
) -> AsyncApp:
    """The Bolt app with every command, the buttons and the one error handler.

    `client` carries the bot token and, for tests or proxies, a `base_url`. The app's
    `frontend` attribute (`SlackFrontend`) holds the counters. Without `reminders`, /remind
    answers that reminders are not available.
    """
    bolt_log = logger or log.getChild("bolt")
    _guard(log, settings)
    _guard(bolt_log, settings)
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret.reveal(),
        logger=bolt_log,
    )
    frontend = SlackFrontend(core, wisdom, settings, client, reminders=reminders)
    app.frontend = frontend  # type: ignore[attr-defined]

    async def on_command(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        name = str(command.get("command", ""))
        async with _errors_answered(frontend, name, respond):
            answer = await frontend.command(name, str(command.get("text", "")))
            frontend.stats.commands += 1
            log.info(
                "%s from %s in %s -> %s",
                name,
                command.get("user_id"),
                command.get("channel_id"),
                answer.kind,
            )
            await _send(frontend, respond, answer)

    for name in CORE_COMMANDS:
        app.command(name)(on_command)

    async def on_admin(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        name = str(command.get("command", ""))
        async with _errors_answered(frontend, name, respond):
            text = str(command.get("text", ""))
            run = frontend.remind_command if name == REMIND_COMMAND else frontend.wisdom_command
            answer = await run(
                text,
                user_id=str(command.get("user_id", "")),
                team_id=str(command.get("team_id", "")),
                channel_id=str(command.get("channel_id", "")),
            )
            frontend.stats.commands += 1
            log.info(
                "%s %s from %s in %s -> %s",
                name,
                (text.split() or [""])[0][:20],
                command.get("user_id"),
                command.get("channel_id"),
                answer.title,
            )
            await _send(frontend, respond, answer)

    for name in (WISDOM_COMMAND, REMIND_COMMAND):
        app.command(name)(on_admin)

    @app.action(ACTION_ID_PATTERN)
    async def on_click(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        action_id = str(action.get("action_id", ""))
        async with _errors_answered(frontend, f"button {action_id}", respond):
            answer = await frontend.click(str(action.get("value", "")))
            frontend.stats.clicks += 1
            container = body.get("container") or {}
            replace = replaces_original(action_id)
            # Never turn a message everyone sees into one meant only for the clicker.
            if answer.ephemeral and not container.get("is_ephemeral"):
                replace = False
            log.info(
                "button %s from %s -> %s",
                action_id,
                (body.get("user") or {}).get("id"),
                answer.kind,
            )
            await _send(frontend, respond, answer, replace=replace)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], respond: AsyncRespond | None
    ) -> None:
        what = body.get("command") or body.get("type") or "request"
        await _report_error(frontend, error, str(what), respond)

    return app


@contextlib.asynccontextmanager
async def _errors_answered(
    frontend: SlackFrontend, what: str, respond: AsyncRespond
) -> AsyncIterator[None]:
    """Run a listener's work after its ack(); any error goes to `_report_error`.

    The listeners catch their own errors instead of letting them reach Bolt: Bolt 1.30's
    runner resets an ack that was already sent when the listener then raises, so Slack would
    see no acknowledgement at all (HTTP 404, "dispatch_failed"). Errors that happen before a
    listener runs still reach `_report_error` through the app's error handler.
    """
    try:
        yield
    except Exception as error:
        await _report_error(frontend, error, what, respond)


async def _report_error(
    frontend: SlackFrontend, error: Exception, what: str, respond: AsyncRespond | None
) -> None:
    """The one place errors end: logged with the traceback, answered with one short line."""
    frontend.stats.errors += 1
    log.error("Slack %s failed: %s", what, _describe(error), exc_info=error)
    if respond is None or not getattr(respond, "response_url", None):
        return
    try:
        await respond(text=ERROR_LINE, response_type="ephemeral", replace_original=False)
    except Exception as again:  # the response_url itself is failing: nothing more to do
        log.warning("could not tell the user about the error: %s", _describe(again))


async def _send(
    frontend: SlackFrontend, respond: AsyncRespond, answer: Answer, *, replace: bool = False
) -> bool:
    """Send `answer` through respond(); one retry after a 429. False when Slack refused it."""
    message = answer_message(answer)
    kwargs: dict[str, Any] = {
        "text": message["text"],
        "blocks": message["blocks"],
        "unfurl_links": False,
        "unfurl_media": False,
    }
    if replace:
        kwargs["replace_original"] = True
    else:
        kwargs["response_type"] = "ephemeral" if answer.ephemeral else "in_channel"
        kwargs["replace_original"] = False
    for attempt in (1, 2):
        result = await respond(**kwargs)
        if 200 <= result.status_code < 300:
            return True
        if result.status_code == 429 and attempt == 1:
            delay = min(_header_seconds(result.headers, "retry-after"), RESPOND_RETRY_MAX_SECONDS)
            log.info("response_url rate limited; retrying in %.1f s", delay)
            await asyncio.sleep(delay)
            continue
        frontend.stats.refused_responses += 1
        log.warning(
            "Slack refused an answer (%s, HTTP %d: %s)",
            answer.kind,
            result.status_code,
            (result.body or "")[:200],
        )
        return False
    return False


# -- the post loop (daily wisdom, talk reminders) and serve() --------------------------------


async def post_loop(
    service: WisdomService | None,
    *,
    interval: float = POST_INTERVAL_SECONDS,
    stop: asyncio.Event | None = None,
    reminders: ReminderService | None = None,
    clock: Clock | None = None,
) -> None:
    """Run daily wisdom, then reminders, in the delivery runner (now, then at their next
    wake-up or every `interval` seconds) until `stop` is set or the task is cancelled. What
    they did is logged; a failed run is logged too and never ends the loop."""
    services = [s for s in (service, reminders) if s is not None]

    def report(index: int, outcomes: Sequence[Any]) -> None:
        if services[index] is service:
            _log_outcomes(list(outcomes))
        else:
            _log_reminders(list(outcomes))

    await Runner(services, clock=clock, interval=interval, report=report).run(stop)


async def post_once(
    service: WisdomService | None, reminders: ReminderService | None = None
) -> tuple[list[Outcome], list[remind.ReminderOutcome]]:
    """One step of the post loop: the daily posts due now, then the reminders due now."""
    outcomes: list[Outcome] = []
    reminded: list[remind.ReminderOutcome] = []
    if service is not None:
        try:
            outcomes = await service.run_due()
            _log_outcomes(outcomes)
        except Exception:
            log.exception("daily wisdom run failed; trying again at the next tick")
    if reminders is not None:
        try:
            reminded = await reminders.run_due()
            _log_reminders(reminded)
        except Exception:
            log.exception("reminder run failed; trying again at the next tick")
    return outcomes, reminded


def _log_outcomes(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        level = logging.INFO if outcome.kind in ("sent", "recovered") else logging.WARNING
        log.log(
            level,
            "daily wisdom for %s in channel %s: %s%s",
            outcome.local_date,
            outcome.channel_id,
            outcome.kind,
            f" ({outcome.detail})" if outcome.detail else "",
        )


def _log_reminders(outcomes: list[remind.ReminderOutcome]) -> None:
    for outcome in outcomes:
        quiet = outcome.kind in ("sent", "recovered", "skipped")
        log.log(
            logging.INFO if quiet else logging.WARNING,
            "reminder for %r in channel %s: %s%s",
            outcome.title,
            outcome.channel_id,
            outcome.kind,
            f" ({outcome.detail})" if outcome.detail else "",
        )


def api_base_url(url: str | None) -> str:
    """SLACK_API_URL (or Slack's) with the trailing slash the Web API client needs."""
    base = (url or DEFAULT_API_URL).strip()
    return base if base.endswith("/") else base + "/"


async def serve(
    core: Core,
    db: Database,
    settings: SlackSettings,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    grace: timedelta = DEFAULT_GRACE,
    host: str = "0.0.0.0",
    post_interval: float = POST_INTERVAL_SECONDS,
    on_ready: Callable[[str | None], Awaitable[None] | None] | None = None,
) -> None:
    """Run the Slack front end until `stop` is set (or the task is cancelled).

    Checks the bot token with auth.test, builds the app and the wisdom and reminder services,
    connects in Socket Mode when SLACK_APP_TOKEN is set (else serves HTTP on `settings.port` at
    /slack/events, verified with the signing secret), and runs the post loop for both (once at
    start-up, then every `post_interval` seconds). Raises SlackStartupError when Slack refuses
    the token. Logs what happened; never a token or secret. `on_ready` (for tests) is called
    once connected, with the HTTP events URL (None in Socket Mode); `clock` goes to both
    services, `grace` to the wisdom service and `post_interval` to the post loop.
    """
    base_url = api_base_url(settings.api_url)
    _guard(log, settings)
    client = AsyncWebClient(token=settings.bot_token.reveal(), base_url=base_url)
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        raise SlackStartupError(
            f"Slack refused the bot token (SLACK_BOT_TOKEN): {_error_code(error)}"
        ) from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SlackStartupError(
            f"cannot reach the Slack Web API at {base_url}: {type(error).__name__}"
        ) from None
    scopes = _scopes(auth.headers)
    log.info("Slack connected as @%s in team %s (%s)", auth.get("user"), auth.get("team"), base_url)
    missing = sorted(REQUIRED_SCOPES - scopes) if scopes else []
    if missing:
        log.warning(
            "the bot token lacks scope(s) %s; reinstall the app from slack-manifest.yml",
            ", ".join(missing),
        )

    poster = SlackPoster(client, scopes=scopes or None)
    service = WisdomService(db, poster, frontend=FRONTEND, clock=clock, grace=grace)
    reminders = ReminderService(
        db, poster, frontend=FRONTEND, clock=clock, log=log.getChild("reminders")
    )
    app = build_app(core, service, settings, client, reminders=reminders)
    frontend: SlackFrontend = app.frontend  # type: ignore[attr-defined]
    frontend.scopes = scopes or None

    handler: AsyncSocketModeHandler | None = None
    runner: web.AppRunner | None = None
    events_url: str | None = None
    loop_stop = asyncio.Event()
    loop_task: asyncio.Task[None] | None = None
    try:
        if settings.socket_mode:
            handler = AsyncSocketModeHandler(
                app,
                settings.app_token.reveal(),
                web_client=AsyncWebClient(base_url=base_url),
            )
            await handler.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack Socket Mode connected; serving %s", _command_list())
        else:
            runner = web.AppRunner(app.web_app(path=EVENTS_PATH, port=settings.port))
            await runner.setup()
            await web.TCPSite(runner, host, settings.port).start()
            port = int(runner.addresses[0][1]) if runner.addresses else settings.port
            events_url = f"http://{host}:{port}{EVENTS_PATH}"
            log.info("Slack HTTP mode listening on %s; serving %s", events_url, _command_list())
        loop_task = asyncio.create_task(
            post_loop(
                service, interval=post_interval, stop=loop_stop, reminders=reminders, clock=clock
            ),
            name="slack-posts",
        )
        if on_ready is not None:
            ready = on_ready(events_url)
            if ready is not None:
                await ready
        await (stop or asyncio.Event()).wait()
    finally:
        loop_stop.set()
        if loop_task is not None:
            loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop_task
        if handler is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(handler.close_async(), 5.0)  # type: ignore[no-untyped-call]
        if runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runner.cleanup(), 5.0)
        stats = frontend.stats
        log.info(
            "Slack stopped: %d command(s) and %d button click(s) served, %d daily post(s) made, "
            "%d reminder(s) posted, %d error(s)",
            stats.commands,
            stats.clicks,
            poster.posts,
            poster.reminders,
            stats.errors,
        )


# -- helpers -------------------------------------------------------------------------------


def _command_list() -> str:
    return ", ".join((*CORE_COMMANDS, WISDOM_COMMAND, REMIND_COMMAND))


def _line_answer(line: str, *, title: str = "Daily wisdom") -> Answer:
    return Answer(kind="error", title=title, text=line, found=False, ephemeral=True)


def _replace(answer: Answer, **changes: Any) -> Answer:
    return Answer(**{**answer.__dict__, **changes})


def _take_channel(args: list[str], default: str) -> tuple[str, list[str]] | Answer:
    """(the channel named first in `args`, or `default`; the other args), or an Answer asking
    which channel a name Slack did not turn into an id is."""
    if not args or not (args[0].startswith(("<#", "#")) or _CHANNEL_ID.match(args[0])):
        return default, args
    parsed = _channel_id(args[0])
    if parsed is None:
        return _line_answer(
            f"I cannot tell which channel “{args[0]}” is. Pick it from Slack's # list "
            "so I get its id, or give the channel id (like C0123456789).",
            title="Which channel?",
        )
    return parsed, args[1:]


def _channel_id(word: str) -> str | None:
    match = _CHANNEL_REF.match(word)
    if match:
        return match.group(1)
    if _CHANNEL_ID.match(word):
        return word
    return None


def _error_code(error: SlackApiError) -> str:
    try:
        return str(error.response.get("error") or "unknown_error")
    except (AttributeError, TypeError):
        return "unknown_error"


def _describe(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"SlackApiError({_error_code(error)})"
    return f"{type(error).__name__}: {error}"


def _scopes(headers: Any) -> frozenset[str]:
    raw = _header(headers, "x-oauth-scopes") or ""
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value)
    return None


def _header_seconds(headers: Any, name: str) -> float:
    try:
        return max(float(_header(headers, name) or 1), 0.0)
    except ValueError:
        return 1.0


class _RedactSecrets(logging.Filter):
    """Replaces any configured token or secret in a log record (message and traceback)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 8]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            trace = logging.Formatter().formatException(record.exc_info)
            if self._clean(trace) != trace:
                record.exc_text = self._clean(trace)
        return True


def _guard(logger: logging.Logger, settings: SlackSettings) -> None:
    """Attach (once per logger) a filter that keeps this app's secrets out of its logs."""
    secrets = [
        settings.bot_token.reveal(),
        settings.app_token.reveal(),
        settings.signing_secret.reveal(),
    ]
    for existing in logger.filters:
        if isinstance(existing, _RedactSecrets):
            existing.secrets = sorted({*existing.secrets, *(s for s in secrets if len(s) >= 8)})
            return
    logger.addFilter(_RedactSecrets(secrets))
