"""The Slack front end without Bolt (testable on its own): slash commands and clicks become
`Core` calls, the admin commands (/wisdom, /remind) pass the admin gate first.

/wisdom and /remind are for workspace admins/owners and the users in SLACK_ADMIN_USER_IDS
(users.info says who is one); `SlackChannels` tells the admin commands whether the bot can
post in a channel (conversations.info) and the admin's own time zone. Holds no SQL and no
command logic.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs
from bot.answer import Answer
from bot.commands.delivery import Delivery
from bot.commands.invocation import Invocation, Stash
from bot.commands.registry import Caller, Message
from bot.config import SlackSettings
from bot.core import Core
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.reminder_service import ReminderService
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.slack.blocks import parse_button_value
from bot.frontends.slack.dm_channels import DmChannels
from bot.nugget_rules import slack_link, slack_plain

log = logging.getLogger("confbot.slack")
JSON = dict[str, Any]

FRONTEND = "slack"
WISDOM_COMMAND = "/wisdom"
REMIND_COMMAND = "/remind"
REQUIRED_SCOPES = frozenset({"commands", "chat:write", "users:read"})
"""Without these the commands or the daily post cannot work (the manifest asks for more)."""

LEARNS_DM = frozenset({"follow"})
"""Commands after which the caller's IM channel is opened and stored, ahead of any DM."""
FORGETS_DM = "agenda forget-me"
"""After it the caller's IM channel is dropped from memory too (the store holds none)."""

_TITLES = {REMIND_COMMAND: "Reminders", "/programme": "Programme changes"}
"""How an answer about a failed admin check is headed, per admin command."""
ERROR_LINE = "Sorry, something went wrong on my side. It has been logged; please try again."
REFUSAL_LINE = (
    "Only workspace admins and owners (or the users listed in SLACK_ADMIN_USER_IDS) can "
    "manage daily wisdom."
)
REMIND_REFUSAL_LINE = (
    "Only workspace admins and owners (or the users listed in SLACK_ADMIN_USER_IDS) can "
    "manage talk reminders."
)
INVITE_HINT = (
    "In Slack: invite me with `/invite @confbot` in that channel (archived channels cannot "
    "get posts)."
)


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
        announcements: AnnouncementService | None = None,
        dm_channels: DmChannels | None = None,
    ) -> None:
        self.core = core
        self.dm_channels = dm_channels
        self.wisdom = wisdom
        self.reminders = reminders
        self.settings = settings
        self.client = client
        self.stats = Stats()
        self.scopes: frozenset[str] | None = None
        self.stash = Stash()
        # What /wisdom, /remind and /programme manage.
        core.delivery[FRONTEND] = Delivery(wisdom, reminders, announcements)

    # -- the core commands

    async def command(
        self, name: str, text: str, *, user_id: str = "", team_id: str = "", channel_id: str = ""
    ) -> Answer:
        """Every core command is read as the console reads it ("--page N", "--conference
        SLUG") and run for its caller, so the workspace's conferences apply; an admin
        subcommand of a group everyone may use (/conference use) goes through the gate."""
        parsed = self.core.commands.parse_line(f"/{name.lstrip('/').lower()} {text}")
        if isinstance(parsed, Answer):
            return parsed
        return await self.run_as(parsed, user_id=user_id, team_id=team_id, channel_id=channel_id)

    async def run_as(
        self, invocation: Invocation, *, user_id: str, team_id: str, channel_id: str
    ) -> Answer:
        """Run `invocation` for this user: an admin command (or admin subcommand) through the
        admin gate, anything else as they are."""
        leaf = self.core.commands.get(invocation.command)
        if leaf is None or not leaf.admin:
            answer = await self.core.run(invocation, Caller(FRONTEND, user_id, team_id, channel_id))
            if self.dm_channels is not None:
                if invocation.command.partition(" ")[0] in LEARNS_DM:
                    self.dm_channels.learn_soon(user_id)  # their reminders will not open it
                elif invocation.command == FORGETS_DM:
                    self.dm_channels.drop_memory(user_id)  # the store forgot them already
            return answer
        command, _, sub = invocation.command.partition(" ")
        refused, profile = await self._gate(user_id, f"/{command}", sub)
        if refused is not None:
            return refused
        caller = Caller(
            FRONTEND,
            user_id,
            team_id,
            channel_id,
            admin=True,
            channels=SlackChannels(self, user_id, profile),
        )
        return await self.core.run(invocation, caller)

    async def click(
        self, value: str, *, user_id: str = "", team_id: str = "", channel_id: str = ""
    ) -> Answer:
        """The answer to a button: the invocation its value carries, replayed for the clicker
        (an admin's Approve passes the gate; anyone else's is refused)."""
        invocation = parse_button_value(value, self.stash)
        if invocation is None:
            return line_answer(
                "That button is out of date; run the command again.", title="Expired"
            )
        return await self.run_as(
            invocation, user_id=user_id, team_id=team_id, channel_id=channel_id
        )

    async def save_message(
        self,
        callback_id: str,
        message: JSON,
        *,
        user_id: str,
        team_id: str,
        channel_id: str,
        team_domain: str = "",
    ) -> Answer:
        """A message shortcut ("Save as nugget"): the message's words as plain text (Slack's
        markup, `<!everyone>` included, turned into the words a reader sees) and its permalink
        (chat.getPermalink, else built from the team, channel and ts), for this user."""
        ts = str(message.get("ts", ""))
        try:
            response = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
            link = str(response.get("permalink") or "")
        except SlackApiError as error:
            log.info("chat.getPermalink failed (%s); building the link", error_code(error))
            link = ""
        found = Message(
            slack_plain(str(message.get("text", ""))),
            link or slack_link(team_domain or team_id.lower(), channel_id, ts),
            str(message.get("user", "")),
        )
        caller = Caller(FRONTEND, user_id, team_id, channel_id)
        return await self.core.message_action(callback_id, found, caller)

    # -- the admin commands (/wisdom, /remind)

    async def admin_command(
        self, name: str, text: str, *, user_id: str, team_id: str, channel_id: str
    ) -> Answer:
        """An admin command of the table: its usage for anyone, else the admin gate, then
        `Core.run` for the admin, in this channel unless another is named."""
        parsed = self.core.commands.parse_line(f"/{name.lstrip('/').lower()} {text}")
        if isinstance(parsed, Answer):
            return parsed
        return await self.run_as(parsed, user_id=user_id, team_id=team_id, channel_id=channel_id)

    # -- admins

    async def _gate(
        self, user_id: str, command: str, sub: str
    ) -> tuple[Answer | None, dict[str, Any] | None]:
        """(None, the user's profile if it was fetched) for an admin, else (the refusal, None)."""
        wisdom = command == WISDOM_COMMAND
        try:
            admin, profile = await self._is_admin(user_id)
        except _CannotCheck as error:
            return line_answer(
                f"I could not check whether you are an admin (Slack said: {error}); "
                "please try again in a moment.",
                title="Daily wisdom" if wisdom else _TITLES.get(command, command),
            ), None
        if not admin:
            log.info("refused %s %s from %s: not an admin", command, sub, user_id)
            refusal = REFUSAL_LINE if wisdom else REMIND_REFUSAL_LINE
            if command not in (WISDOM_COMMAND, REMIND_COMMAND):  # /source, /conference use
                refusal = REMIND_REFUSAL_LINE.replace("manage talk reminders.", f"use {command}.")
            return line_answer(refusal, title="Not allowed"), None
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
            raise _CannotCheck(error_code(error)) from error
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
            code = error_code(error)
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
                self.scopes = scopes_of(response.headers)
            except SlackApiError as error:
                log.warning("auth.test failed: %s", error_code(error))
                return frozenset()
        return self.scopes


