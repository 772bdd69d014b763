"""The Slack Bolt (async) app: one listener for every slash command of the table, one for the
buttons, one for the message shortcuts ("Save as nugget"), and the one error handler.

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
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.reminder_service import ReminderService
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack.blocks import (
    ACTION_ID_PATTERN,
    FORM,
    answer_message,
    parse_button_value,
    replaces_original,
)
from bot.frontends.slack.connect import bolt_reads_no_token
from bot.frontends.slack.dm_channels import DmChannels
from bot.frontends.slack.forms import FORM_CALLBACK, form_view, submitted
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
    announcements: AnnouncementService | None = None,
    logger: logging.Logger | None = None,
    dm_channels: DmChannels | None = None,
) -> AsyncApp:
    """The Bolt app with every command, the buttons and the one error handler.

    `client` carries the bot token and, for tests or proxies, a `base_url`. The app's
    `frontend` attribute (`SlackFrontend`) holds the counters. Without `reminders`, /remind
    answers that reminders are not available. With `dm_channels`, whoever follows something
    has their IM channel opened and stored then, ahead of their agenda DMs.
    """
    bolt_log = logger or log.getChild("bolt")
    protect(settings)
    with bolt_reads_no_token():
        app = AsyncApp(
            client=client,
            signing_secret=settings.signing_secret.reveal(),
            logger=bolt_log,
        )
    frontend = SlackFrontend(
        core,
        wisdom,
        settings,
        client,
        reminders=reminders,
        announcements=announcements,
        dm_channels=dm_channels,
    )
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
            if action_id.startswith(FORM):
                await _open_form(frontend, str(action.get("value", "")), body, respond)
                return
            answer = await frontend.click(str(action.get("value", "")), **clicker(body))
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

    async def on_message_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        callback_id = str(shortcut.get("callback_id", ""))
        async with _errors_answered(frontend, f"shortcut {callback_id}", respond):
            team = shortcut.get("team") or {}
            answer = await frontend.save_message(
                callback_id,
                shortcut.get("message") or {},
                user_id=str((shortcut.get("user") or {}).get("id", "")),
                team_id=str(team.get("id", "")),
                team_domain=str(team.get("domain", "")),
                channel_id=str((shortcut.get("channel") or {}).get("id", "")),
            )
            log.info("shortcut %s -> %s", callback_id, answer.kind)
            await _send(frontend, respond, answer)

    @app.view(FORM_CALLBACK)
    async def on_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        found = submitted(view)
        user_id = str((body.get("user") or {}).get("id", ""))
        if found is None:
            return
        invocation, channel_id = found
        try:
            answer = await frontend.run_as(
                invocation,
                user_id=user_id,
                team_id=str((body.get("team") or {}).get("id", "")),
                channel_id=channel_id,
            )
            message = answer_message(answer, frontend.stash)
            await client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=message["text"], blocks=message["blocks"]
            )
        except Exception as error:
            await _report_error(frontend, error, "form", None)

    for message_command in COMMANDS.messages:
        app.shortcut(message_command.callback_id)(on_message_shortcut)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], respond: AsyncRespond | None
    ) -> None:
        what = body.get("command") or body.get("type") or "request"
        await _report_error(frontend, error, str(what), respond)

    return app


def clicker(body: dict[str, Any]) -> dict[str, str]:
    """Who clicked, in which workspace and channel, from a block_actions payload."""
    user = body.get("user") or {}
    team = body.get("team") or {}
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return {
        "user_id": str(user.get("id") or ""),
        "team_id": str(team.get("id") or user.get("team_id") or ""),
        "channel_id": str(channel.get("id") or container.get("channel_id") or ""),
    }


async def _open_form(
    frontend: SlackFrontend, value: str, body: dict[str, Any], respond: AsyncRespond
) -> None:
    """A click on a form button: its modal (views.open with the click's trigger_id)."""
    invocation = parse_button_value(value, frontend.stash)
    channel_id = str((body.get("channel") or {}).get("id", ""))
    view = form_view(invocation, channel_id) if invocation is not None else None
    if view is None:
        await respond(
            text="That button is out of date; run the command again.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    await frontend.client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)


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
