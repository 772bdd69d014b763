"""The state every part of the fake Slack shares, its addresses, ids, and waiting."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from .interactions import ResponsePost, _ResponseUrl
    from .ratelimits import SlackLimiter
    from .web_api import ApiCall, _Fault
    from .workspace import FakeChannel, FakeUser


log = logging.getLogger("tests.fakes.slack")  # one logger for the whole fake


JSON = dict[str, Any]
T = TypeVar("T")


_DEFAULT_TIMEOUT = 5.0


class _State:
    """What every part of the fake shares: the attributes `FakeSlack.__init__` sets (declared
    here so that each part can use them), ids, the server's addresses, and waiting."""

    # The server and the workspace's identity and credentials.
    host: str
    port: int
    team_name: str
    team_domain: str
    _ids: itertools.count[int]
    _ts_seq: itertools.count[int]
    team_id: str
    app_id: str
    bot_id: str
    bot_user_id: str
    bot_token: str
    app_token: str
    signing_secret: str
    verification_token: str
    bot_scopes: str
    limiter: SlackLimiter

    # The workspace.
    users: dict[str, FakeUser]
    channels: dict[str, FakeChannel]

    # Records for assertions.
    calls: list[ApiCall]
    posted: list[JSON]
    ephemerals: list[JSON]
    updates: list[JSON]
    responses: list[ResponsePost]
    unknown_methods: list[str]
    socket_messages: list[JSON]
    socket_connections: int
    views: dict[str, JSON]  # modals opened with views.open, by view id

    # Faults, response_urls, Socket Mode, waits and the server.
    _faults: defaultdict[str, deque[_Fault]]
    _response_urls: dict[str, _ResponseUrl]
    _tickets: set[str]
    _triggers: set[str]  # trigger_ids handed out with interactions, each usable once
    _sockets: list[web.WebSocketResponse]
    _pending_acks: dict[str, asyncio.Future[JSON]]
    _consumed_posts: set[int]
    _consumed_responses: set[int]
    _consumed_calls: set[int]
    _changed: asyncio.Event
    _runner: web.AppRunner | None
    _session: aiohttp.ClientSession | None
    _closing: bool
    _methods: dict[str, tuple[str, Callable[[JSON], JSON]]]

    # ---------------------------------------------------------------- addresses

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``AsyncWebClient`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    # ---------------------------------------------------------------- waiting

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