class SlackChannels:
    """`Channels` for an admin command on Slack: conversations.info says whether the bot can
    post; the admin's Slack profile gives the default time zone."""

    cannot_post_hint = INVITE_HINT

    def __init__(
        self, frontend: SlackFrontend, user_id: str, profile: dict[str, Any] | None
    ) -> None:
        self.frontend = frontend
        self.user_id = user_id
        self.profile = profile

    async def can_post(self, channel: str) -> bool:
        return await self.frontend._can_post(channel)

    async def zone(self) -> str | None:
        return await self.frontend._user_zone(self.user_id, self.profile)


def line_answer(line: str, *, title: str = "Daily wisdom") -> Answer:
    return Answer(kind="error", title=title, text=line, found=False, ephemeral=True)


def error_code(error: SlackApiError) -> str:
    try:
        return str(error.response.get("error") or "unknown_error")
    except (AttributeError, TypeError):
        return "unknown_error"


def describe_error(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return f"SlackApiError({error_code(error)})"
    return f"{type(error).__name__}: {error}"


def scopes_of(headers: Any) -> frozenset[str]:
    raw = header(headers, "x-oauth-scopes") or ""
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name:
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value)
    return None


def header_seconds(headers: Any, name: str) -> float:
    try:
        return max(float(header(headers, name) or 1), 0.0)
    except ValueError:
        return 1.0


def protect(settings: SlackSettings) -> None:
    """Keep this app's tokens and secret out of the log, also when built without the CLI."""
    logs.protect(
        settings.bot_token.reveal(), settings.app_token.reveal(), settings.signing_secret.reveal()
    )
