"""`FakeDiscord` and pointing discord.py at it (being split by protocol area)."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import copy
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .gateway import _Connection, _Session
from .guilds import _Guild
from .limits import (
    _SELECT_TYPES,
    ATTACHMENT_SIZE_LIMIT,
    _ApiError,
    _choice_problems,
    _command_problems,
    _invalid_form,
    _is_empty_message,
    _modal_problems,
    _required,
    _walk_components,
    message_problems,
)
from .messages import _Messages
from .rest import RecordedRequest, _files, _payload, _Rule
from .wire import (
    _CALLBACK_GRACE,
    _SENDABLE_FLAGS,
    ALL_PERMISSIONS,
    API_PREFIX,
    BASIC_PERMISSIONS,
    DEFAULT_GUILD,
    DEFAULT_TIMEOUT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FOLLOWUP_LIFETIME,
    INTERACTION_DEADLINE,
    JSON,
    _json_response,
    _Sentinel,
    _snowflake_of,
)


class InteractionTimeout(TimeoutError):
    """The bot did not answer an interaction (or did not finish a deferral) in time."""


class InteractionRejected(Exception):
    """The fake rejected the bot's answer to an interaction (see `errors`)."""

    def __init__(self, message: str, errors: Sequence[JSON]) -> None:
        super().__init__(message)
        self.errors = list(errors)


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


class FakeDiscord(_Messages):
    """A fake Discord on 127.0.0.1 (REST under ``/api/v10`` and a gateway); see module doc."""

    # ----------------------------------------------------------------

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

    # ---------------------------------------------------------------- inspection

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The registered commands: global ones, or those of `guild_id`."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    def command(self, name: str, *, guild_id: int | None = None) -> JSON | None:
        for cmd in self._commands.get(guild_id, []):
            if cmd["name"] == name:
                return copy.deepcopy(cmd)
        return None

    # ---------------------------------------------------------------- waiting

    async def wait_for_commands(
        self, *, guild_id: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[JSON]:
        """Wait until at least one command is registered globally (or in `guild_id`)."""
        return await self.wait_until(
            lambda: self.commands(guild_id) or None, timeout=timeout, what="commands to be synced"
        )

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

    # ---------------------------------------------------------------- REST: commands

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

    # -------------------------------------------------------------- REST: interactions and webhooks

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
