"""A local fake of Slack for end-to-end tests of Bolt apps.

One `FakeSlack` is an aiohttp server on 127.0.0.1 that speaks the real wire protocols the
installed slack_sdk 3.47 / slack_bolt 1.30 use:

* the Web API (``POST|GET /api/<method>``, form, query or JSON arguments, Bearer tokens),
  for an ``AsyncWebClient(base_url=fake.api_url)``;
* ``response_url`` endpoints that record what ``respond()`` posts;
* Socket Mode: ``apps.connections.open`` hands out a ``ws://`` URL on the fake; the
  websocket says ``hello`` and carries envelopes that the app acks by ``envelope_id``;
* HTTP mode: signed (``X-Slack-Signature: v0=...``) slash command and ``block_actions``
  requests that tests POST to the Bolt app's own aiohttp server (`serve_bolt_http`).

Typical use::

    async with FakeSlack() as fake:
        channel = fake.add_channel("general")
        user = fake.add_user("alice", admin=False)
        app = AsyncApp(
            client=AsyncWebClient(token=fake.bot_token, base_url=fake.api_url),
            signing_secret=fake.signing_secret,
        )
        ...
        async with serve_bolt_http(app) as url:  # HTTP mode
            result = await fake.http_slash_command(url, "/ping", user_id=user,
                                                   channel_id=channel, wait_responses=1)
        async with fake.socket_mode(app):  # Socket Mode
            result = await fake.socket_slash_command("/ping", user_id=user,
                                                     channel_id=channel, wait_responses=1)

Everything the app sends is recorded (`calls`, `posted`, `ephemerals`, `updates`,
`responses`) and every wait has a timeout, so a broken app fails a test instead of hanging it.
"""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.app.async_server import AsyncSlackAppServer

