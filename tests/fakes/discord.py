"""A local fake of Discord (REST API + websocket gateway) for end-to-end tests of discord.py bots.

One `FakeDiscord` is an aiohttp server on 127.0.0.1 that speaks the wire protocols the installed
discord.py 2.7.1 uses, so a real ``commands.Bot`` (with ``app_commands``) runs against it:

* the REST API under ``/api/v10`` (login, application info, command sync, interaction callbacks,
  webhook followups, channel messages, ...), always answering ``Content-Type: application/json``;
* the gateway (HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME with replay of missed
  dispatches, op 7 RECONNECT, op 9 INVALID_SESSION), in plain text frames (no zlib).

It enforces what Discord enforces and a bot can get wrong: the 3 s interaction deadline (10062),
double acknowledgement (40060), message/embed/component/choice limits (50035), empty messages
(50006), unknown or deleted channels (10003), missing permissions (50001/50013), followups
before the acknowledgement (10015), and it can inject 429s (with ``Via`` and ``retry_after``,
so discord.py waits and retries) or any other failure.

Typical use::

    async with FakeDiscord() as fake, running_bot(MyBot(...), fake) as bot:
        result = await fake.invoke("ping", {"topic": "rust"})
        assert result.content == "pong: rust"
        clicked = await fake.click(result, "again")
        choices = await fake.autocomplete("ping", {"topic": "ru"}, focused="topic")

Every wait has a timeout (default 5 s), so a broken bot fails a test instead of hanging it.

Conventions:

* one bot per fake (a second IDENTIFY replaces the first session);
* like Discord's client, `invoke`/`autocomplete` only offer commands registered for that place
  and visible to the user (``contexts``, ``default_member_permissions``): LookupError or
  PermissionError otherwise (``enforce_command_visibility=False`` turns this off; with nothing
  synced at all the fake is lenient);
* paths in `requests`, `requests_to`, `rate_limit_next` and `fail_next` are relative to the API
  base, e.g. ``/channels/123/messages``; requests to routes the fake lacks get a 404 and land in
  `unhandled` (assert it is empty to catch new discord.py calls);
* stored messages are live dicts: later edits show in `InteractionResult.message` and
  `channel_messages`.
"""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import datetime
import enum
import json
import logging
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

__all__ = [
    "ACTION_ROWS_MAX",
    "AUTOCOMPLETE_CHOICES_MAX",
    "CONTENT_MAX",
    "DEFAULT_GUILD",
    "EMBEDS_MAX",
    "EMBED_TOTAL_MAX",
    "INTERACTION_DEADLINE",
    "SELECT_OPTIONS_MAX",
    "FakeDiscord",
    "InteractionRejected",
    "InteractionResult",
    "InteractionTimeout",
    "RecordedRequest",
    "message_problems",
    "running_bot",
    "use_fake_discord",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")

API_PREFIX = "/api/v10"
INTERACTION_DEADLINE = 3.0  # seconds to the first callback
FOLLOWUP_LIFETIME = 15 * 60.0  # seconds an interaction token stays valid for webhooks
NONCE_WINDOW = 5 * 60.0  # seconds during which `enforce_nonce` deduplicates
DEFAULT_TIMEOUT = 5.0
# How long past the deadline `invoke` keeps waiting for a (late, refused) first callback.
_CALLBACK_GRACE = 1.0

# Discord's limits (discord-api-docs).
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_COMPONENTS_MAX = 5
V2_COMPONENTS_MAX = 40
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100
NONCE_MAX = 25
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
_SENDABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)

# Gateway intents.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Permissions.
ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
BASIC_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_external_emojis=True,
    use_application_commands=True,
    create_instant_invite=True,
    change_nickname=True,
    connect=True,
    speak=True,
).value
ADMIN_ROLE_PERMISSIONS = (
    BASIC_PERMISSIONS
    | ADMINISTRATOR
    | discord.Permissions(manage_guild=True, manage_channels=True, manage_messages=True).value
)
BOT_ROLE_PERMISSIONS = BASIC_PERMISSIONS | MANAGE_MESSAGES

_COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
_MENTION_RE = re.compile(r"<@!?(\d+)>")
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


class _Sentinel(enum.Enum):
    DEFAULT_GUILD = "default guild"


DEFAULT_GUILD = _Sentinel.DEFAULT_GUILD
"""Default for ``guild_id=`` parameters: the fake's default guild. Pass ``None`` for a DM."""


class InteractionTimeout(TimeoutError):
    """The bot did not answer an interaction (or did not finish a deferral) in time."""


class InteractionRejected(Exception):
    """The fake rejected the bot's answer to an interaction (see `errors`)."""

    def __init__(self, message: str, errors: Sequence[JSON]) -> None:
        super().__init__(message)
        self.errors = list(errors)


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    # Exactly "application/json": discord.py only parses JSON bodies with that exact header
    # (aiohttp's json_response would append "; charset=utf-8").
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=_dumps(body), status=status, headers=all_headers)


# The parsed body of the REST request being handled (set by the middleware, per request task).
_BODY: contextvars.ContextVar[tuple[Any, list[str]]] = contextvars.ContextVar("fake_discord_body")


def _payload() -> Any:
    """The JSON body (or multipart ``payload_json``) of the current request, None without one."""
    return _BODY.get((None, []))[0]


def _files() -> list[str]:
    """The file names uploaded with the current (multipart) request."""
    return _BODY.get((None, []))[1]


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: JSON | None = None,
        headers: Mapping[str, str] | None = None,
        extra: JSON | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self) -> web.Response:
        return _json_response(self.body(), self.status, self.headers)


# --------------------------------------------------------------------------------------------
# Validation (what Discord answers 400 / 50035 for)
# --------------------------------------------------------------------------------------------

Problem = tuple[tuple[str | int, ...], str, str]


