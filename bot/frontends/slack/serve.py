"""Serving the Slack front end: `serve` checks the token, builds the app and the wisdom and
reminder services, connects (Socket Mode or HTTP) and runs the post loop beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot import reminders as remind
from bot.clock import Clock
from bot.config import SlackSettings
from bot.core import Core
from bot.delivery.agenda_service import AgendaService
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.outcome_log import log_run
from bot.delivery.pacing import Pacer
from bot.delivery.reminder_service import ReminderService
from bot.delivery.runner import DueService, Runner
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack.app import CORE_COMMANDS, build_app
from bot.frontends.slack.connect import SlackStartupError, check_bot_token, open_socket
from bot.frontends.slack.dm_channels import DmChannels
from bot.frontends.slack.frontend import (
    FRONTEND,
    REQUIRED_SCOPES,
    SlackFrontend,
    protect,
    scopes_of,
)
from bot.frontends.slack.poster import SlackPoster
from bot.startup import Backoff, with_retries
from bot.store.db import Database
from bot.wisdom import DEFAULT_GRACE, Outcome

log = logging.getLogger("confbot.slack")

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
POST_INTERVAL_SECONDS = 60.0


async def post_loop(
    service: WisdomService | None,
    *,
    interval: float = POST_INTERVAL_SECONDS,
    stop: asyncio.Event | None = None,
    reminders: ReminderService | None = None,
    clock: Clock | None = None,
    announcements: AnnouncementService | None = None,
    agenda: AgendaService | None = None,
) -> None:
    """Run daily wisdom, reminders, programme-change announcements and agenda DMs in the
    delivery runner (now, then at their next wake-up, every `interval` seconds, or when an
    import wakes the announcements) until `stop` is set or the task is cancelled. What they did
    is logged; a failed run is logged too and never ends the loop."""
    services: list[DueService] = [
        s for s in (service, reminders, announcements, agenda) if s is not None
    ]

    def report(index: int, outcomes: Sequence[Any]) -> None:
        log_run(log, outcomes)

    runner = Runner(services, clock=clock, interval=interval, report=report)
    if announcements is not None:
        announcements.waker = runner.wake
    await runner.run(stop)


async def post_once(
    service: WisdomService | None, reminders: ReminderService | None = None
) -> tuple[list[Outcome], list[remind.ReminderOutcome]]:
    """One step of the post loop: the daily posts due now, then the reminders due now."""
    outcomes: list[Outcome] = []
    reminded: list[remind.ReminderOutcome] = []
    if service is not None:
        try:
            outcomes = await service.run_due()
            log_run(log, outcomes)
        except Exception:
            log.exception("daily wisdom run failed; trying again at the next tick")
    if reminders is not None:
        try:
            reminded = await reminders.run_due()
            log_run(log, reminded)
        except Exception:
            log.exception("reminder run failed; trying again at the next tick")
    return outcomes, reminded


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
    wisdom_grace: timedelta = DEFAULT_GRACE,
    host: str = "0.0.0.0",
    post_interval: float = POST_INTERVAL_SECONDS,
    on_ready: Callable[[str | None], Awaitable[None] | None] | None = None,
    start_retry: float = 0.0,
) -> None:
    """Run the Slack front end until `stop` is set (or the task is cancelled).

    Checks the bot token with auth.test, builds the app and the wisdom and reminder services,
    connects in Socket Mode when SLACK_APP_TOKEN is set (else serves HTTP on `settings.port` at
    /slack/events, verified with the signing secret), and runs the post loop for both (once at
    start-up, then every `post_interval` seconds). Raises SlackStartupError when Slack refuses
    a token, or cannot be reached for `start_retry` seconds (each failed try is one log line).
    Logs what happened; never a token or secret. `on_ready` (for tests) is called
    once connected, with the HTTP events URL (None in Socket Mode); `clock` goes to both
    services, `wisdom_grace` to the wisdom service and `post_interval` to the post loop.
    """
    base_url = api_base_url(settings.api_url)
    protect(settings)
    client = AsyncWebClient(token=settings.bot_token.reveal(), base_url=base_url)
    backoff = Backoff(window=start_retry)
    auth = await with_retries(
        "Slack",
        lambda: check_bot_token(client, base_url),
        backoff,
        log=log,
        give_up=SlackStartupError,
    )
    socket_client = AsyncWebClient(base_url=base_url)
    socket_url = None
    if settings.socket_mode:
        socket_url = await with_retries(
            "Slack Socket Mode",
            lambda: open_socket(socket_client, settings.app_token.reveal(), base_url),
            backoff,
            log=log,
            give_up=SlackStartupError,
        )
    scopes = scopes_of(auth.headers)
    log.info("Slack connected as @%s in team %s (%s)", auth.get("user"), auth.get("team"), base_url)
    missing = sorted(REQUIRED_SCOPES - scopes) if scopes else []
    if missing:
        log.warning(
            "the bot token lacks scope(s) %s; reinstall the app from slack-manifest.yml",
            ", ".join(missing),
        )

    pacer = Pacer()
    dm_channels = DmChannels(client, db, pacer=pacer)
    poster = SlackPoster(client, scopes=scopes or None, pacer=pacer, dm_channels=dm_channels)
    service = WisdomService(db, poster, frontend=FRONTEND, clock=clock, grace=wisdom_grace)
    reminders = ReminderService(
        db, poster, frontend=FRONTEND, clock=clock, log=log.getChild("reminders")
    )
    agenda = AgendaService(
        db,
        poster,
        frontend=FRONTEND,
        clock=clock,
        log=log.getChild("agenda"),
        on_pause=core.notices.add,
    )
    announcements = AnnouncementService(
        db, poster, frontend=FRONTEND, clock=clock, log=log.getChild("announcements")
    )
    app = build_app(
        core,
        service,
        settings,
        client,
        reminders=reminders,
        announcements=announcements,
        dm_channels=dm_channels,
    )
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
                app, settings.app_token.reveal(), web_client=socket_client
            )
            handler.client.wss_uri = socket_url
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
                service,
                interval=post_interval,
                stop=loop_stop,
                reminders=reminders,
                clock=clock,
                announcements=announcements,
                agenda=agenda,
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
        with contextlib.suppress(Exception):
            await asyncio.wait_for(dm_channels.settled(), 5.0)
        stats = frontend.stats
        log.info(
            "Slack stopped: %d command(s) and %d button click(s) served, %d daily post(s) made, "
            "%d reminder(s) posted, %d programme change announcement(s) posted, %d error(s)",
            stats.commands,
            stats.clicks,
            poster.posts,
            poster.reminders,
            poster.announcements,
            stats.errors,
        )


def _command_list() -> str:
    return ", ".join(CORE_COMMANDS)