__all__ = [
    "ACK_DEADLINE_SECONDS",
    "MAX_BLOCKS",
    "MAX_SECTION_FIELDS",
    "MAX_SECTION_TEXT",
    "MAX_TEXT",
    "SIGNATURE_MAX_AGE_SECONDS",
    "ApiCall",
    "FakeSlack",
    "InteractionResult",
    "ResponsePost",
    "SignedRequest",
    "SlashResult",
    "serve_bolt_http",
    "validate_message",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")

# Slack's documented limits (docs.slack.dev, Block Kit reference and chat.postMessage).
MAX_TEXT = 40_000  # chat.postMessage `text`; more answers msg_too_long
MAX_BLOCKS = 50  # blocks in one message
MAX_SECTION_TEXT = 3_000  # section block `text`
MAX_SECTION_FIELDS = 10  # fields in one section block
MAX_FIELD_TEXT = 2_000  # one section field
MAX_HEADER_TEXT = 150  # header block text
MAX_ACTIONS_ELEMENTS = 25  # elements in an actions block
MAX_CONTEXT_ELEMENTS = 10  # elements in a context block
MAX_BUTTON_TEXT = 75  # button label
MAX_BUTTON_VALUE = 2_000  # button value
MAX_ID_LENGTH = 255  # block_id and action_id
ACK_DEADLINE_SECONDS = 3.0  # an interaction must be acked within this
SIGNATURE_MAX_AGE_SECONDS = 300  # Bolt refuses requests signed longer ago than this
RESPONSE_URL_MAX_USES = 5  # a response_url may be used five times

_JSON_STRING_ARGS = ("blocks", "attachments", "metadata")
_DEFAULT_TIMEOUT = 5.0


class SlackError(Exception):
    """Raised inside the fake to answer ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


# --------------------------------------------------------------------------------------
# Block Kit validation
# --------------------------------------------------------------------------------------


def validate_message(payload: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    """Check a message payload against Slack's limits.

    Returns None when Slack would accept it, else ``(error_code, details)`` where the code is
    ``msg_too_long``, ``invalid_blocks_format`` or ``invalid_blocks`` and the details read
    like the ``errors`` Slack returns (``"... [json-pointer:/blocks/0/text/text]"``).
    """
    text = payload.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        return "msg_too_long", [f"text is {len(text)} characters, more than {MAX_TEXT}"]
    blocks = payload.get("blocks")
    if blocks is None:
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks_format", ["blocks is not valid JSON"]
    if not isinstance(blocks, list):
        return "invalid_blocks_format", ["blocks must be an array"]
    problems = list(_block_problems(blocks))
    if problems:
        return "invalid_blocks", problems
    return None


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        value = obj.get("text")
        return value if isinstance(value, str) else None
    return None


def _block_problems(blocks: list[Any]) -> Iterator[str]:
    if len(blocks) > MAX_BLOCKS:
        yield f"must provide no more than {MAX_BLOCKS} items [json-pointer:/blocks]"
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            yield f"missing required field: type [json-pointer:{where}]"
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_ID_LENGTH:
                yield _too_long(MAX_ID_LENGTH, f"{where}/block_id")
            elif block_id in block_ids:
                yield f"duplicate block_id {block_id!r} [json-pointer:{where}/block_id]"
            else:
                block_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            yield from _section_problems(block, where)
        elif kind == "header":
            text = _text_of(block.get("text"))
            if text is None:
                yield f"missing required field: text [json-pointer:{where}/text]"
            elif len(text) > MAX_HEADER_TEXT:
                yield _too_long(MAX_HEADER_TEXT, f"{where}/text/text")
        elif kind == "actions":
            yield from _elements_problems(block, where, MAX_ACTIONS_ELEMENTS)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                yield f"missing required field: elements [json-pointer:{where}/elements]"
            elif len(elements) > MAX_CONTEXT_ELEMENTS:
                yield (
                    f"must provide no more than {MAX_CONTEXT_ELEMENTS} items "
                    f"[json-pointer:{where}/elements]"
                )


def _section_problems(block: Mapping[str, Any], where: str) -> Iterator[str]:
    text = block.get("text")
    fields = block.get("fields")
    if text is None and fields is None:
        yield f"must provide text or fields [json-pointer:{where}]"
    if text is not None:
        body = _text_of(text)
        if body is None:
            yield f"text must be a text object [json-pointer:{where}/text]"
        elif len(body) > MAX_SECTION_TEXT:
            yield _too_long(MAX_SECTION_TEXT, f"{where}/text/text")
    if fields is not None:
        if not isinstance(fields, list):
            yield f"fields must be an array [json-pointer:{where}/fields]"
        else:
            if len(fields) > MAX_SECTION_FIELDS:
                yield (
                    f"must provide no more than {MAX_SECTION_FIELDS} items "
                    f"[json-pointer:{where}/fields]"
                )
            for j, item in enumerate(fields):
                body = _text_of(item)
                if body is None:
                    yield f"field must be a text object [json-pointer:{where}/fields/{j}]"
                elif len(body) > MAX_FIELD_TEXT:
                    yield _too_long(MAX_FIELD_TEXT, f"{where}/fields/{j}/text")
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        yield from _element_problems(accessory, f"{where}/accessory")


def _elements_problems(block: Mapping[str, Any], where: str, limit: int) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield f"missing required field: elements [json-pointer:{where}/elements]"
        return
    if len(elements) > limit:
        yield f"must provide no more than {limit} items [json-pointer:{where}/elements]"
    action_ids: set[str] = set()
    for j, element in enumerate(elements):
        if not isinstance(element, dict):
            yield f"element must be an object [json-pointer:{where}/elements/{j}]"
            continue
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                yield f"duplicate action_id {action_id!r} [json-pointer:{where}/elements/{j}]"
            action_ids.add(action_id)
        yield from _element_problems(element, f"{where}/elements/{j}")


def _element_problems(element: Mapping[str, Any], where: str) -> Iterator[str]:
    action_id = element.get("action_id")
    if isinstance(action_id, str) and len(action_id) > MAX_ID_LENGTH:
        yield _too_long(MAX_ID_LENGTH, f"{where}/action_id")
    if element.get("type") == "button":
        label = _text_of(element.get("text"))
        if label is None:
            yield f"missing required field: text [json-pointer:{where}/text]"
        elif len(label) > MAX_BUTTON_TEXT:
            yield _too_long(MAX_BUTTON_TEXT, f"{where}/text/text")
        value = element.get("value")
        if isinstance(value, str) and len(value) > MAX_BUTTON_VALUE:
            yield _too_long(MAX_BUTTON_VALUE, f"{where}/value")


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------


@dataclass
class ApiCall:
    """One Web API call the fake received (token kept apart from the arguments)."""

    method: str
    args: JSON
    token: str | None
    http_method: str
    status: int = 200
    ok: bool = False
    error: str | None = None


@dataclass
class ResponsePost:
    """One POST to a response_url (recorded even when refused: see `ok` / `error`)."""

    url: str
    payload: JSON
    ok: bool = True
    error: str | None = None

    @property
    def text(self) -> str | None:
        value = self.payload.get("text")
        return value if isinstance(value, str) else None

    @property
    def blocks(self) -> list[JSON]:
        value = self.payload.get("blocks")
        return value if isinstance(value, list) else []

    @property
    def response_type(self) -> str:
        """``ephemeral`` (Slack's default when absent) or ``in_channel``."""
        value = self.payload.get("response_type")
        return value if isinstance(value, str) else "ephemeral"

    @property
    def replace_original(self) -> bool:
        return bool(self.payload.get("replace_original", False))

    @property
    def delete_original(self) -> bool:
        return bool(self.payload.get("delete_original", False))


@dataclass
class InteractionResult:
    """What happened to one slash command or button click sent to the app."""

    kind: str  # "slash_commands" or "block_actions"
    transport: str  # "socket" or "http"
    payload: JSON  # the payload the app received
    response_url: str
    fake: FakeSlack = field(repr=False)
    envelope_id: str | None = None  # Socket Mode only
    acked: bool = False
    ack: JSON | None = None  # ack payload (Socket Mode) or parsed 200 body (HTTP)
    ack_error: str | None = None  # Slack would refuse the ack payload with this error
    ack_seconds: float | None = None
    status: int | None = None  # HTTP mode: the status the app answered
    body: str = ""  # HTTP mode: the raw body the app answered

    @property
    def ack_in_time(self) -> bool:
        """Acked within Slack's 3 second deadline."""
        return (
            self.acked and self.ack_seconds is not None and self.ack_seconds <= ACK_DEADLINE_SECONDS
        )

    @property
    def ack_text(self) -> str | None:
        if self.ack is None:
            return None
        value = self.ack.get("text")
        return value if isinstance(value, str) else None

    @property
    def responses(self) -> list[ResponsePost]:
        """Everything POSTed so far to this interaction's response_url."""
        return [r for r in self.fake.responses if r.url == self.response_url]

    async def wait_for_responses(
        self, count: int = 1, timeout: float = _DEFAULT_TIMEOUT
    ) -> list[ResponsePost]:
        """Wait until at least `count` posts reached this interaction's response_url."""

        def ready() -> list[ResponsePost] | None:
            posts = self.responses
            return posts if len(posts) >= count else None

        return await self.fake.wait_until(
            ready, timeout, f"{count} response(s) to {self.response_url}"
        )


SlashResult = InteractionResult


class SignedRequest(NamedTuple):
    """A request as Slack would send it in HTTP mode; unpacks as ``body, headers``."""

    body: bytes
    headers: dict[str, str]

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def payload(self) -> JSON:
        """The slash command fields, or the decoded ``payload`` of an interaction."""
        form = self.form
        if "payload" in form:
            decoded: JSON = json.loads(form["payload"])
            return decoded
        return dict(form)

    @property
    def response_url(self) -> str:
        return str(self.payload["response_url"])


# --------------------------------------------------------------------------------------
# Workspace model
# --------------------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Berlin"

    def to_api(self, team_id: str) -> JSON:
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.name.title(),
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": {
                "real_name": self.name.title(),
                "display_name": self.name,
                "real_name_normalized": self.name.title(),
                "display_name_normalized": self.name,
                "team": team_id,
            },
        }


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_im: bool = False
    im_user: str | None = None
    archived: bool = False
    deleted: bool = False
    created: int = 1_700_000_000
    messages: list[JSON] = field(default_factory=list)

    def to_api(self) -> JSON:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.archived,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": self.is_member,
            "created": self.created,
            "creator": "",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


