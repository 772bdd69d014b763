"""The Slack Bolt (async) app: one listener for every slash command of the table, one for the
buttons, and the one error handler.

Commands are acked at once; the answer then goes to the command's response_url through
`respond()`, as Block Kit rendered by `bot.frontends.slack.blocks` from the core's `Answer`.
Buttons replay the invocation their value carries. Errors are logged with their traceback and
answered with one short ephemeral line. `serve` (bot.frontends.slack.serve) runs the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.answer import Answer
from bot.commands.table import COMMANDS
from bot.config import SlackSettings
from bot.core import Core
from bot.delivery.reminder_service import ReminderService
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack.blocks import ACTION_ID_PATTERN, answer_message, replaces_original
from bot.frontends.slack.connect import bolt_reads_no_token
from bot.frontends.slack.frontend import ERROR_LINE as ERROR_LINE
from bot.frontends.slack.frontend import REFUSAL_LINE as REFUSAL_LINE
from bot.frontends.slack.frontend import REMIND_COMMAND as REMIND_COMMAND
from bot.frontends.slack.frontend import REMIND_REFUSAL_LINE as REMIND_REFUSAL_LINE
from bot.frontends.slack.frontend import REQUIRED_SCOPES as REQUIRED_SCOPES
from bot.frontends.slack.frontend import WISDOM_COMMAND as WISDOM_COMMAND
from bot.frontends.slack.frontend import (
    SlackFrontend,
    describe_error,
    header_seconds,
    protect,
)
from bot.logs import person

log = logging.getLogger("confbot.slack")

RESPOND_RETRY_MAX_SECONDS = 3.0

CORE_COMMANDS = tuple(f"/{command.name}" for command in COMMANDS if command.slash)


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
    protect(settings)
    with bolt_reads_no_token():
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
            text = str(command.get("text", ""))
            # An admin command (or admin subcommand) goes through the admin gate there.
            answer = await frontend.command(
                name,
                text,
                user_id=str(command.get("user_id", "")),
                team_id=str(command.get("team_id", "")),
                channel_id=str(command.get("channel_id", "")),
            )
            frontend.stats.commands += 1
            log.info(
                "%s from %s in %s -> %s",
                name,
                person(command.get("user_id")),
                command.get("channel_id"),
                answer.kind,
            )
            await _send(frontend, respond, answer)

    for name in CORE_COMMANDS:
        app.command(name)(on_command)

    @app.action(ACTION_ID_PATTERN)
    async def on_click(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        action_id = str(action.get("action_id", ""))
        async with _errors_answered(frontend, f"button {action_id}", respond):
            user = body.get("user") or {}
            answer = await frontend.click(
                str(action.get("value", "")),
                user_id=str(user.get("id") or ""),
                team_id=str((body.get("team") or {}).get("id") or user.get("team_id") or ""),
                channel_id=str((body.get("channel") or {}).get("id") or ""),
            )
            frontend.stats.clicks += 1
            container = body.get("container") or {}
            replace = replaces_original(action_id)
            # Never turn a message everyone sees into one meant only for the clicker.
            if answer.ephemeral and not container.get("is_ephemeral"):
                replace = False
            log.info(
                "button %s from %s -> %s",
                action_id,
                person((body.get("user") or {}).get("id")),
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
    log.error("Slack %s failed: %s", what, describe_error(error), exc_info=error)
    if respond is None or not getattr(respond, "response_url", None):
        return
    try:
        await respond(text=ERROR_LINE, response_type="ephemeral", replace_original=False)
    except Exception as again:  # the response_url itself is failing: nothing more to do
        log.warning("could not tell the user about the error: %s", describe_error(again))


async def _send(
    frontend: SlackFrontend, respond: AsyncRespond, answer: Answer, *, replace: bool = False
) -> bool:
    """Send `answer` through respond(); one retry after a 429. False when Slack refused it."""
    message = answer_message(answer, frontend.stash)
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
            delay = min(header_seconds(result.headers, "retry-after"), RESPOND_RETRY_MAX_SECONDS)
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
