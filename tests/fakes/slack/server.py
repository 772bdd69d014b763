"""`FakeSlack` composed from its protocol areas (construction, lifecycle, routes), and
`serve_bolt_http` to serve a Bolt app in HTTP mode."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import WSCloseCode, web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.app.async_server import AsyncSlackAppServer

from .interactions import ResponsePost, _ResponseUrl
from .ratelimits import SlackLimiter, SlackRateLimits
from .signing import _Signing
from .socket_mode import _SocketMode
from .state import JSON
from .web_api import ApiCall, _Fault
from .workspace import FakeChannel, FakeUser


class FakeSlack(_SocketMode, _Signing):
    """A Slack workspace on 127.0.0.1 for one test: ``async with FakeSlack() as fake: ...``.

    One part per protocol area, all over the state set up here: `_Workspace`, `_WebApi`,
    `_Interactions` (payloads and response_urls), `_SocketMode` and `_Signing` (HTTP mode);
    this class adds construction, lifecycle and the routes.
    """

    # ---------------------------------------------------------------- construction

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        team_name: str = "Fake Conf",
        team_domain: str = "fakeconf",
        bot_name: str = "confbot",
        rate_limits: SlackRateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
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
        self.limiter = SlackLimiter(rate_limits, monotonic)

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
        self.views: dict[str, JSON] = {}

        self._faults: defaultdict[str, deque[_Fault]] = defaultdict(deque)
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._tickets: set[str] = set()
        self._triggers: set[str] = set()
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
            "chat.getPermalink": ("bot", self._chat_get_permalink),
            "views.open": ("bot", self._views_open),
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