@dataclass
class _Fault:
    kind: str  # "error" or "ratelimit"
    error: str = "ratelimited"
    retry_after: int = 1


@dataclass
class _ResponseUrl:
    url: str
    channel_id: str | None = None
    message_ts: str | None = None
    uses: int = 0


# --------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------


def _decode_json_args(args: JSON) -> JSON:
    out = dict(args)
    for key in _JSON_STRING_ARGS:
        value = out.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


class FakeSlack:
    """A Slack workspace on 127.0.0.1 for one test: ``async with FakeSlack() as fake: ...``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        team_name: str = "Fake Conf",
        team_domain: str = "fakeconf",
        bot_name: str = "confbot",
    ) -> None:
        self.host = host
        self.port = 0
        self.team_name = team_name
        self.team_domain = team_domain
        self._ids = itertools.count(1)
        self._ts_seq = itertools.count(1)
        self.team_id = self._new_id("T")
        self.app_id = self._new_id("A")
        self.bot_id = self._new_id("B")
        self.bot_user_id = self._new_id("U")
        self.bot_token = f"xoxb-{self._digits()}-{self._digits()}-{secrets.token_hex(12)}"
        self.app_token = f"xapp-1-{self.app_id}-{self._digits()}-{secrets.token_hex(32)}"
        self.signing_secret = secrets.token_hex(16)
        self.verification_token = secrets.token_hex(12)
        self.bot_scopes = "chat:write,commands,users:read,channels:read,groups:read,im:write"

        self.users: dict[str, FakeUser] = {
            self.bot_user_id: FakeUser(self.bot_user_id, bot_name, is_bot=True)
        }
        self.channels: dict[str, FakeChannel] = {}

        # Records for assertions.
        self.calls: list[ApiCall] = []
        self.posted: list[JSON] = []
        self.ephemerals: list[JSON] = []
        self.updates: list[JSON] = []
        self.responses: list[ResponsePost] = []
        self.unknown_methods: list[str] = []
        self.socket_messages: list[JSON] = []  # every JSON message the app sent on a socket
        self.socket_connections = 0  # websocket connections accepted so far

        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._tickets: set[str] = set()
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[str, asyncio.Future[JSON]] = {}
        self._consumed_posts: set[int] = set()
        self._consumed_responses: set[int] = set()
        self._consumed_calls: set[int] = set()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False

        self._methods: dict[str, tuple[str, Callable[[JSON], JSON]]] = {
            "api.test": ("none", self._api_test),
            "auth.test": ("bot", self._auth_test),
            "chat.postMessage": ("bot", self._chat_post_message),
            "chat.postEphemeral": ("bot", self._chat_post_ephemeral),
            "chat.update": ("bot", self._chat_update),
            "chat.delete": ("bot", self._chat_delete),
            "users.info": ("bot", self._users_info),
            "conversations.info": ("bot", self._conversations_info),
            "conversations.open": ("bot", self._conversations_open),
            "conversations.history": ("bot", self._conversations_history),
            "apps.connections.open": ("app", self._apps_connections_open),
        }

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/commands/{rest:.*}", self._handle_response_url)
        app.router.add_post("/actions/{rest:.*}", self._handle_response_url)
        app.router.add_get("/link/", self._handle_link)
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        """Close every websocket, fail pending waits and stop the server (never hangs)."""
        self._closing = True
        for future in self._pending_acks.values():
            if not future.done():
                future.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=WSCloseCode.GOING_AWAY), 2.0)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner.cleanup(), 5.0)
        self._notify()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``AsyncWebClient`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- workspace setup

    def add_channel(self, name: str, *, private: bool = False, member: bool = True) -> str:
        """Create a channel (the bot is a member unless ``member=False``); returns its id."""
        channel = FakeChannel(self._new_id("C"), name.lstrip("#"))
        channel.is_private = private
        channel.is_member = member
        self.channels[channel.id] = channel
        return channel.id

    def add_user(
        self, name: str, *, admin: bool = False, owner: bool = False, tz: str = "Europe/Berlin"
    ) -> str:
        """Create a workspace member; an owner is an admin too (as in Slack). Returns its id."""
        user = FakeUser(self._new_id("U"), name, is_admin=admin or owner, is_owner=owner, tz=tz)
        self.users[user.id] = user
        return user.id

    def delete_channel(self, channel_id: str) -> None:
        """Delete a channel: every later call naming it answers channel_not_found."""
        self.channels[channel_id].deleted = True

    def archive_channel(self, channel_id: str) -> None:
        """Archive a channel: posts there answer is_archived."""
        self.channels[channel_id].archived = True

    def post_user_message(self, channel_id: str, user_id: str, text: str) -> JSON:
        """A member says something in a channel (stored like Slack stores it)."""
        message: JSON = {"type": "message", "user": user_id, "text": text, "ts": self._new_ts()}
        self.channels[channel_id].messages.append(message)
        return message

    def messages_in(self, channel_id: str) -> list[JSON]:
        """The channel's current messages (after chat.update / chat.delete)."""
        return list(self.channels[channel_id].messages)

    def response_url(
        self,
        kind: str = "commands",
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A fresh response_url on the fake that records whatever is POSTed to it.

        With `channel_id`, an ``in_channel`` response also lands in that channel's
        `messages_in`; with `message_ts` too, ``replace_original`` / ``delete_original``
        edit / remove that stored message.
        """
        n = next(self._ids)
        url = f"{self.base_url}/{kind}/{self.team_id}/{n}/{secrets.token_hex(12)}"
        self._response_urls[url] = _ResponseUrl(url, channel_id, message_ts)
        return url

    # ---------------------------------------------------------------- fault injection

    def fail_next(self, method: str, error: str = "channel_not_found", *, times: int = 1) -> None:
        """The next `times` calls of `method` answer ``{"ok": false, "error": error}``.

        `method` is a Web API method name, or ``"response_url"`` for response_url posts.
        """
        for _ in range(times):
            self._faults[method].append(_Fault("error", error=error))

    def rate_limit_next(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429, ``Retry-After: retry_after``,
        ``{"ok": false, "error": "ratelimited"}``."""
        for _ in range(times):
            self._faults[method].append(_Fault("ratelimit", retry_after=retry_after))

    # ---------------------------------------------------------------- queries and waits

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float, what: str) -> T:
        """Wait until `predicate()` returns something other than None (re-checked whenever the
        fake records anything); TimeoutError naming `what` after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(f"FakeSlack: no {what} within {timeout}s. {self._summary()}")
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_for_post(
        self,
        channel_id: str,
        timeout: float = _DEFAULT_TIMEOUT,
        *,
        match: Callable[[JSON], bool] | None = None,
    ) -> JSON:
        """The next chat.postMessage to `channel_id` not yet returned by an earlier wait."""

        def find() -> JSON | None:
            for i, post in enumerate(self.posted):
                if i in self._consumed_posts or post.get("channel") != channel_id:
                    continue
                if match is None or match(post):
                    self._consumed_posts.add(i)
                    return post
            return None

        return await self.wait_until(find, timeout, f"chat.postMessage to {channel_id}")

    async def wait_for_response(
        self, timeout: float = _DEFAULT_TIMEOUT, *, url: str | None = None
    ) -> ResponsePost:
        """The next response_url post (to `url`, if given) not yet returned by a wait."""

        def find() -> ResponsePost | None:
            for i, post in enumerate(self.responses):
                if i not in self._consumed_responses and (url is None or post.url == url):
                    self._consumed_responses.add(i)
                    return post
            return None

        return await self.wait_until(find, timeout, f"response_url post to {url or 'any url'}")

    async def wait_for_call(self, method: str, timeout: float = _DEFAULT_TIMEOUT) -> ApiCall:
        """The next call of `method` not yet returned by an earlier wait."""

        def find() -> ApiCall | None:
            for i, call in enumerate(self.calls):
                if i not in self._consumed_calls and call.method == method:
                    self._consumed_calls.add(i)
                    return call
            return None

        return await self.wait_until(find, timeout, f"call of {method}")

    async def wait_for_socket(
        self, connections: int = 1, timeout: float = _DEFAULT_TIMEOUT
    ) -> web.WebSocketResponse:
        """Wait until `connections` sockets were accepted in all and one is open."""

        def ready() -> web.WebSocketResponse | None:
            if self.socket_connections >= connections:
                return self._current_socket()
            return None

        return await self.wait_until(ready, timeout, f"open socket (connection #{connections})")

    # ---------------------------------------------------------------- Socket Mode driving

    @property
    def socket_open(self) -> bool:
        return self._current_socket() is not None

    @contextlib.asynccontextmanager
    async def socket_mode(
        self, app: AsyncApp, *, timeout: float = _DEFAULT_TIMEOUT, ping_interval: float = 10.0
    ) -> AsyncIterator[AsyncSocketModeHandler]:
        """Run `app` in Socket Mode against the fake; yields the connected handler.

        The handler calls apps.connections.open through ``app.client`` (so that client must
        have ``base_url=fake.api_url``) and is closed on exit.
        """
        handler = AsyncSocketModeHandler(app, self.app_token, ping_interval=ping_interval)
        try:
            target = self.socket_connections + 1
            await asyncio.wait_for(handler.connect_async(), timeout)  # type: ignore[no-untyped-call]
            await self.wait_for_socket(target, timeout)
            yield handler
        finally:
            await asyncio.wait_for(handler.close_async(), timeout)  # type: ignore[no-untyped-call]

    async def drop_socket(self, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close the current Socket Mode connection from Slack's side (the client should call
        apps.connections.open again and reconnect; watch `socket_connections`)."""
        ws = self._current_socket()
        if ws is None:
            raise RuntimeError("FakeSlack: no open socket to drop")
        await asyncio.wait_for(ws.close(code=code, message=b"dropped by FakeSlack"), 5.0)

    async def send_socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``{"type": "disconnect"}`` message (the client reconnects)."""
        ws = await self.wait_for_socket()
        await ws.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        )

    async def socket_slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Send a slash command envelope; wait for its ack (and `wait_responses` posts to its
        response_url). ``acked`` is False when the app did not ack within `timeout`."""
        payload = self._slash_payload(command, text, user_id, channel_id)
        return await self._socket_interaction(
            "slash_commands", "slash_commands", payload, True, wait_responses, timeout
        )

    async def socket_block_action(
        self,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        value: str | None = None,
        block_id: str | None = None,
        message: Mapping[str, Any] | ResponsePost | None = None,
        ephemeral: bool = False,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Click a button: an ``interactive`` envelope with a ``block_actions`` payload.

        With `message` (a posted message, or a response_url payload) the button is looked up
        there by `action_id` (giving its block_id, value and label); otherwise one is made up.
        """
        payload = self._block_actions_payload(
            action_id, user_id, channel_id, value, block_id, message, ephemeral
        )
        return await self._socket_interaction(
            "interactive", "block_actions", payload, False, wait_responses, timeout
        )

    async def _socket_interaction(
        self,
        envelope_type: str,
        kind: str,
        payload: JSON,
        accepts_response_payload: bool,
        wait_responses: int,
        timeout: float,
    ) -> InteractionResult:
        loop = asyncio.get_running_loop()
        envelope_id = f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        result = InteractionResult(
            kind=kind,
            transport="socket",
            payload=payload,
            response_url=str(payload["response_url"]),
            fake=self,
            envelope_id=envelope_id,
        )
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
            "payload": payload,
        }
        future: asyncio.Future[JSON] = loop.create_future()
        self._pending_acks[envelope_id] = future
        deadline = loop.time() + timeout
        try:
            sent_at = None
            while sent_at is None:
                if loop.time() >= deadline:
                    raise TimeoutError(f"FakeSlack: could not send envelope. {self._summary()}")
                ws = await self.wait_for_socket(1, max(deadline - loop.time(), 0.0))
                try:
                    await ws.send_json(envelope)
                    sent_at = loop.time()
                except ConnectionError:  # the socket closed under us: wait for the next one
                    await asyncio.sleep(0.01)
            with contextlib.suppress(TimeoutError):
                ack = await asyncio.wait_for(future, max(deadline - loop.time(), 0.0))
                result.acked = True
                result.ack_seconds = loop.time() - sent_at
                ack_payload = ack.get("payload")
                result.ack = ack_payload if isinstance(ack_payload, dict) else None
        finally:
            self._pending_acks.pop(envelope_id, None)
        self._check_ack(result)
        if result.acked and wait_responses:
            await result.wait_for_responses(wait_responses, timeout)
        return result

    # ---------------------------------------------------------------- HTTP mode driving

    def sign(
        self, body: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """Slack's v0 signature headers for `body` (now, with the fake's signing secret)."""
        ts = str(int(time.time()) if timestamp is None else int(timestamp))
        key = (self.signing_secret if secret is None else secret).encode()
        digest = hmac.new(key, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}",
        }

    def signed_slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A form-encoded, signed slash command with a fresh response_url on the fake."""
        payload = self._slash_payload(command, text, user_id, channel_id)
        body = urlencode(payload).encode()
        return SignedRequest(body, self.sign(body, secret=secret, timestamp=timestamp))

    def signed_block_action(
        self,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        value: str | None = None,
        block_id: str | None = None,
        message: Mapping[str, Any] | ResponsePost | None = None,
        ephemeral: bool = False,
        secret: str | None = None,
        timestamp: int | None = None,
    ) -> SignedRequest:
        """A signed ``payload=<block_actions JSON>`` form post (see `socket_block_action`)."""
        payload = self._block_actions_payload(
            action_id,
            user_id,
            channel_id,
            value,
            block_id,
            message,
            ephemeral,
        )
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return SignedRequest(body, self.sign(body, secret=secret, timestamp=timestamp))

    async def deliver(
        self,
        url: str,
        request: SignedRequest,
        *,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """POST a signed request to the app's HTTP endpoint as Slack would; record the answer."""
        if self._session is None:
            raise RuntimeError("FakeSlack is not started")
        payload = request.payload
        kind = "slash_commands" if "command" in payload else str(payload.get("type"))
        result = InteractionResult(
            kind=kind,
            transport="http",
            payload=payload,
            response_url=request.response_url,
            fake=self,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with self._session.post(
                url,
                data=request.body,
                headers=request.headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                result.status = resp.status
                result.body = await resp.text()
                content_type = resp.content_type
        except TimeoutError:
            return result  # the app never answered: acked stays False
        result.ack_seconds = loop.time() - started
        if result.status == 200:
            result.acked = True
            if result.body:
                if content_type == "application/json":
                    parsed = json.loads(result.body)
                    result.ack = parsed if isinstance(parsed, dict) else None
                else:
                    result.ack = {"text": result.body}
        self._check_ack(result)
        if result.acked and wait_responses:
            await result.wait_for_responses(wait_responses, timeout)
        return result

    async def http_slash_command(
        self,
        url: str,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Sign and deliver a slash command to the app at `url` (see `deliver`)."""
        request = self.signed_slash_command(command, text, user_id=user_id, channel_id=channel_id)
        return await self.deliver(url, request, wait_responses=wait_responses, timeout=timeout)

    async def http_block_action(
        self,
        url: str,
        action_id: str,
        *,
        user_id: str,
        channel_id: str,
        value: str | None = None,
        block_id: str | None = None,
        message: Mapping[str, Any] | ResponsePost | None = None,
        ephemeral: bool = False,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Sign and deliver a button click to the app at `url` (see `deliver`)."""
        request = self.signed_block_action(
            action_id,
            user_id=user_id,
            channel_id=channel_id,
            value=value,
            block_id=block_id,
            message=message,
            ephemeral=ephemeral,
        )
        return await self.deliver(url, request, wait_responses=wait_responses, timeout=timeout)

    # ---------------------------------------------------------------- payload builders

    def _check_ack(self, result: InteractionResult) -> None:
        if result.ack is not None:
            problem = validate_message(result.ack)
            result.ack_error = problem[0] if problem else None

    def _require_user(self, user_id: str) -> FakeUser:
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"FakeSlack: unknown user {user_id!r}; use add_user() first")
        return user

    def _require_channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ValueError(f"FakeSlack: unknown channel {channel_id!r}; use add_channel() first")
        return channel

    def _trigger_id(self) -> str:
        return f"{self._digits()}.{self._digits()}.{secrets.token_hex(16)}"

    def _slash_payload(self, command: str, text: str, user_id: str, channel_id: str) -> JSON:
        if not command.startswith("/"):
            raise ValueError(f"FakeSlack: a slash command starts with '/', got {command!r}")
        user = self._require_user(user_id)
        channel = self._require_channel(channel_id)
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url("commands", channel_id=channel.id),
            "trigger_id": self._trigger_id(),
        }

    def _block_actions_payload(
        self,
        action_id: str,
        user_id: str,
        channel_id: str,
        value: str | None,
        block_id: str | None,
        message: Mapping[str, Any] | ResponsePost | None,
        ephemeral: bool,
    ) -> JSON:
        user = self._require_user(user_id)
        channel = self._require_channel(channel_id)
        if isinstance(message, ResponsePost):
            message = message.payload
        if message is not None:
            msg, found_block_id, element = self._find_button(message, action_id)
            if block_id is None:
                block_id = found_block_id
            if value is None:
                element_value = element.get("value")
                value = element_value if isinstance(element_value, str) else None
        else:
            block_id = block_id or secrets.token_hex(3)
            element = {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
            }
            if value is not None:
                element["value"] = value
            msg = {
                "type": "message",
                "text": "",
                "blocks": [{"type": "actions", "block_id": block_id, "elements": [element]}],
            }
        msg.setdefault("type", "message")
        msg.setdefault("ts", self._new_ts())
        msg.setdefault("user", self.bot_user_id)
        msg.setdefault("bot_id", self.bot_id)
        action: JSON = {
            "action_id": action_id,
            "block_id": block_id,
            "text": element.get("text", {"type": "plain_text", "text": action_id}),
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        payload: JSON = {
            "type": "block_actions",
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": self.team_id,
            },
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": msg["ts"],
                "channel_id": channel.id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self._trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel.id, "name": channel.name},
            "state": {"values": {}},
            "response_url": self.response_url(
                "actions", channel_id=channel.id, message_ts=None if ephemeral else msg["ts"]
            ),
            "actions": [action],
        }
        if not ephemeral:  # Slack leaves the message out for ephemeral messages
            payload["message"] = msg
        return payload

    @staticmethod
    def _find_button(message: Mapping[str, Any], action_id: str) -> tuple[JSON, str, JSON]:
        msg: JSON = json.loads(json.dumps(dict(message)))  # a deep copy we may fill in
        for key in ("response_type", "replace_original", "delete_original"):
            msg.pop(key, None)
        blocks = msg.get("blocks")
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            candidates: list[Any] = []
            if isinstance(block.get("elements"), list):
                candidates.extend(block["elements"])
            if isinstance(block.get("accessory"), dict):
                candidates.append(block["accessory"])
            for element in candidates:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    block_id = block.setdefault("block_id", secrets.token_hex(3))
                    return msg, str(block_id), element
        raise ValueError(f"FakeSlack: no element with action_id {action_id!r} in the message")

    # ---------------------------------------------------------------- HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await self._read_args(request)
        except SlackError as exc:
            self.calls.append(ApiCall(method, {}, None, request.method, 200, False, exc.code))
            self._notify()
            return web.json_response({"ok": False, "error": exc.code})
        token = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ").strip()
        form_token = args.pop("token", None)
        if token is None and isinstance(form_token, str):
            token = form_token
        call = ApiCall(method=method, args=args, token=token, http_method=request.method)
        self.calls.append(call)
        status, body, headers = self._dispatch(method, args, token)
        call.status = status
        call.ok = bool(body.get("ok"))
        call.error = body.get("error")
        self._notify()
        return web.json_response(body, status=status, headers=headers)

    async def _read_args(self, request: web.Request) -> JSON:
        args: JSON = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return args
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise SlackError("invalid_json") from exc
            if not isinstance(body, dict):
                raise SlackError("json_not_object")
            args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return _decode_json_args(args)

    def _dispatch(
        self, method: str, args: JSON, token: str | None
    ) -> tuple[int, JSON, dict[str, str]]:
        headers = {"X-Slack-Req-Id": secrets.token_hex(8)}
        entry = self._methods.get(method)
        if entry is None:
            log.warning("FakeSlack: unknown Web API method %r called with %r", method, args)
            self.unknown_methods.append(method)
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, headers
        kind, handler = entry
        if kind == "none":  # api.test needs no token
            return 200, {"ok": True, **handler(args)}, headers
        if token is None:
            return 200, {"ok": False, "error": "not_authed"}, headers
        if token == self.bot_token:
            headers["X-OAuth-Scopes"] = self.bot_scopes
        if token not in (self.bot_token, self.app_token):
            return 200, {"ok": False, "error": "invalid_auth"}, headers
        token_kind = "bot" if token == self.bot_token else "app"
        if token_kind != kind:
            return 200, {"ok": False, "error": "not_allowed_token_type"}, headers
        fault = self._take_fault(method)
        if fault is not None:
            if fault.kind == "ratelimit":
                headers["Retry-After"] = str(fault.retry_after)
                return 429, {"ok": False, "error": "ratelimited"}, headers
            return 200, {"ok": False, "error": fault.error}, headers
        try:
            result = handler(args)
        except SlackError as exc:
            return 200, {"ok": False, "error": exc.code, **exc.extra}, headers
        except Exception:  # a bug in the fake: make it loud
            log.exception("FakeSlack: %s failed", method)
            return 500, {"ok": False, "error": "fatal_error"}, headers
        return 200, {"ok": True, **result}, headers

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if queue:
            return queue.popleft()
        return None

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        url = f"{self.base_url}{request.path}"
        try:
            payload = json.loads(await request.text())
        except ValueError:
            payload = None
        record = ResponsePost(url=url, payload=payload if isinstance(payload, dict) else {})
        self.responses.append(record)
        headers: dict[str, str] = {}
        status, error = self._check_response_post(url, payload, headers)
        record.ok = error is None
        record.error = error
        entry = self._response_urls.get(url)
        if error is None and entry is not None and isinstance(payload, dict):
            self._apply_response(entry, payload)
        self._notify()
        body: JSON = {"ok": True} if error is None else {"ok": False, "error": error}
        return web.json_response(body, status=status, headers=headers)

    def _apply_response(self, entry: _ResponseUrl, payload: JSON) -> None:
        channel = self.channels.get(entry.channel_id or "")
        if channel is None or channel.deleted:
            return
        original = next((m for m in channel.messages if m["ts"] == entry.message_ts), None)
        if payload.get("delete_original"):
            if original is not None:
                channel.messages.remove(original)
        elif payload.get("replace_original") and original is not None:
            original["text"] = payload.get("text") or ""
            for key in ("blocks", "attachments"):  # the whole message is replaced
                if payload.get(key):
                    original[key] = payload[key]
                else:
                    original.pop(key, None)
        elif payload.get("response_type") == "in_channel":
            channel.messages.append(self._message(payload, self._new_ts()))

    def _check_response_post(
        self, url: str, payload: Any, headers: dict[str, str]
    ) -> tuple[int, str | None]:
        entry = self._response_urls.get(url)
        if entry is None:
            return 404, "expired_url"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        fault = self._take_fault("response_url")
        if fault is not None:
            if fault.kind == "ratelimit":
                headers["Retry-After"] = str(fault.retry_after)
                return 429, "ratelimited"
            return 400, fault.error
        entry.uses += 1
        if entry.uses > RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if not (
            payload.get("text")
            or payload.get("blocks")
            or payload.get("attachments")
            or payload.get("delete_original")
        ):
            return 400, "no_text"
        problem = validate_message(payload)
        if problem is not None:
            return 400, problem[0]
        return 200, None

    async def _handle_link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets or self._closing:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        ws = web.WebSocketResponse(timeout=2.0, autoping=True)
        await ws.prepare(request)
        self.socket_connections += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets) + 1,
                "debug_info": {
                    "host": "applink-fake",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        self._sockets.append(ws)
        self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(msg.data)
        finally:
            with contextlib.suppress(ValueError):
                self._sockets.remove(ws)
            self._notify()
        return ws

    def _on_socket_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("FakeSlack: non-JSON socket message %r", data)
            return
        if not isinstance(message, dict):
            return
        self.socket_messages.append(message)
        future = self._pending_acks.get(str(message.get("envelope_id")))
        if future is not None and not future.done():
            future.set_result(message)
        self._notify()

    def _current_socket(self) -> web.WebSocketResponse | None:
        for ws in reversed(self._sockets):
            if not ws.closed:
                return ws
        return None

    # ---------------------------------------------------------------- Web API methods

    def _api_test(self, args: JSON) -> JSON:
        return {"args": args}

    def _auth_test(self, args: JSON) -> JSON:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: JSON) -> JSON:
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

    def _channel_for_post(self, ref: Any) -> FakeChannel:
        if not isinstance(ref, str) or not ref:
            raise SlackError("channel_not_found")
        if ref in self.users:  # posting to a user id lands in the app's DM with them
            return self._dm_with(ref)
        channel = self.channels.get(ref)
        if channel is None:
            name = ref.lstrip("#")
            channel = next(
                (c for c in self.channels.values() if c.name == name and not c.deleted), None
            )
        if channel is None or channel.deleted:
            raise SlackError("channel_not_found")
        if channel.archived:
            raise SlackError("is_archived")
        if not channel.is_member and not channel.is_im:
            raise SlackError("not_in_channel")
        return channel

    def _dm_with(self, user_id: str) -> FakeChannel:
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id and not channel.deleted:
                return channel
        channel = FakeChannel(self._new_id("D"), user_id, is_im=True, im_user=user_id)
        self.channels[channel.id] = channel
        return channel

    @staticmethod
    def _check_message(args: JSON) -> None:
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        problem = validate_message(args)
        if problem is not None:
            code, details = problem
            raise SlackError(
                code,
                errors=details,
                response_metadata={"messages": [f"[ERROR] {d}" for d in details]},
            )

    def _message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text") or "",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _chat_post_message(self, args: JSON) -> JSON:
        channel = self._channel_for_post(args.get("channel"))
        self._check_message(args)
        ts = self._new_ts()
        message = self._message(args, ts)
        channel.messages.append(message)
        self.posted.append({**args, "channel": channel.id, "ts": ts})
        return {"channel": channel.id, "ts": ts, "message": message}

    def _chat_post_ephemeral(self, args: JSON) -> JSON:
        channel = self._channel_for_post(args.get("channel"))
        user = self.users.get(str(args.get("user")))
        if user is None or user.deleted:
            raise SlackError("user_not_in_channel")
        self._check_message(args)
        ts = self._new_ts()
        self.ephemerals.append({**args, "channel": channel.id, "user": user.id, "message_ts": ts})
        return {"message_ts": ts}

    def _find_message(self, args: JSON) -> tuple[FakeChannel, JSON]:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or channel.deleted:
            raise SlackError("channel_not_found")
        for message in channel.messages:
            if message["ts"] == args.get("ts"):
                return channel, message
        raise SlackError("message_not_found")

    def _chat_update(self, args: JSON) -> JSON:
        channel, message = self._find_message(args)
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        if args.get("text") or args.get("blocks") or args.get("attachments"):
            problem = validate_message(args)
            if problem is not None:
                raise SlackError(problem[0], errors=problem[1])
        for key in ("text", "blocks", "attachments"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        self.updates.append({**args, "channel": channel.id})
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": message,
        }

    def _chat_delete(self, args: JSON) -> JSON:
        channel, message = self._find_message(args)
        channel.messages.remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _users_info(self, args: JSON) -> JSON:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(self.team_id)}

    def _conversations_info(self, args: JSON) -> JSON:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or channel.deleted:
            raise SlackError("channel_not_found")
        return {"channel": channel.to_api()}

    def _conversations_history(self, args: JSON) -> JSON:
        """Newest first, after `oldest`, `limit` a page (Slack caps it at 999), paged with an
        opaque cursor; message metadata only with `include_all_metadata`."""
        channel = self._require_channel(str(args.get("channel")))
        if channel.deleted:
            raise SlackError("channel_not_found")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        oldest = float(args.get("oldest") or 0)
        newest_first = [m for m in reversed(channel.messages) if float(m["ts"]) > oldest]
        start = int(str(args.get("cursor") or "page:0").removeprefix("page:"))
        limit = max(1, min(999, int(args.get("limit") or 100)))
        page = newest_first[start : start + limit]
        if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": f"page:{start + limit}" if more else ""},
        }

    def _conversations_open(self, args: JSON) -> JSON:
        users = str(args.get("users") or "").split(",")
        if len(users) != 1 or users[0] not in self.users:
            raise SlackError("user_not_found")
        return {"channel": self._dm_with(users[0]).to_api()}

    # ---------------------------------------------------------------- helpers

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    @staticmethod
    def _digits() -> str:
        return str(secrets.randbelow(9 * 10**12) + 10**12)

    def _new_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_seq):06d}"

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _summary(self) -> str:
        calls = ", ".join(f"{c.method}({'ok' if c.ok else c.error})" for c in self.calls[-10:])
        return (
            f"Last calls: [{calls}]; posts: {len(self.posted)}; responses: {len(self.responses)};"
            f" sockets open: {len([s for s in self._sockets if not s.closed])}"
            f" (accepted {self.socket_connections})."
        )


@contextlib.asynccontextmanager
async def serve_bolt_http(
    app: AsyncApp, *, path: str = "/slack/events", host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """Serve `app` in HTTP mode on a free port; yields the events URL (``.../slack/events``).

    Uses the same aiohttp application ``app.web_app()`` / ``app.start()`` build
    (``AsyncSlackAppServer``), made fresh so one app can be served more than once.
    """
    server = AsyncSlackAppServer(port=0, path=path, app=app, host=host)
    runner = web.AppRunner(server.web_app, shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = int(runner.addresses[0][1])
        yield f"http://{host}:{port}{path}"
    finally:
        await asyncio.wait_for(runner.cleanup(), 5.0)