def _too_long(path: tuple[str | int, ...], limit: int) -> Problem:
    return (path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _too_short(path: tuple[str | int, ...], limit: int) -> Problem:
    return (path, "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length.")


def _required(path: tuple[str | int, ...]) -> Problem:
    return (path, "BASE_TYPE_REQUIRED", "This field is required")


def _nest(problems: Sequence[Problem]) -> JSON:
    """Discord's error tree: ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``."""
    tree: JSON = {}
    for path, code, message in problems:
        node = tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return tree


def _invalid_form(problems: Sequence[Problem]) -> _ApiError:
    return _ApiError(400, 50035, "Invalid Form Body", _nest(problems))


def _text_len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def _embed_problems(embeds: Any, prefix: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    path = (*prefix, "embeds")
    if not isinstance(embeds, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    if len(embeds) > EMBEDS_MAX:
        problems.append(_too_long(path, EMBEDS_MAX))
    total = 0
    for i, embed in enumerate(embeds):
        where = (*path, i)
        if not isinstance(embed, dict):
            problems.append((where, "MODEL_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
            n = _text_len(embed.get(key))
            total += n
            if n > limit:
                problems.append(_too_long((*where, key), limit))
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            problems.append(_too_long((*where, "fields"), EMBED_FIELDS_MAX))
        for j, fld in enumerate(fields):
            for key, limit in (("name", EMBED_FIELD_NAME_MAX), ("value", EMBED_FIELD_VALUE_MAX)):
                value = fld.get(key) if isinstance(fld, dict) else None
                n = _text_len(value)
                total += n
                if value is None:
                    problems.append(_required((*where, "fields", j, key)))
                elif n == 0:
                    problems.append(_too_short((*where, "fields", j, key), 1))
                elif n > limit:
                    problems.append(_too_long((*where, "fields", j, key), limit))
        for key, sub, limit in (
            ("footer", "text", EMBED_FOOTER_MAX),
            ("author", "name", EMBED_AUTHOR_MAX),
        ):
            part = embed.get(key)
            n = _text_len(part.get(sub)) if isinstance(part, dict) else 0
            total += n
            if n > limit:
                problems.append(_too_long((*where, key, sub), limit))
    if total > EMBED_TOTAL_MAX:
        problems.append(
            (
                path,
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
            )
        )
    return problems


def _walk_components(components: Any) -> Iterator[JSON]:
    """Every component, depth first (rows, containers, sections' accessories, labels)."""
    if not isinstance(components, list):
        return
    for component in components:
        if not isinstance(component, dict):
            continue
        yield component
        yield from _walk_components(component.get("components"))
        for key in ("accessory", "component"):
            inner = component.get(key)
            if isinstance(inner, dict):
                yield from _walk_components([inner])


def _item_problems(item: JSON, where: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    kind = item.get("type")
    custom_id = item.get("custom_id")
    if isinstance(custom_id, str) and len(custom_id) > CUSTOM_ID_MAX:
        problems.append(_too_long((*where, "custom_id"), CUSTOM_ID_MAX))
    if kind == 2:  # button
        if _text_len(item.get("label")) > BUTTON_LABEL_MAX:
            problems.append(_too_long((*where, "label"), BUTTON_LABEL_MAX))
        style = item.get("style")
        if style == 5 and not item.get("url"):
            problems.append(_required((*where, "url")))
        if style not in (5, 6) and not custom_id:
            problems.append(_required((*where, "custom_id")))
    elif kind in _SELECT_TYPES:
        if not custom_id:
            problems.append(_required((*where, "custom_id")))
        if _text_len(item.get("placeholder")) > SELECT_PLACEHOLDER_MAX:
            problems.append(_too_long((*where, "placeholder"), SELECT_PLACEHOLDER_MAX))
        max_values = item.get("max_values", 1)
        if isinstance(max_values, int) and max_values > SELECT_OPTIONS_MAX:
            problems.append(
                (
                    (*where, "max_values"),
                    "NUMBER_TYPE_MAX",
                    f"int value should be less than or equal to {SELECT_OPTIONS_MAX}.",
                )
            )
        if kind == 3:
            options = item.get("options") or []
            if not options:
                problems.append(_too_short((*where, "options"), 1))
            if len(options) > SELECT_OPTIONS_MAX:
                problems.append(_too_long((*where, "options"), SELECT_OPTIONS_MAX))
            if isinstance(max_values, int) and max_values > len(options) and options:
                problems.append(
                    (
                        (*where, "max_values"),
                        "SELECT_COMPONENT_MAX_VALUES_EXCEEDED",
                        "max_values must be less than or equal to the number of options",
                    )
                )
            for j, option in enumerate(options):
                for key in ("label", "value", "description"):
                    if _text_len(option.get(key)) > SELECT_OPTION_TEXT_MAX:
                        problems.append(
                            _too_long((*where, "options", j, key), SELECT_OPTION_TEXT_MAX)
                        )
    elif kind == 4:  # text input (modals)
        if _text_len(item.get("label")) > TEXT_INPUT_LABEL_MAX:
            problems.append(_too_long((*where, "label"), TEXT_INPUT_LABEL_MAX))
        if _text_len(item.get("value")) > TEXT_INPUT_VALUE_MAX:
            problems.append(_too_long((*where, "value"), TEXT_INPUT_VALUE_MAX))
    return problems


def _component_problems(
    components: Any, prefix: tuple[str | int, ...], *, v2: bool
) -> list[Problem]:
    path = (*prefix, "components")
    if not isinstance(components, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    problems: list[Problem] = []
    if v2:
        if sum(1 for _ in _walk_components(components)) > V2_COMPONENTS_MAX:
            problems.append(_too_long(path, V2_COMPONENTS_MAX))
    else:
        if len(components) > ACTION_ROWS_MAX:
            problems.append(_too_long(path, ACTION_ROWS_MAX))
        for i, row in enumerate(components):
            where = (*path, i)
            if not isinstance(row, dict) or row.get("type") != 1:
                problems.append(
                    (
                        (*where, "type"),
                        "UNION_TYPE_CHOICES",
                        'Value of field "type" must be one of (1,).',
                    )
                )
                continue
            children = row.get("components") or []
            if not children:
                problems.append(_too_short((*where, "components"), 1))
            if len(children) > ROW_COMPONENTS_MAX:
                problems.append(_too_long((*where, "components"), ROW_COMPONENTS_MAX))
            if len(children) > 1 and any(c.get("type") in _SELECT_TYPES for c in children):
                problems.append(
                    (
                        (*where, "components"),
                        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        "The specified component exceeds the maximum width",
                    )
                )
    for i, item in enumerate(_walk_components(components)):
        problems.extend(_item_problems(item, (*path, i)))
    seen: set[str] = set()
    for item in _walk_components(components):
        custom_id = item.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                problems.append(
                    (
                        path,
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return problems


def message_problems(
    payload: Mapping[str, Any], prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """What Discord rejects with 400/50035 in a message payload (create or edit), as problems."""
    problems: list[Problem] = []
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(((*prefix, "content"), "BASE_TYPE_STRING", "Must be a string."))
        elif len(content) > CONTENT_MAX:
            problems.append(_too_long((*prefix, "content"), CONTENT_MAX))
    if payload.get("embeds") is not None:
        problems.extend(_embed_problems(payload["embeds"], prefix))
    flags = payload.get("flags") or 0
    v2 = bool(isinstance(flags, int) and flags & FLAG_COMPONENTS_V2)
    if payload.get("components") is not None:
        problems.extend(_component_problems(payload["components"], prefix, v2=v2))
    if v2 and (content or payload.get("embeds")):
        problems.append(
            (
                (*prefix, "content"),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
            )
        )
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > NONCE_MAX:
        problems.append(_too_long((*prefix, "nonce"), NONCE_MAX))
    return problems


def _is_empty_message(message: Mapping[str, Any]) -> bool:
    return not (
        message.get("content")
        or message.get("embeds")
        or message.get("components")
        or message.get("attachments")
        or message.get("sticker_ids")
        or message.get("poll")
    )


def _choice_problems(choices: Any, prefix: tuple[str | int, ...]) -> list[Problem]:
    path = (*prefix, "choices")
    if not isinstance(choices, list):
        return [(path, "BASE_TYPE_ARRAY", "Must be an array.")]
    problems: list[Problem] = []
    if len(choices) > AUTOCOMPLETE_CHOICES_MAX:
        problems.append(_too_long(path, AUTOCOMPLETE_CHOICES_MAX))
    for i, choice in enumerate(choices):
        name = choice.get("name") if isinstance(choice, dict) else None
        value = choice.get("value") if isinstance(choice, dict) else None
        if not isinstance(name, str):
            problems.append(_required((*path, i, "name")))
        elif not 1 <= len(name) <= CHOICE_TEXT_MAX:
            problems.append(
                _too_long((*path, i, "name"), CHOICE_TEXT_MAX)
                if name
                else _too_short((*path, i, "name"), 1)
            )
        if value is None:
            problems.append(_required((*path, i, "value")))
        elif isinstance(value, str) and len(value) > CHOICE_TEXT_MAX:
            problems.append(_too_long((*path, i, "value"), CHOICE_TEXT_MAX))
    return problems


def _modal_problems(data: Mapping[str, Any], prefix: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    title = data.get("title")
    if not isinstance(title, str) or not title:
        problems.append(_required((*prefix, "title")))
    elif len(title) > MODAL_TITLE_MAX:
        problems.append(_too_long((*prefix, "title"), MODAL_TITLE_MAX))
    if not data.get("custom_id"):
        problems.append(_required((*prefix, "custom_id")))
    components = data.get("components") or []
    if not components:
        problems.append(_too_short((*prefix, "components"), 1))
    if len(components) > MODAL_COMPONENTS_MAX:
        problems.append(_too_long((*prefix, "components"), MODAL_COMPONENTS_MAX))
    for i, item in enumerate(_walk_components(components)):
        problems.extend(_item_problems(item, (*prefix, "components", i)))
    return problems


def _command_problems(commands: Any) -> list[Problem]:
    if not isinstance(commands, list):
        return [((), "BASE_TYPE_ARRAY", "Must be an array.")]
    problems: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    for i, cmd in enumerate(commands):
        if not isinstance(cmd, dict):
            problems.append(((i,), "MODEL_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        kind = cmd.get("type", 1)
        name = cmd.get("name")
        if not isinstance(name, str) or not name:
            problems.append(_required((i, "name")))
            continue
        if kind == 1:
            if not _COMMAND_NAME_RE.match(name) or name != name.lower():
                problems.append(
                    ((i, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
                )
            description = cmd.get("description")
            if (
                not isinstance(description, str)
                or not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX
            ):
                problems.append(_too_long((i, "description"), COMMAND_DESCRIPTION_MAX))
        elif len(name) > COMMAND_NAME_MAX:
            problems.append(_too_long((i, "name"), COMMAND_NAME_MAX))
        if (kind, name) in seen:
            problems.append(
                (
                    (i, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {name}",
                )
            )
        seen.add((kind, name))
        problems.extend(_option_problems(cmd.get("options") or [], (i, "options")))
    return problems


def _option_problems(options: list[Any], path: tuple[str | int, ...]) -> list[Problem]:
    problems: list[Problem] = []
    if len(options) > COMMAND_OPTIONS_MAX:
        problems.append(_too_long(path, COMMAND_OPTIONS_MAX))
    optional_seen = False
    for j, option in enumerate(options):
        name = option.get("name", "")
        if not _COMMAND_NAME_RE.match(name) or name != name.lower():
            problems.append(
                ((*path, j, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Option name is invalid")
            )
        description = option.get("description", "")
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            problems.append(_too_long((*path, j, "description"), COMMAND_DESCRIPTION_MAX))
        if option.get("type") in (1, 2):
            problems.extend(_option_problems(option.get("options") or [], (*path, j, "options")))
            continue
        if option.get("required"):
            if optional_seen:
                problems.append(
                    (
                        (*path, j, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            optional_seen = True
        if len(option.get("choices") or []) > AUTOCOMPLETE_CHOICES_MAX:
            problems.append(_too_long((*path, j, "choices"), AUTOCOMPLETE_CHOICES_MAX))
    return problems


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One REST request the bot made, and what the fake answered."""

    method: str
    path: str  # relative to the API base, e.g. "/channels/123/messages"
    query: dict[str, str]
    json: Any  # the JSON body (``payload_json`` for multipart), None without a body
    files: tuple[str, ...] = ()
    status: int = 0
    response: Any = None

    @property
    def code(self) -> int | None:
        """Discord's JSON error code of the answer, if it was an error."""
        if isinstance(self.response, dict) and self.status >= 400:
            code = self.response.get("code")
            return code if isinstance(code, int) else None
        return None


@dataclass
class _Rule:
    path_substring: str
    method: str | None
    remaining: int
    status: int
    body: JSON
    headers: dict[str, str]


class InteractionResult:
    """What happened to one interaction the fake dispatched; updated live as the bot acts.

    `type` is the callback type (4 message, 5 deferred message, 6 deferred update, 7 update,
    8 autocomplete choices, 9 modal) or None if the bot never answered successfully.
    `data` is the message payload that answered the interaction (for a deferral: the payload
    of the edit or followup that completed it), `message` the resulting message as stored now.
    """

    def __init__(self, fake: FakeDiscord, payload: JSON, name: str, deadline: float) -> None:
        self._fake = fake
        self.interaction: JSON = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.kind: int = payload["type"]
        self.name = name
        self.created = time.monotonic()
        self.deadline = deadline
        self.type: int | None = None
        self.data: JSON = {}
        self.message_id: int | None = None  # the "@original" message
        self.final_message_id: int | None = None
        self.followups: list[JSON] = []
        self.errors: list[JSON] = []
        self.edits = 0
        self.completed = False
        self.expired = False

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.name!r} kind={self.kind} type={self.type} "
            f"content={self.content!r} errors={[e.get('code') for e in self.errors]}>"
        )

    @property
    def channel_id(self) -> int:
        return int(self.interaction["channel_id"])

    @property
    def message(self) -> JSON | None:
        """The final message (live: later edits show), or None."""
        for mid in (self.final_message_id, self.message_id):
            if mid is not None and mid in self._fake._messages:
                return self._fake._messages[mid]
        return None

    @property
    def flags(self) -> int:
        message = self.message
        if message is not None:
            return int(message.get("flags") or 0)
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def content(self) -> str | None:
        message = self.message
        if message is not None:
            return str(message.get("content") or "")
        content = self.data.get("content")
        return None if content is None else str(content)

    @property
    def embeds(self) -> list[JSON]:
        message = self.message
        source = message if message is not None else self.data
        return list(source.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        message = self.message
        source = message if message is not None else self.data
        return list(source.get("components") or [])

    @property
    def custom_ids(self) -> list[str]:
        """custom_ids of all components of the final message (or modal)."""
        return [c["custom_id"] for c in _walk_components(self.components) if "custom_id" in c]

    @property
    def choices(self) -> list[JSON]:
        return list(self.data.get("choices") or [])

    @property
    def error_codes(self) -> list[int]:
        return [int(e["code"]) for e in self.errors if "code" in e]

    def _finished(self, wait_after_defer: bool) -> bool:
        if self.expired:
            return True
        if self.type is None:
            return False
        if self.type in (5, 6) and wait_after_defer:
            return self.completed
        return True

    async def wait_for_followups(
        self, count: int = 1, *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[JSON]:
        """Wait until the bot sent at least `count` followups; returns them all."""
        return await self._fake.wait_until(
            lambda: list(self.followups) if len(self.followups) >= count else None,
            timeout=timeout,
            what=f"{count} followup(s) to {self.name!r}",
        )

    async def wait_for_edit(self, count: int = 1, *, timeout: float = DEFAULT_TIMEOUT) -> JSON:
        """Wait until the original response was edited `count` times; returns the message."""

        def edited() -> JSON | None:
            return self.message if self.edits >= count and self.message is not None else None

        return await self._fake.wait_until(
            edited, timeout=timeout, what=f"an edit of {self.name!r}"
        )


@dataclass
class _Guild:
    id: int
    name: str
    owner_id: int
    joined_at: str
    roles: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    admin_role_id: int = 0
    bot_role_id: int = 0


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    request: web.Request
    path: str
    queue: asyncio.Queue[str | tuple[int, str] | None] = field(default_factory=asyncio.Queue)
    writer: asyncio.Task[None] | None = None
    session: _Session | None = None
    live: bool = True


@dataclass(eq=False)
class _Session:
    id: str
    intents: int
    identify: JSON
    seq: int = 0
    frames: list[tuple[int, str]] = field(default_factory=list)
    conn: _Connection | None = None
    ready: bool = False


def _snowflake_of(value: Any) -> int:
    if isinstance(value, dict):
        return int(value["id"])
    return int(value)


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeDiscord:
    """A fake Discord on 127.0.0.1 (REST under ``/api/v10`` and a gateway); see module doc."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "confbot",
        guild_name: str = "FakeConf",
        interaction_deadline: float = INTERACTION_DEADLINE,
        followup_lifetime: float = FOLLOWUP_LIFETIME,
        heartbeat_interval: float = 41.25,
        max_frames: int = 10_000,
        enforce_command_visibility: bool = True,
    ) -> None:
        self.token = token
        self.interaction_deadline = interaction_deadline
        self.followup_lifetime = followup_lifetime
        self.heartbeat_interval = heartbeat_interval
        self.max_frames = max_frames
        self.enforce_command_visibility = enforce_command_visibility

        self._last_snowflake = 0
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._conns: set[_Connection] = set()
        self._session: _Session | None = None
        self._sessions: dict[str, _Session] = {}
        self._rules: list[_Rule] = []
        self._tasks: set[asyncio.Task[Any]] = set()

        self._users: dict[int, JSON] = {}
        self._guilds: dict[int, _Guild] = {}
        self._channels: dict[int, JSON] = {}
        self._deleted_channels: set[int] = set()
        self._channel_log: dict[int, list[JSON]] = {}
        self._messages: dict[int, JSON] = {}
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self._commands: dict[int | None, list[JSON]] = {}
        self._interactions: dict[int, InteractionResult] = {}
        self._by_token: dict[str, InteractionResult] = {}
        self._message_cursor: dict[int, set[int]] = {}
        self._dm_channels: dict[int, int] = {}

        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.interactions: list[InteractionResult] = []
        self.identify_payloads: list[JSON] = []
        self.gateway_received: list[JSON] = []
        self.gateway_paths: list[str] = []
        self.presences: list[JSON] = []
        self.identify_count = 0
        self.resume_count = 0
        self.connection_count = 0
        self.heartbeat_count = 0
        self.rate_limited_count = 0

        self.application_id = self._snowflake()
        self.bot_user: JSON = self._new_user(bot_name, bot=True, user_id=self.application_id)
        self.bot_user.update({"verified": True, "mfa_enabled": False, "email": None, "flags": 0})
        self.owner: JSON = self._new_user("owner")
        self.application: JSON = {
            "id": str(self.application_id),
            "name": bot_name,
            "icon": None,
            "description": "confbot under test",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner,
            "verify_key": secrets.token_hex(32),
            "team": None,
            "flags": 0,
            "rpc_origins": [],
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 1,
            "bot": self.bot_user,
        }
        self.guild_id = self.add_guild(guild_name, owner=self.owner)
        self.channel_id = self._guilds[self.guild_id].channel_ids[0]
        self.default_user: JSON = self.add_member("tester", admin=False)

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        self._add_routes(app)
        runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False, access_log=None)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def close(self) -> None:
        """Close every gateway connection and stop the server (bounded, never hangs)."""
        for conn in list(self._conns):
            conn.live = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"fake shutting down"), 1.0)
            if conn.writer is not None:
                conn.writer.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner.cleanup(), 5.0)
            self._runner = None
        self._notify()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started: use `async with FakeDiscord() as fake`")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume-gateway"

    @property
    def connected(self) -> bool:
        """A gateway connection is open and its session is READY (or RESUMED)."""
        s = self._session
        return s is not None and s.ready and s.conn is not None and s.conn.live

    # ---------------------------------------------------------------- ids, users, guilds

    def _snowflake(self) -> int:
        value = discord.utils.time_snowflake(datetime.datetime.now(datetime.UTC))
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def _new_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> JSON:
        uid = user_id if user_id is not None else self._snowflake()
        user: JSON = {
            "id": str(uid),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name.title(),
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
        }
        self._users[uid] = user
        return user

    def _guild(self, guild_id: int | None) -> _Guild:
        gid = self.guild_id if guild_id is None else guild_id
        try:
            return self._guilds[gid]
        except KeyError:
            raise KeyError(f"unknown guild {gid}") from None

    def _member_record(self, guild: _Guild, user: JSON, roles: Sequence[int]) -> JSON:
        member: JSON = {
            "user": user,
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        guild.members[int(user["id"])] = member
        return member

    def add_guild(self, name: str, *, owner: JSON | None = None) -> int:
        """A guild with roles (@everyone, Admin, the bot's), a #general channel and the bot."""
        gid = self._snowflake()
        owner_user = owner if owner is not None else self.owner
        guild = _Guild(id=gid, name=name, owner_id=int(owner_user["id"]), joined_at=_now_iso())
        self._guilds[gid] = guild
        guild.roles[gid] = self._role(gid, "@everyone", BASIC_PERMISSIONS, position=0)
        guild.admin_role_id = self._snowflake()
        guild.roles[guild.admin_role_id] = self._role(
            guild.admin_role_id, "Admin", ADMIN_ROLE_PERMISSIONS, position=2, hoist=True
        )
        guild.bot_role_id = self._snowflake()
        bot_role = self._role(
            guild.bot_role_id, self.bot_user["username"], BOT_ROLE_PERMISSIONS, position=1
        )
        bot_role["managed"] = True
        bot_role["tags"] = {"bot_id": str(self.application_id)}
        guild.roles[guild.bot_role_id] = bot_role
        self._member_record(guild, self.bot_user, [guild.bot_role_id])
        self._member_record(guild, owner_user, [guild.admin_role_id])
        self.add_channel("general", guild_id=gid)
        if self._session is not None and self._session.ready:
            self.dispatch("GUILD_CREATE", self._guild_payload(guild))
        return gid

    def _role(
        self, rid: int, name: str, permissions: int, *, position: int, hoist: bool = False
    ) -> JSON:
        return {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "color": 0,
            "hoist": hoist,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def add_channel(
        self, name: str, *, guild_id: int | None = None, topic: str | None = None
    ) -> int:
        """A text channel; dispatches CHANNEL_CREATE when the bot is connected."""
        guild = self._guild(guild_id)
        cid = self._snowflake()
        channel: JSON = {
            "id": str(cid),
            "type": 0,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channel_ids),
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "topic": topic,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        self._channels[cid] = channel
        self._channel_log[cid] = []
        guild.channel_ids.append(cid)
        if self._session is not None and self._session.ready:
            self.dispatch("CHANNEL_CREATE", copy.deepcopy(channel))
        self._notify()
        return cid

    def add_member(
        self, name: str, *, admin: bool = False, guild_id: int | None = None, bot: bool = False
    ) -> JSON:
        """A new user who is a member of the guild; returns the user dict.

        An admin has the Admin role (ADMINISTRATOR, Manage Guild, ...) so `member.permissions`
        in interactions is everything; a non-admin has only @everyone's basic permissions.
        """
        guild = self._guild(guild_id)
        user = self._new_user(name, bot=bot)
        self._member_record(guild, user, [guild.admin_role_id] if admin else [])
        s = self._session
        if s is not None and s.ready and s.intents & INTENT_GUILD_MEMBERS:
            payload = copy.deepcopy(guild.members[int(user["id"])])
            payload["guild_id"] = str(guild.id)
            self.dispatch("GUILD_MEMBER_ADD", payload)
        self._notify()
        return user

    def add_user(self, name: str) -> JSON:
        """A user who shares no guild with the bot (for DMs)."""
        return self._new_user(name)

    def user(self, user_id: int) -> JSON:
        return self._users[user_id]

    def channel(self, channel_id: int) -> JSON:
        """The channel payload (KeyError for unknown or deleted channels)."""
        if channel_id in self._deleted_channels:
            raise KeyError(f"channel {channel_id} was deleted")
        return self._channels[channel_id]

    def member(
        self, user: JSON | int, *, guild_id: int | None = None, channel_id: int | None = None
    ) -> JSON:
        """The member payload as in interactions (with computed `permissions`)."""
        guild = self._guild(guild_id)
        uid = _snowflake_of(user)
        payload = copy.deepcopy(guild.members[uid])
        payload["permissions"] = str(
            self.permissions(uid, guild_id=guild.id, channel_id=channel_id)
        )
        return payload

    def permissions(
        self, user: JSON | int, *, guild_id: int | None = None, channel_id: int | None = None
    ) -> int:
        """Discord's permission computation: owner, roles, ADMINISTRATOR, then overwrites."""
        guild = self._guild(guild_id)
        uid = _snowflake_of(user)
        if uid == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(uid)
        if member is None:
            return 0
        role_ids = [guild.id, *(int(r) for r in member["roles"])]
        base = 0
        for rid in role_ids:
            role = guild.roles.get(rid)
            if role is not None:
                base |= int(role["permissions"])
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None or channel_id not in self._channels:
            return base
        overwrites = {
            int(o["id"]): o for o in self._channels[channel_id].get("permission_overwrites", [])
        }
        perms = base
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in role_ids[1:]:
            ow = overwrites.get(rid)
            if ow is not None:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        own = overwrites.get(uid)
        if own is not None:
            perms = (perms & ~int(own["deny"])) | int(own["allow"])
        return perms

    def delete_channel(self, channel_id: int) -> None:
        """Delete a channel: later posts get 404/10003; dispatches CHANNEL_DELETE."""
        channel = self._channels[channel_id]
        self._deleted_channels.add(channel_id)
        guild_id = channel.get("guild_id")
        if guild_id is not None:
            guild = self._guilds[int(guild_id)]
            if channel_id in guild.channel_ids:
                guild.channel_ids.remove(channel_id)
            if self._session is not None and self._session.ready:
                self.dispatch("CHANNEL_DELETE", copy.deepcopy(channel))
        self._notify()

    def deny_channel(self, channel_id: int, *, view: bool = False) -> None:
        """Overwrite the bot's permissions in a channel: no SEND_MESSAGES (403/50013), and with
        ``view=True`` no VIEW_CHANNEL either (403/50001). Dispatches CHANNEL_UPDATE."""
        deny = SEND_MESSAGES | (VIEW_CHANNEL if view else 0)
        self._set_bot_overwrite(channel_id, deny)

    def allow_channel(self, channel_id: int) -> None:
        """Undo `deny_channel`."""
        self._set_bot_overwrite(channel_id, 0)

    def _set_bot_overwrite(self, channel_id: int, deny: int) -> None:
        channel = self.channel(channel_id)
        overwrites = [
            o for o in channel["permission_overwrites"] if int(o["id"]) != self.application_id
        ]
        if deny:
            overwrites.append(
                {"id": str(self.application_id), "type": 1, "allow": "0", "deny": str(deny)}
            )
        channel["permission_overwrites"] = overwrites
        if self._session is not None and self._session.ready:
            self.dispatch("CHANNEL_UPDATE", copy.deepcopy(channel))
        self._notify()

    def dm_channel(self, user: JSON | int) -> int:
        """The id of the DM channel between the bot and `user` (created on first use)."""
        uid = _snowflake_of(user)
        if uid in self._dm_channels:
            return self._dm_channels[uid]
        cid = self._snowflake()
        self._channels[cid] = {
            "id": str(cid),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._users[uid]],
        }
        self._channel_log[cid] = []
        self._dm_channels[uid] = cid
        return cid

    # ---------------------------------------------------------------- inspection

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The registered commands: global ones, or those of `guild_id`."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def command(self, name: str, *, guild_id: int | None = None) -> JSON | None:
        for cmd in self._commands.get(guild_id, []):
            if cmd["name"] == name:
                return copy.deepcopy(cmd)
        return None

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """Messages in a channel, oldest first (live dicts; ephemeral ones excluded)."""
        return [m for m in self._channel_log.get(channel_id, []) if int(m["id"]) in self._messages]

    def message(self, message_id: int) -> JSON:
        """Any stored message (including ephemeral ones), live."""
        return self._messages[message_id]

    def requests_to(self, path_substring: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if path_substring in r.path and (method is None or r.method == method.upper())
        ]

    @property
    def errors(self) -> list[RecordedRequest]:
        """Every request the fake answered with a status >= 400 (429s included)."""
        return [r for r in self.requests if r.status >= 400]

    # ---------------------------------------------------------------- waiting

    def _notify(self) -> None:
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "a condition",
    ) -> T:
        """Wait until `predicate()` returns something other than None (re-checked on every change
        the fake sees); raise TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            result = predicate()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"FakeDiscord: timed out after {timeout:g}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_until_identified(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until a client IDENTIFYed and got READY and its GUILD_CREATEs."""

        def ready() -> bool | None:
            return True if self._session is not None and self._session.ready else None

        await self.wait_until(ready, timeout=timeout, what="the bot to IDENTIFY")

    async def wait_until_connected(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until a gateway connection with a ready session is open."""
        await self.wait_until(
            lambda: True if self.connected else None, timeout=timeout, what="a gateway connection"
        )

    async def wait_for_commands(
        self, *, guild_id: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[JSON]:
        """Wait until at least one command is registered globally (or in `guild_id`)."""
        return await self.wait_until(
            lambda: self.commands(guild_id) or None, timeout=timeout, what="commands to be synced"
        )

    async def wait_for_message(
        self,
        channel_id: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        predicate: Callable[[JSON], bool] | None = None,
        from_bot: bool = True,
    ) -> JSON:
        """The oldest message in the channel (by the bot, unless ``from_bot=False``) matching
        `predicate` that no earlier `wait_for_message` call returned; waits for one."""
        seen = self._message_cursor.setdefault(channel_id, set())

        def find() -> JSON | None:
            for message in self.channel_messages(channel_id):
                mid = int(message["id"])
                if mid in seen:
                    continue
                if from_bot and int(message["author"]["id"]) != self.application_id:
                    continue
                if predicate is not None and not predicate(message):
                    continue
                seen.add(mid)
                return message
            return None

        return await self.wait_until(
            find, timeout=timeout, what=f"a message in channel {channel_id}"
        )

    # ---------------------------------------------------------------- fault injection

    def rate_limit_next(
        self,
        path_substring: str,
        retry_after: float = 0.05,
        *,
        method: str | None = None,
        times: int = 1,
        is_global: bool = False,
    ) -> None:
        """The next `times` requests whose path contains `path_substring` get a 429 with
        ``retry_after`` and a ``Via`` header (so discord.py sleeps and retries)."""
        body: JSON = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        if is_global:
            body["code"] = 0
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        self._rules.append(
            _Rule(path_substring, method.upper() if method else None, times, 429, body, headers)
        )

    def fail_next(
        self,
        path_substring: str,
        *,
        status: int = 500,
        code: int = 0,
        message: str = "Internal Server Error",
        method: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` matching requests get `status` with ``{"code", "message"}``.
        (discord.py retries 500/502/504 itself, sleeping 1 s, 3 s, ...)"""
        self._rules.append(
            _Rule(
                path_substring,
                method.upper() if method else None,
                times,
                status,
                {"message": message, "code": code},
                {},
            )
        )

    # ---------------------------------------------------------------- gateway control

    def dispatch(self, event: str, data: Any) -> None:
        """Send a DISPATCH (op 0) to the bot; buffered for RESUME while disconnected."""
        s = self._session
        if s is None:
            log.debug("dropping %s: no gateway session", event)
            return
        s.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": s.seq, "d": data}, separators=(",", ":"))
        s.frames.append((s.seq, frame))
        if len(s.frames) > self.max_frames:
            del s.frames[: len(s.frames) - self.max_frames]
        if s.conn is not None and s.conn.live:
            s.conn.queue.put_nowait(frame)

    async def drop_connection(
        self, *, code: int | None = None, wait: bool = True, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Drop the gateway connection: abruptly (TCP abort, no close frame) by default, or with
        a close frame carrying `code`. With `wait`, return once the client came back (RESUME or
        IDENTIFY) and the session is live again."""
        conn = await self._current_connection(timeout)
        before = self.resume_count + self.identify_count
        if code is None:
            conn.live = False
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            conn.queue.put_nowait((code, "fake dropped the connection"))
        if wait:
            await self._wait_reconnected(before, timeout)

    async def request_reconnect(
        self, *, wait: bool = True, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Send op 7 RECONNECT; the client closes and RESUMEs on resume_gateway_url."""
        conn = await self._current_connection(timeout)
        before = self.resume_count + self.identify_count
        conn.queue.put_nowait(json.dumps({"op": 7, "d": None, "s": None, "t": None}))
        if wait:
            await self._wait_reconnected(before, timeout)

    async def invalidate_session(
        self, *, resumable: bool = False, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        """Send op 9 INVALID_SESSION. Not resumable: the client re-IDENTIFYs, after discord.py's
        5 s ``before_identify_hook`` sleep."""
        conn = await self._current_connection(timeout)
        if not resumable and conn.session is not None:
            self._sessions.pop(conn.session.id, None)
        conn.queue.put_nowait(json.dumps({"op": 9, "d": resumable, "s": None, "t": None}))

    async def _current_connection(self, timeout: float) -> _Connection:
        await self.wait_until_connected(timeout=timeout)
        assert self._session is not None and self._session.conn is not None
        return self._session.conn

    async def _wait_reconnected(self, before: int, timeout: float) -> None:
        def back() -> bool | None:
            return (
                True
                if self.connected and self.resume_count + self.identify_count > before
                else None
            )

        await self.wait_until(back, timeout=timeout, what="the bot to reconnect")

    # ---------------------------------------------------------------- gateway server

    async def _gateway_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = _Connection(ws=ws, request=request, path=request.path)
        conn.writer = asyncio.create_task(self._gateway_writer(conn))
        self._conns.add(conn)
        self.connection_count += 1
        self.gateway_paths.append(request.path)
        self._send(
            conn,
            {
                "op": 10,
                "d": {
                    "heartbeat_interval": int(self.heartbeat_interval * 1000),
                    "_trace": ["fake-discord"],
                },
            },
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self._on_gateway_frame(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    self._close(conn, 4002, "Decode error: this fake only speaks JSON text frames")
                else:
                    break
                self._notify()
        except (ConnectionError, aiohttp.ClientError):
            pass  # the peer vanished (or drop_connection aborted the transport)
        finally:
            conn.live = False
            self._conns.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            conn.queue.put_nowait(None)
            self._notify()
        return ws

    async def _gateway_writer(self, conn: _Connection) -> None:
        while True:
            item = await conn.queue.get()
            if item is None:
                return
            try:
                if isinstance(item, tuple):
                    conn.live = False
                    code, reason = item
                    await conn.ws.close(code=code, message=reason.encode())
                    return
                await conn.ws.send_str(item)
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                conn.live = False
                return

    def _send(self, conn: _Connection, payload: JSON) -> None:
        payload.setdefault("s", None)
        payload.setdefault("t", None)
        conn.queue.put_nowait(json.dumps(payload, separators=(",", ":")))

    def _close(self, conn: _Connection, code: int, reason: str) -> None:
        log.warning("fake gateway closing connection: %s %s", code, reason)
        conn.queue.put_nowait((code, reason))

    def _on_gateway_frame(self, conn: _Connection, raw: str) -> None:
        try:
            msg = json.loads(raw)
            op = msg["op"]
        except (ValueError, KeyError, TypeError):
            self._close(conn, 4002, "Decode error")
            return
        self.gateway_received.append(msg)
        data = msg.get("d")
        if op == 1:
            self.heartbeat_count += 1
            self._send(conn, {"op": 11})
        elif op == 2:
            self._on_identify(conn, data)
        elif op == 6:
            self._on_resume(conn, data)
        elif conn.session is None:
            self._close(conn, 4003, "Not authenticated.")
        elif op == 3:
            self.presences.append(data)
        elif op == 4:
            pass  # voice state update: no voice here
        elif op == 8:
            self._on_request_members(data)
        else:
            self._close(conn, 4001, "Unknown opcode.")

    def _on_identify(self, conn: _Connection, data: Any) -> None:
        if conn.session is not None:
            self._close(conn, 4005, "Already authenticated.")
            return
        if not isinstance(data, dict) or data.get("token") != self.token:
            self._close(conn, 4004, "Authentication failed.")
            return
        if "intents" not in data:
            self._close(conn, 4013, "Invalid intent(s).")
            return
        session = _Session(id=secrets.token_hex(16), intents=int(data["intents"]), identify=data)
        if (
            self._session is not None
            and self._session.conn is not None
            and self._session.conn is not conn
        ):
            self._close(self._session.conn, 4000, "Session replaced")
        self._session = session
        self._sessions[session.id] = session
        session.conn = conn
        conn.session = session
        self.identify_count += 1
        self.identify_payloads.append(data)
        ready: JSON = {
            "v": 10,
            "user": self.bot_user,
            "user_settings": {},
            "private_channels": [],
            "presences": [],
            "relationships": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self._guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application["flags"]},
            "auth": {},
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        self.dispatch("READY", ready)
        for guild in self._guilds.values():
            self.dispatch("GUILD_CREATE", self._guild_payload(guild))
        session.ready = True

    def _on_resume(self, conn: _Connection, data: Any) -> None:
        if not isinstance(data, dict) or data.get("token") != self.token:
            self._close(conn, 4004, "Authentication failed.")
            return
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or session is not self._session:
            self._send(conn, {"op": 9, "d": False})
            return
        old = session.conn
        if old is not None and old is not conn:
            old.live = False
            self._close(old, 4000, "Session resumed elsewhere")
        session.conn = conn
        conn.session = session
        self.resume_count += 1
        seq = data.get("seq")
        for s, frame in session.frames:
            if seq is None or s > int(seq):
                conn.queue.put_nowait(frame)
        self.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        session.ready = True

    def _on_request_members(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        guild = self._guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if int(m["user"]["id"]) in wanted]
        else:
            query = str(data.get("query") or "").lower()
            members = [m for m in members if m["user"]["username"].lower().startswith(query)]
            limit = int(data.get("limit") or 0)
            if limit:
                members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _guild_payload(self, guild: _Guild) -> JSON:
        channels = []
        for cid in guild.channel_ids:
            channel = copy.deepcopy(self._channels[cid])
            channel.pop("guild_id", None)
            channels.append(channel)
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": str(guild.channel_ids[0]) if guild.channel_ids else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "features": [],
            "roles": copy.deepcopy(list(guild.roles.values())),
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [],
            "members": copy.deepcopy(list(guild.members.values())),
            "member_count": len(guild.members),
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "application_id": None,
            "premium_progress_bar_enabled": False,
        }

    # ---------------------------------------------------------------- REST server

    def _add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/gateway", self._gateway_handler)
        r.add_get("/resume-gateway", self._gateway_handler)
        p = API_PREFIX
        routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway_bot),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/applications/@me", self._get_application),
            ("GET", "/applications/{app_id}/commands", self._list_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("POST", "/applications/{app_id}/commands", self._upsert_command),
            ("GET", "/applications/{app_id}/commands/{command_id}", self._get_command),
            ("PATCH", "/applications/{app_id}/commands/{command_id}", self._edit_command),
            ("DELETE", "/applications/{app_id}/commands/{command_id}", self._delete_command),
            (
                "GET",
                "/applications/{app_id}/guilds/{guild_id}/commands/permissions",
                self._empty_list,
            ),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._list_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", self._upsert_command),
            (
                "GET",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._get_command,
            ),
            (
                "PATCH",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._edit_command,
            ),
            (
                "DELETE",
                "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
            ),
            ("GET", "/applications/{app_id}/emojis", self._get_app_emojis),
            ("GET", "/applications/{app_id}/entitlements", self._empty_list),
            ("GET", "/applications/{app_id}/skus", self._empty_list),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{app_id}/{token}", self._webhook_execute),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self._webhook_get_message),
            (
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._webhook_edit_message,
            ),
            (
                "DELETE",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self._webhook_delete_message,
            ),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("POST", "/channels/{channel_id}/messages", self._create_channel_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_channel_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}",
                self._delete_channel_message,
            ),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._no_content,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self._no_content,
            ),
            ("GET", "/guilds/{guild_id}", self._get_guild),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_guild_member),
        ]
        for method, path, handler in routes:
            r.add_route(method, p + path, handler)
        r.add_route("*", p + "/{tail:.*}", self._not_found)

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        rel = request.path[len(API_PREFIX) :]
        record = RecordedRequest(request.method, rel, dict(request.query), None)
        self.requests.append(record)
        try:
            try:
                record.json, files = await self._read_body(request)
                record.files = tuple(files)
                _BODY.set((record.json, files))
                self._apply_rules(request.method, rel)
                self._check_auth(request, rel)
                response = await handler(request)
            except _ApiError as exc:
                response = exc.response()
                record.response = exc.body()
            else:
                if isinstance(response, web.Response) and response.body:
                    with contextlib.suppress(ValueError, TypeError):
                        body = response.body
                        record.response = json.loads(body if isinstance(body, bytes) else str(body))
            record.status = response.status
            if response.status == 429:
                self.rate_limited_count += 1
            elif response.status >= 400:
                log.info(
                    "fake discord: %s %s -> %s %s",
                    request.method,
                    rel,
                    response.status,
                    record.response,
                )
            return response
        finally:
            self._notify()

    async def _read_body(self, request: web.Request) -> tuple[Any, list[str]]:
        if not request.body_exists:
            return None, []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload: Any = None
            files: list[str] = []
            for key, value in form.items():
                if key == "payload_json":
                    payload = json.loads(
                        value if isinstance(value, str | bytes | bytearray) else value.file.read()
                    )
                elif isinstance(value, web.FileField):
                    files.append(value.filename)
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            raise _ApiError(400, 50109, "The request body contains invalid JSON.") from None

    def _apply_rules(self, method: str, rel: str) -> None:
        for rule in self._rules:
            if rule.remaining > 0 and rule.path_substring in rel and rule.method in (None, method):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                raise _ApiError(
                    rule.status,
                    int(rule.body.get("code", 0)),
                    str(rule.body.get("message", "")),
                    headers=rule.headers,
                    extra={k: v for k, v in rule.body.items() if k not in ("code", "message")},
                )

    def _check_auth(self, request: web.Request, rel: str) -> None:
        if rel.startswith(("/interactions/", "/webhooks/")) or rel == "/gateway":
            return
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise _ApiError(401, 0, "401: Unauthorized")

    # ------------------------------------------------------------ REST: misc

    def _id(self, request: web.Request, key: str) -> int:
        value = request.match_info[key]
        try:
            return int(value)
        except ValueError:
            raise _invalid_form(
                [((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')]
            ) from None

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        record = self.requests[-1] if self.requests else None
        if record is not None:
            self.unhandled.append(record)
        log.warning("fake discord has no route for %s %s", request.method, request.path)
        raise _ApiError(404, 0, "404: Not Found")

    async def _no_content(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def _empty_list(self, request: web.Request) -> web.StreamResponse:
        return _json_response([])

    async def _typing(self, request: web.Request) -> web.StreamResponse:
        self._require_channel(self._id(request, "channel_id"), need=SEND_MESSAGES)
        return web.Response(status=204)

    async def _get_gateway(self, request: web.Request) -> web.StreamResponse:
        return _json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.StreamResponse:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.StreamResponse:
        user = self._users.get(self._id(request, "user_id"))
        if user is None:
            raise _ApiError(404, 10013, "Unknown User")
        return _json_response(user)

    async def _create_dm(self, request: web.Request) -> web.StreamResponse:
        payload = _payload() or {}
        try:
            uid = int(payload["recipient_id"])
        except (KeyError, TypeError, ValueError):
            raise _invalid_form([_required(("recipient_id",))]) from None
        if uid not in self._users:
            raise _ApiError(404, 10013, "Unknown User")
        return _json_response(self._channels[self.dm_channel(uid)])

    async def _get_application(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.application)

    async def _get_app_emojis(self, request: web.Request) -> web.StreamResponse:
        return _json_response({"items": []})

    async def _get_guild(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        payload = self._guild_payload(guild)
        for key in (
            "channels",
            "members",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
        ):
            payload.pop(key, None)
        return _json_response(payload)

    async def _get_guild_channels(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        return _json_response([self._channels[cid] for cid in guild.channel_ids])

    async def _get_guild_roles(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        return _json_response(list(guild.roles.values()))

    async def _get_guild_member(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        member = guild.members.get(self._id(request, "user_id"))
        if member is None:
            raise _ApiError(404, 10007, "Unknown Member")
        return _json_response(member)

    def _require_guild(self, guild_id: int) -> _Guild:
        guild = self._guilds.get(guild_id)
        if guild is None:
            raise _ApiError(404, 10004, "Unknown Guild")
        return guild

    # ------------------------------------------------------------ REST: commands

    def _command_scope(self, request: web.Request) -> int | None:
        if self._id(request, "app_id") != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        gid = self._id(request, "guild_id")
        if gid not in self._guilds:
            raise _ApiError(403, 50001, "Missing Access")
        return gid

    def _store_command(self, scope: int | None, payload: JSON, existing: list[JSON]) -> JSON:
        kind = payload.get("type", 1)
        old = next(
            (c for c in existing if c["name"] == payload.get("name") and c["type"] == kind), None
        )
        cmd: JSON = {
            "id": old["id"] if old else str(self._snowflake()),
            "application_id": str(self.application_id),
            "version": str(self._snowflake()),
            "type": kind,
            "name": payload.get("name"),
            "description": payload.get("description", ""),
            "options": payload.get("options") or [],
            "default_member_permissions": payload.get("default_member_permissions"),
            "dm_permission": payload.get("dm_permission", True),
            "nsfw": payload.get("nsfw", False),
            "contexts": payload.get("contexts"),
            "integration_types": payload.get("integration_types", [0]),
        }
        for key in ("name_localizations", "description_localizations"):
            if key in payload:
                cmd[key] = payload[key]
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _list_commands(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request) -> web.StreamResponse:
        scope = self._command_scope(request)
        payload = _payload()
        problems = _command_problems(payload)
        if problems:
            raise _invalid_form(problems)
        existing = self._commands.get(scope, [])
        self._commands[scope] = [self._store_command(scope, c, existing) for c in payload]
        return _json_response(self._commands[scope])

    async def _upsert_command(self, request: web.Request) -> web.StreamResponse:
        scope = self._command_scope(request)
        payload = _payload()
        problems = _command_problems([payload])
        if problems:
            raise _invalid_form(problems)
        existing = self._commands.setdefault(scope, [])
        cmd = self._store_command(scope, payload, existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        return _json_response(cmd, 201)

    def _find_command(self, request: web.Request) -> tuple[int | None, JSON]:
        scope = self._command_scope(request)
        cid = str(self._id(request, "command_id"))
        for cmd in self._commands.get(scope, []):
            if cmd["id"] == cid:
                return scope, cmd
        raise _ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._find_command(request)[1])

    async def _edit_command(self, request: web.Request) -> web.StreamResponse:
        _, cmd = self._find_command(request)
        payload = _payload() or {}
        merged = {**cmd, **payload}
        problems = _command_problems([merged])
        if problems:
            raise _invalid_form(problems)
        cmd.update(payload)
        return _json_response(cmd)

    async def _delete_command(self, request: web.Request) -> web.StreamResponse:
        scope, cmd = self._find_command(request)
        self._commands[scope].remove(cmd)
        return web.Response(status=204)

    # ------------------------------------------------------------ REST: channels and messages

    def _require_channel(self, channel_id: int, *, need: int = VIEW_CHANNEL) -> JSON:
        if channel_id in self._deleted_channels or channel_id not in self._channels:
            raise _ApiError(404, 10003, "Unknown Channel")
        channel = self._channels[channel_id]
        guild_id = channel.get("guild_id")
        if guild_id is not None:
            perms = self.permissions(
                self.application_id, guild_id=int(guild_id), channel_id=channel_id
            )
            if not perms & VIEW_CHANNEL:
                raise _ApiError(403, 50001, "Missing Access")
            if perms & need != need:
                raise _ApiError(403, 50013, "Missing Permissions")
        return channel

    def _mentions(self, content: Any) -> list[JSON]:
        if not isinstance(content, str):
            return []
        seen: list[JSON] = []
        for match in _MENTION_RE.finditer(content):
            user = self._users.get(int(match.group(1)))
            if user is not None and user not in seen:
                seen.append(user)
        return seen

    def _attachment(self, channel_id: int | str, message_id: int | str, filename: str) -> JSON:
        url = f"{self.base_url}/attachments/{channel_id}/{message_id}/{filename}"
        return {
            "id": str(self._snowflake()),
            "filename": filename,
            "size": 0,
            "url": url,
            "proxy_url": url,
        }

    def _create_message(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        *,
        author: JSON,
        files: Sequence[str] = (),
        flags: int = 0,
        interaction: InteractionResult | None = None,
        message_type: int = 0,
    ) -> JSON:
        mid = self._snowflake()
        attachments = [self._attachment(channel_id, mid, name) for name in files]
        message: JSON = {
            "id": str(mid),
            "type": message_type,
            "channel_id": str(channel_id),
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": self._mentions(payload.get("content")),
            "mention_roles": [],
            "attachments": attachments,
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "components": copy.deepcopy(payload.get("components") or []),
            "pinned": False,
            "flags": flags,
        }
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if payload.get("poll") is not None:
            message["poll"] = payload["poll"]
        if payload.get("message_reference") is not None:
            message["message_reference"] = payload["message_reference"]
        if interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
            user = interaction.interaction.get("member", {}).get(
                "user"
            ) or interaction.interaction.get("user")
            metadata: JSON = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "user": user,
                "authorizing_integration_owners": interaction.interaction.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.kind == 2:
                metadata["name"] = interaction.name
                metadata["command_type"] = 1
            if interaction.kind == 3 and interaction.interaction.get("message"):
                metadata["interacted_message_id"] = interaction.interaction["message"]["id"]
            message["interaction_metadata"] = metadata
            message["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "name": interaction.name,
                "user": user,
            }
        self._messages[mid] = message
        if not flags & FLAG_EPHEMERAL:
            self._channel_log.setdefault(channel_id, []).append(message)
            channel = self._channels.get(channel_id)
            if channel is not None:
                channel["last_message_id"] = str(mid)
            self._dispatch_message("MESSAGE_CREATE", message)
        self._notify()
        return message

    def _edit_message(
        self, message: JSON, payload: Mapping[str, Any], files: Sequence[str] = ()
    ) -> None:
        was_loading = bool(message["flags"] & FLAG_LOADING)
        for key in ("content", "components", "poll"):
            if key in payload:
                message[key] = (
                    copy.deepcopy(payload[key])
                    if payload[key] is not None
                    else ("" if key == "content" else [])
                )
        if "content" in payload:
            message["mentions"] = self._mentions(message["content"])
        if "embeds" in payload:
            message["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
        if "attachments" in payload or files:
            kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in message["attachments"] if str(a["id"]) in kept_ids]
            for name in files:
                kept.append(self._attachment(message["channel_id"], message["id"], name))
            message["attachments"] = kept
        flags = int(message["flags"])
        if "flags" in payload and payload["flags"] is not None:
            flags = (flags & ~FLAG_SUPPRESS_EMBEDS) | (
                int(payload["flags"]) & (FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2)
            )
        message["flags"] = flags & ~FLAG_LOADING
        if not was_loading:
            message["edited_timestamp"] = _now_iso()
        if not message["flags"] & FLAG_EPHEMERAL:
            self._dispatch_message("MESSAGE_UPDATE", message)
        self._notify()

    def _delete_message(self, message: JSON) -> None:
        mid = int(message["id"])
        self._messages.pop(mid, None)
        channel_id = int(message["channel_id"])
        log_ = self._channel_log.get(channel_id, [])
        if message in log_:
            log_.remove(message)
        if not message["flags"] & FLAG_EPHEMERAL:
            payload: JSON = {"id": str(mid), "channel_id": str(channel_id)}
            guild_id = self._channels.get(channel_id, {}).get("guild_id")
            if guild_id is not None:
                payload["guild_id"] = guild_id
            self._dispatch_intent("MESSAGE_DELETE", payload, channel_id)
        self._notify()

    def _dispatch_intent(self, event: str, payload: JSON, channel_id: int) -> None:
        s = self._session
        if s is None:
            return
        channel = self._channels.get(channel_id, {})
        need = INTENT_DIRECT_MESSAGES if channel.get("type") == 1 else INTENT_GUILD_MESSAGES
        if s.intents & need:
            self.dispatch(event, payload)

    def _dispatch_message(self, event: str, message: JSON) -> None:
        s = self._session
        if s is None:
            return
        channel_id = int(message["channel_id"])
        channel = self._channels.get(channel_id, {})
        payload = copy.deepcopy(message)
        guild_id = channel.get("guild_id")
        author_id = int(message["author"]["id"])
        if guild_id is not None:
            payload["guild_id"] = guild_id
            member = self._guilds[int(guild_id)].members.get(author_id)
            if member is not None and "webhook_id" not in message:
                payload["member"] = {k: v for k, v in member.items() if k != "user"}
        mentioned = any(int(u["id"]) == self.application_id for u in message.get("mentions", []))
        if (
            not s.intents & INTENT_MESSAGE_CONTENT
            and channel.get("type") != 1
            and author_id != self.application_id
            and not mentioned
        ):
            payload.update(content="", embeds=[], attachments=[], components=[])
        self._dispatch_intent(event, payload, channel_id)

    async def _get_channel(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._require_channel(self._id(request, "channel_id")))

    async def _list_messages(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(
            cid, need=VIEW_CHANNEL | discord.Permissions(read_message_history=True).value
        )
        messages = list(reversed(self.channel_messages(cid)))  # newest first
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            messages = [m for m in messages if int(m["id"]) < int(before)]
        if after:
            messages = [m for m in messages if int(m["id"]) > int(after)]
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        if after and not before:  # the `limit` messages right after it, newest first
            return _json_response(messages[-limit:])
        return _json_response(messages[:limit])

    async def _create_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(cid, need=VIEW_CHANNEL | SEND_MESSAGES)
        payload = _payload() or {}
        files: list[str] = _files()
        if not isinstance(payload, dict):
            raise _invalid_form([((), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")])
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message(payload) and not files:
            raise _ApiError(400, 50006, "Cannot send an empty message")
        nonce = payload.get("nonce")
        now = time.monotonic()
        if nonce is not None and payload.get("enforce_nonce"):
            key = (self.application_id, str(nonce))
            hit = self._nonces.get(key)
            if hit is not None and now - hit[0] <= NONCE_WINDOW and hit[1] in self._messages:
                return _json_response(self._messages[hit[1]])
        flags = int(payload.get("flags") or 0) & (
            FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
        )
        message = self._create_message(cid, payload, author=self.bot_user, files=files, flags=flags)
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[(self.application_id, str(nonce))] = (now, int(message["id"]))
        return _json_response(message)

    def _require_message(self, channel_id: int, message_id: int) -> JSON:
        message = self._messages.get(message_id)
        if (
            message is None
            or int(message["channel_id"]) != channel_id
            or message["flags"] & FLAG_EPHEMERAL
        ):
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    async def _get_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(cid)
        return _json_response(self._require_message(cid, self._id(request, "message_id")))

    async def _edit_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(cid)
        message = self._require_message(cid, self._id(request, "message_id"))
        if int(message["author"]["id"]) != self.application_id:
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload = _payload() or {}
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message({**message, **payload}) and not _files():
            raise _ApiError(400, 50006, "Cannot send an empty message")
        self._edit_message(message, payload, _files())
        return _json_response(message)

    async def _delete_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        message = self._require_message(cid, self._id(request, "message_id"))
        if int(message["author"]["id"]) != self.application_id:
            self._require_channel(cid, need=VIEW_CHANNEL | MANAGE_MESSAGES)
        else:
            self._require_channel(cid)
        self._delete_message(message)
        return web.Response(status=204)

    # ------------------------------------------------------------ REST: interactions and webhooks

    async def _interaction_callback(self, request: web.Request) -> web.StreamResponse:
        iid = self._id(request, "interaction_id")
        result = self._interactions.get(iid)
        if result is None or result.token != request.match_info["token"]:
            raise _ApiError(404, 10062, "Unknown interaction")
        try:
            return self._handle_callback(request, result)
        except _ApiError as exc:
            result.errors.append({"status": exc.status, **exc.body()})
            raise

    def _handle_callback(
        self, request: web.Request, result: InteractionResult
    ) -> web.StreamResponse:
        if result.type is not None:
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - result.created > result.deadline:
            result.expired = True
            raise _ApiError(404, 10062, "Unknown interaction")
        body = _payload()
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            raise _invalid_form([_required(("type",))])
        ctype: int = body["type"]
        data: JSON = body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(
            result.kind, set()
        )
        if ctype == 7 and result.kind == 5 and not result.interaction.get("message"):
            allowed = allowed - {6, 7}
        if ctype not in allowed:
            raise _invalid_form(
                [
                    (
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype} is not valid for this interaction",
                    )
                ]
            )
        files: list[str] = _files()
        if ctype in (4, 7):
            problems = message_problems(data, ("data",))
            if problems:
                raise _invalid_form(problems)
            if ctype == 4 and _is_empty_message(data) and not files:
                raise _ApiError(400, 50006, "Cannot send an empty message")
        elif ctype == 8:
            problems = _choice_problems(data.get("choices"), ("data",))
            if problems:
                raise _invalid_form(problems)
        elif ctype == 9:
            problems = _modal_problems(data, ("data",))
            if problems:
                raise _invalid_form(problems)

        message: JSON | None = None
        channel_id = result.channel_id
        message_type = 20 if result.kind == 2 else 0
        if ctype == 4:
            flags = int(data.get("flags") or 0) & _SENDABLE_FLAGS
            message = self._create_message(
                channel_id,
                data,
                author=self.bot_user,
                files=files,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
            result.message_id = int(message["id"])
            result.data = data
        elif ctype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._create_message(
                channel_id,
                {},
                author=self.bot_user,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
            result.message_id = int(message["id"])
            result.data = dict(data)
        elif ctype in (6, 7):
            source = result.interaction.get("message")
            if source is not None:
                result.message_id = int(source["id"])
            stored = (
                self._messages.get(result.message_id) if result.message_id is not None else None
            )
            if ctype == 7:
                if stored is not None:
                    self._edit_message(stored, data, files)
                    message = stored
                result.data = data
        elif ctype in (8, 9):
            result.data = data
        result.type = ctype

        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        info: JSON = {"id": str(result.id), "type": result.kind}
        answer: JSON = {"interaction": info}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = ctype == 5
            info["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
            answer["resource"] = {"type": ctype, "message": message}
        return _json_response(answer)

    def _webhook_interaction(self, request: web.Request) -> InteractionResult:
        result = self._by_token.get(request.match_info["token"])
        if result is None or self._id(request, "app_id") != self.application_id:
            raise _ApiError(404, 10015, "Unknown Webhook")
        if time.monotonic() - result.created > self.followup_lifetime:
            raise _ApiError(401, 50027, "Invalid Webhook Token")
        if result.type is None or result.type in (8, 9):
            raise _ApiError(404, 10015, "Unknown Webhook")
        return result

    def _webhook_message(self, request: web.Request, result: InteractionResult) -> JSON:
        raw = request.match_info["message_id"]
        if raw == "@original":
            mid = result.message_id
        else:
            mid = self._id(request, "message_id")
            if mid != result.message_id and all(int(m["id"]) != mid for m in result.followups):
                mid = None
        message = self._messages.get(mid) if mid is not None else None
        if message is None:
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    async def _webhook_execute(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        payload = _payload() or {}
        files: list[str] = _files()
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message(payload) and not files:
            raise _ApiError(400, 50006, "Cannot send an empty message")
        original = self._messages.get(result.message_id) if result.message_id is not None else None
        if result.type == 5 and original is not None and original["flags"] & FLAG_LOADING:
            # The first followup after a "thinking" deferral replaces the loading message.
            self._edit_message(original, payload, files)
            message = original
        else:
            flags = int(payload.get("flags") or 0) & _SENDABLE_FLAGS
            message_type = 20 if result.kind == 2 else 0
            message = self._create_message(
                result.channel_id,
                payload,
                author=self.bot_user,
                files=files,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
        result.followups.append(message)
        self._complete(result, payload, message)
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(message)
        return web.Response(status=204)

    def _complete(self, result: InteractionResult, payload: JSON, message: JSON) -> None:
        if result.type in (5, 6) and not result.completed:
            result.completed = True
            result.data = payload
            result.final_message_id = int(message["id"])

    async def _webhook_get_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        return _json_response(self._webhook_message(request, result))

    async def _webhook_edit_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        message = self._webhook_message(request, result)
        payload = _payload() or {}
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message({**message, **payload}) and not _files():
            raise _ApiError(400, 50006, "Cannot send an empty message")
        self._edit_message(message, payload, _files())
        if int(message["id"]) == result.message_id:
            result.edits += 1
            self._complete(result, payload, message)
        return _json_response(message)

    async def _webhook_delete_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        self._delete_message(self._webhook_message(request, result))
        return web.Response(status=204)

    # ---------------------------------------------------------------- driving the bot

    def _user_of(self, user: JSON | int | None) -> JSON:
        if user is None:
            return self.default_user
        return self._users[_snowflake_of(user)]

    def _interaction_payload(
        self,
        kind: int,
        *,
        user: JSON | int | None,
        channel_id: int | None,
        guild_id: int | _Sentinel | None,
        locale: str,
    ) -> JSON:
        author = self._user_of(user)
        uid = int(author["id"])
        gid = self.guild_id if guild_id is DEFAULT_GUILD else guild_id
        iid = self._snowflake()
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if gid is None:
            cid = channel_id if channel_id is not None else self.dm_channel(uid)
            channel = copy.deepcopy(self._channels[cid])
            payload.update(
                user=author,
                channel_id=str(cid),
                channel=channel,
                context=1,
                app_permissions=str(BASIC_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
            )
            return payload
        guild = self._guild(gid)
        cid = channel_id if channel_id is not None else guild.channel_ids[0]
        if uid not in guild.members:
            raise ValueError(f"user {author['username']!r} is not a member of guild {gid}")
        channel = copy.deepcopy(self._channels[cid])
        channel["permissions"] = str(self.permissions(uid, guild_id=gid, channel_id=cid))
        payload.update(
            guild_id=str(gid),
            guild={"id": str(gid), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=self.member(uid, guild_id=gid, channel_id=cid),
            channel_id=str(cid),
            channel=channel,
            context=0,
            app_permissions=str(
                self.permissions(self.application_id, guild_id=gid, channel_id=cid)
            ),
            authorizing_integration_owners={"0": str(gid)},
        )
        return payload

    def _start(self, payload: JSON, name: str) -> InteractionResult:
        result = InteractionResult(self, payload, name, self.interaction_deadline)
        self._interactions[result.id] = result
        self._by_token[result.token] = result
        self.interactions.append(result)
        self.dispatch("INTERACTION_CREATE", payload)
        self._notify()
        return result

    def _find_registered(self, name: str, guild_id: int | None) -> JSON | None:
        if guild_id is not None:
            cmd = self.command(name, guild_id=guild_id)
            if cmd is not None:
                return cmd
        return self.command(name)

    def _check_visible(
        self, name: str, registered: JSON | None, payload: JSON, gid: int | None
    ) -> None:
        """What Discord's client enforces before an interaction exists: the command must be
        registered for this guild (or globally) and visible to the user here."""
        if registered is None:
            if any(self._commands.values()):
                where = f"in guild {gid} or globally" if gid is not None else "globally (DMs)"
                known = sorted({c["name"] for cmds in self._commands.values() for c in cmds})
                raise LookupError(f"/{name} is not registered {where}; registered: {known}")
            return  # nothing synced at all: be lenient, the bot will look it up itself
        contexts = registered.get("contexts")
        context = 0 if gid is not None else 1
        if (contexts is not None and context not in contexts) or (
            gid is None and registered.get("dm_permission") is False
        ):
            raise PermissionError(f"/{name} is not available {'in guilds' if gid else 'in DMs'}")
        required = registered.get("default_member_permissions")
        if gid is not None and required is not None:
            need = int(required)
            have = int(payload["member"]["permissions"])
            if (need == 0 and have != ALL_PERMISSIONS) or have & need != need:
                raise PermissionError(
                    f"/{name} needs default_member_permissions={need}: Discord does not show "
                    f"it to {payload['member']['user']['username']} (pass "
                    "enforce_command_visibility=False to FakeDiscord to reach the bot anyway)"
                )

    def _option_value(
        self, definition: JSON | None, name: str, value: Any, resolved: JSON, gid: int | None
    ) -> tuple[int, Any]:
        kind = definition.get("type") if definition else None
        if kind is None:
            if isinstance(value, bool):
                kind = 5
            elif isinstance(value, int):
                kind = 4
            elif isinstance(value, float):
                kind = 10
            elif isinstance(value, dict) and "username" in value:
                kind = 6
            else:
                kind = 3
        if kind in (6, 9) and (isinstance(value, dict) or _snowflake_of(value) in self._users):
            user = self._users[_snowflake_of(value)]
            resolved.setdefault("users", {})[user["id"]] = user
            if gid is not None and int(user["id"]) in self._guilds[gid].members:
                member = self.member(user, guild_id=gid)
                member.pop("user", None)
                resolved.setdefault("members", {})[user["id"]] = member
            return kind, user["id"]
        if kind == 7:
            cid = _snowflake_of(value)
            channel = copy.deepcopy(self._channels[cid])
            channel["permissions"] = str(
                self.permissions(self.application_id, guild_id=gid, channel_id=cid)
                if gid
                else BASIC_PERMISSIONS
            )
            resolved.setdefault("channels", {})[str(cid)] = channel
            return kind, str(cid)
        if kind in (8, 9):
            rid = _snowflake_of(value)
            for guild in self._guilds.values():
                if rid in guild.roles:
                    resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]
            return kind, str(rid)
        if kind == 11:
            attachment = dict(value) if isinstance(value, dict) else {"filename": str(value)}
            aid = str(self._snowflake())
            attachment.setdefault("size", 0)
            attachment.setdefault(
                "url", f"{self.base_url}/attachments/{aid}/{attachment['filename']}"
            )
            attachment.setdefault("proxy_url", attachment["url"])
            attachment["id"] = aid
            resolved.setdefault("attachments", {})[aid] = attachment
            return kind, aid
        if kind == 4 and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"option {name!r} is an integer option, got {value!r}")
        if kind == 10 and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TypeError(f"option {name!r} is a number option, got {value!r}")
        if kind == 5 and not isinstance(value, bool):
            raise TypeError(f"option {name!r} is a boolean option, got {value!r}")
        if kind == 3:
            value = str(value)
        return kind, value

    def _build_options(
        self,
        command: str,
        definitions: list[JSON] | None,
        values: Mapping[str, Any],
        *,
        focused: str | None,
        resolved: JSON,
        gid: int | None,
    ) -> list[JSON]:
        by_name = {d["name"]: d for d in definitions or []}
        if definitions is not None:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(
                    f"/{command} has no option(s) {sorted(unknown)}; it has {sorted(by_name)}"
                )
            if focused is None:
                missing = [
                    d["name"] for d in definitions if d.get("required") and d["name"] not in values
                ]
                if missing:
                    raise ValueError(f"/{command} requires option(s) {missing}")
        options: list[JSON] = []
        for name, value in values.items():
            definition = by_name.get(name)
            if name == focused:
                kind = definition.get("type", 3) if definition else 3
                options.append({"name": name, "type": kind, "value": str(value), "focused": True})
                continue
            kind, wire_value = self._option_value(definition, name, value, resolved, gid)
            if definition and definition.get("choices"):
                allowed = [c["value"] for c in definition["choices"]]
                if wire_value not in allowed:
                    raise ValueError(
                        f"/{command} option {name!r} only accepts {allowed}, got {wire_value!r}"
                    )
            options.append({"name": name, "type": kind, "value": wire_value})
        if focused is not None and focused not in values:
            raise ValueError(f"the focused option {focused!r} needs a value in `options`")
        if (
            focused is not None
            and definitions is not None
            and not by_name[focused].get("autocomplete")
        ):
            raise ValueError(f"/{command} option {focused!r} has no autocomplete")
        return options

    def _command_payload(
        self,
        kind: int,
        command_name: str,
        options: Mapping[str, Any] | None,
        *,
        focused: str | None,
        user: JSON | int | None,
        channel_id: int | None,
        guild_id: int | _Sentinel | None,
        subcommand: str | None,
        locale: str,
    ) -> JSON:
        payload = self._interaction_payload(
            kind, user=user, channel_id=channel_id, guild_id=guild_id, locale=locale
        )
        gid = int(payload["guild_id"]) if "guild_id" in payload else None
        registered = self._find_registered(command_name, gid)
        if self.enforce_command_visibility:
            self._check_visible(command_name, registered, payload, gid)
        resolved: JSON = {}
        definitions: list[JSON] | None = registered.get("options", []) if registered else None
        path = subcommand.split() if subcommand else []
        chain: list[JSON] = []
        for part in path:
            sub_def = (
                next((d for d in definitions or [] if d["name"] == part), None)
                if definitions is not None
                else None
            )
            if definitions is not None and (sub_def is None or sub_def.get("type") not in (1, 2)):
                raise ValueError(f"/{command_name} has no subcommand (group) {part!r}")
            sub_kind = sub_def["type"] if sub_def else (1 if part == path[-1] else 2)
            chain.append({"name": part, "type": sub_kind})
            definitions = sub_def.get("options", []) if sub_def else None
        leaf = self._build_options(
            command_name, definitions, options or {}, focused=focused, resolved=resolved, gid=gid
        )
        data_options = leaf
        for link in reversed(chain):
            link["options"] = data_options
            data_options = [link]
        data: JSON = {
            "id": registered["id"] if registered else str(self._snowflake()),
            "name": command_name,
            "type": 1,
            "options": data_options,
        }
        if registered is not None and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return payload

    async def _await_result(
        self, result: InteractionResult, timeout: float, *, wait_after_defer: bool
    ) -> InteractionResult:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = min(timeout, result.deadline + _CALLBACK_GRACE)
        try:
            await self.wait_until(
                lambda: True if result.type is not None or result.expired else None,
                timeout=first,
                what=f"the response to {result.name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot did not respond to {result.name!r} within {first:g}s "
                f"(Discord: 'The application did not respond'); errors: {result.errors}"
            ) from None
        if result.expired:
            return result
        remaining = max(0.0, timeout - (loop.time() - start))
        try:
            await self.wait_until(
                lambda: True if result._finished(wait_after_defer) else None,
                timeout=remaining,
                what=f"the followup/edit after deferring {result.name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot deferred {result.name!r} (type {result.type}) but sent no edit or "
                f"followup within {timeout:g}s; errors: {result.errors}"
            ) from None
        return result

    async def invoke(
        self,
        command_name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: JSON | int | None = None,
        channel_id: int | None = None,
        guild_id: int | _Sentinel | None = DEFAULT_GUILD,
        subcommand: str | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Run a slash command as `user` (default: `default_user`, a non-admin) and wait for the
        bot's answer; after a deferral (type 5/6) also wait for the edit or followup.

        `options` maps option names to values (users/channels/roles by dict or id, resolved
        like Discord does); `subcommand` is "sub" or "group sub"; ``guild_id=None`` is a DM.
        Raises InteractionTimeout if the bot does not answer in time; a callback that came too
        late returns a result with ``expired`` set and 10062 in ``errors``.
        """
        await self.wait_until_identified(timeout=timeout)
        payload = self._command_payload(
            2,
            command_name,
            options,
            focused=None,
            user=user,
            channel_id=channel_id,
            guild_id=guild_id,
            subcommand=subcommand,
            locale=locale,
        )
        name = f"{command_name} {subcommand}" if subcommand else command_name
        result = self._start(payload, name)
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    async def autocomplete(
        self,
        command_name: str,
        options: Mapping[str, Any],
        focused: str = "query",
        *,
        user: JSON | int | None = None,
        channel_id: int | None = None,
        guild_id: int | _Sentinel | None = DEFAULT_GUILD,
        subcommand: str | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[JSON]:
        """Send an autocomplete interaction (the user typed ``options[focused]``) and return the
        choices the bot answered with. Raises InteractionRejected if the fake rejected them."""
        await self.wait_until_identified(timeout=timeout)
        payload = self._command_payload(
            4,
            command_name,
            options,
            focused=focused,
            user=user,
            channel_id=channel_id,
            guild_id=guild_id,
            subcommand=subcommand,
            locale=locale,
        )
        result = self._start(payload, command_name)
        try:
            await self.wait_until(
                lambda: True if result.type is not None or result.errors else None,
                timeout=min(timeout, result.deadline + _CALLBACK_GRACE),
                what=f"autocomplete choices for {command_name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot sent no autocomplete choices for {command_name!r}"
            ) from None
        if result.type is None:
            raise InteractionRejected(
                f"autocomplete answer for {command_name!r} rejected: {result.errors}", result.errors
            )
        return result.choices

    def _find_component(self, message: JSON, custom_id: str) -> JSON:
        for component in _walk_components(message.get("components")):
            if component.get("custom_id") == custom_id:
                return component
        available = [
            c["custom_id"] for c in _walk_components(message.get("components")) if "custom_id" in c
        ]
        raise LookupError(
            f"message {message['id']} has no component {custom_id!r}; it has {available}"
        )

    async def click(
        self,
        message: JSON | int | InteractionResult,
        custom_id: str,
        *,
        user: JSON | int | None = None,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Click a button (or pick `values` in a select) on a message the bot sent, as `user`."""
        await self.wait_until_identified(timeout=timeout)
        if isinstance(message, InteractionResult):
            target = message.message
            if target is None:
                raise LookupError(f"{message!r} has no message to click on")
        else:
            target = self._messages[_snowflake_of(message)]
        component = self._find_component(target, custom_id)
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        kind = int(component["type"])
        data: JSON = {"custom_id": custom_id, "component_type": kind}
        if kind in _SELECT_TYPES:
            if values is None:
                raise ValueError(f"{custom_id!r} is a select menu: pass values=[...]")
            chosen = [str(v) for v in values]
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(chosen) <= high:
                raise ValueError(
                    f"select {custom_id!r} takes {low}..{high} values, got {len(chosen)}"
                )
            if kind == 3:
                allowed = [o["value"] for o in component.get("options", [])]
                bad = [v for v in chosen if v not in allowed]
                if bad:
                    raise ValueError(
                        f"select {custom_id!r} has no option(s) {bad}; it has {allowed}"
                    )
            data["values"] = chosen
        elif values is not None:
            raise ValueError(f"{custom_id!r} is not a select menu")
        channel_id = int(target["channel_id"])
        channel = self._channels.get(channel_id, {})
        gid: int | None = int(channel["guild_id"]) if channel.get("guild_id") else None
        payload = self._interaction_payload(
            3, user=user, channel_id=channel_id, guild_id=gid, locale=locale
        )
        payload["data"] = data
        payload["message"] = copy.deepcopy(target)
        result = self._start(payload, custom_id)
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    async def submit_modal(
        self,
        modal: InteractionResult,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: JSON | int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Submit the modal the bot opened (callback type 9), filling text inputs by custom_id."""
        if modal.type != 9:
            raise ValueError(f"{modal!r} did not open a modal")

        def fill(components: list[JSON]) -> list[JSON]:
            out: list[JSON] = []
            for component in components:
                kind = component.get("type")
                if kind == 1:
                    out.append({"type": 1, "components": fill(component.get("components", []))})
                elif kind == 18:
                    out.append({"type": 18, "component": fill([component["component"]])[0]})
                elif "custom_id" in component:
                    cid = component["custom_id"]
                    value = values.get(cid, component.get("value", ""))
                    if kind == 4:
                        out.append({"type": 4, "custom_id": cid, "value": str(value)})
                    else:
                        picked = [value] if isinstance(value, str) else list(value)
                        out.append({"type": kind, "custom_id": cid, "values": picked})
            return out

        source = modal.interaction
        gid = int(source["guild_id"]) if "guild_id" in source else None
        payload = self._interaction_payload(
            5,
            user=user
            if user is not None
            else (source.get("member", {}).get("user") or source.get("user")),
            channel_id=modal.channel_id,
            guild_id=gid,
            locale=str(source.get("locale", "en-US")),
        )
        payload["data"] = {
            "custom_id": modal.data["custom_id"],
            "components": fill(modal.data.get("components", [])),
        }
        if source.get("message"):
            payload["message"] = copy.deepcopy(
                self._messages.get(int(source["message"]["id"]), source["message"])
            )
        result = self._start(payload, str(modal.data["custom_id"]))
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    def post_user_message(
        self, content: str, *, user: JSON | int | None = None, channel_id: int | None = None
    ) -> JSON:
        """A user posts in a channel: stored and dispatched as MESSAGE_CREATE (content is blanked
        for bots without the message-content intent, unless they are mentioned, as Discord does)."""
        author = self._user_of(user)
        cid = channel_id if channel_id is not None else self.channel_id
        if cid in self._deleted_channels:
            raise KeyError(f"channel {cid} was deleted")
        return self._create_message(cid, {"content": content}, author=author)


# --------------------------------------------------------------------------------------------
# Pointing discord.py at the fake
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def use_fake_discord(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and gateway at `fake`; restore them on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_bot(
    bot: ClientT, fake: FakeDiscord, *, timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Log `bot` in to `fake`, connect it, wait until it is ready; close it on exit.

    Pass a bot built with a small ``guild_ready_timeout`` (e.g. 0.05), else on_ready waits 2 s.
    """
    with use_fake_discord(fake):
        task: asyncio.Task[None] | None = None
        try:
            await bot.login(fake.token)
            task = asyncio.create_task(bot.connect(reconnect=True))
            ready = asyncio.create_task(bot.wait_until_ready())
            done, _ = await asyncio.wait(
                {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()  # re-raise why connecting failed
                raise TimeoutError(f"bot not ready within {timeout:g}s")
            yield bot
        finally:
            await asyncio.wait_for(bot.close(), 5.0)
            if task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(task, 5.0)
