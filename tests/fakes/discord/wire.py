"""Discord wire constants and helpers shared by every part of the fake: the API prefix,
deadlines, message flags, intents, permissions, JSON responses."""

from __future__ import annotations

import copy
import datetime
import enum
import json
import logging
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import discord
from aiohttp import web

log = logging.getLogger("tests.fakes.discord")  # one logger for the whole fake


JSON = dict[str, Any]
T = TypeVar("T")


API_PREFIX = "/api/v10"
INTERACTION_DEADLINE = 3.0  # seconds to the first callback
FOLLOWUP_LIFETIME = 15 * 60.0  # seconds an interaction token stays valid for webhooks
NONCE_WINDOW = 5 * 60.0  # seconds during which `enforce_nonce` deduplicates
DEFAULT_TIMEOUT = 5.0
# How long past the deadline `invoke` keeps waiting for a (late, refused) first callback.
_CALLBACK_GRACE = 1.0


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


class _Sentinel(enum.Enum):
    DEFAULT_GUILD = "default guild"


DEFAULT_GUILD = _Sentinel.DEFAULT_GUILD


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


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _copy_json(value: T) -> T:
    """A deep copy of a JSON tree (dicts, lists, strings, numbers, None), as `copy.deepcopy`
    makes it but several times faster (the fake copies payloads on every interaction). Any
    other type inside is handed to `copy.deepcopy`."""
    return cast(T, _copy(value))


def _copy(value: Any) -> Any:
    cls = type(value)
    if cls is dict:
        return {k: v if type(v) in _ATOMS else _copy(v) for k, v in value.items()}
    if cls is list:
        return [v if type(v) in _ATOMS else _copy(v) for v in value]
    if cls in _ATOMS:
        return value
    return copy.deepcopy(value)


def _snowflake_of(value: Any) -> int:
    if isinstance(value, dict):
        return int(value["id"])
    return int(value)
