"""`FakeDiscord` composed from its protocol areas (construction, lifecycle, routes), and
pointing discord.py at it: `use_fake_discord`, `running_bot`."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from .driving import _Driving
from .gateway import _Connection, _Session
from .guilds import _Guild
from .interactions import InteractionResult
from .ratelimits import DiscordLimiter, DiscordRateLimits
from .rest import RecordedRequest, _Rule
from .wire import API_PREFIX, FOLLOWUP_LIFETIME, INTERACTION_DEADLINE, JSON


class FakeDiscord(_Driving):
    """A fake Discord on 127.0.0.1 (REST under ``/api/v10`` and a gateway); see the package doc.

    One part per protocol area, all over the state set up here: `_Rest` (REST transport and
    fault injection), `_Gateway`, `_Guilds`, `_Messages`, `_Interactions`, `_Commands` and
    `_Driving` (acting as a user); this class adds construction, lifecycle and the routes.
    """

    # ---------------------------------------------------------------- construction

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
        rate_limits: DiscordRateLimits | None = None,
    ) -> None:
        self.token = token
        self.interaction_deadline = interaction_deadline
        self.followup_lifetime = followup_lifetime
        self.heartbeat_interval = heartbeat_interval
        self.max_frames = max_frames
        self.enforce_command_visibility = enforce_command_visibility
        self.limiter = DiscordLimiter(rate_limits)

        self._last_snowflake = 0
        self._waiters = {}
        self._check_pending = None
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
        self._dms_closed: set[int] = set()  # users who accept no DM from the bot (50007)

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
        self.gateway_refusals = 0  # upgrades refused so far (see refuse_gateway_next)
        self.hello_delay = 0.0  # seconds a new gateway connection waits for its HELLO
        self._refuse_gateway = 0

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

    # ---------------------------------------------------------------- routes

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
