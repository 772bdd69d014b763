"""The state every part of the fake Discord shares, its addresses, and waiting for changes."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

import discord
from aiohttp import web

from .wire import API_PREFIX, DEFAULT_TIMEOUT, JSON, T

if TYPE_CHECKING:
    from .gateway import _Connection, _Session
    from .guilds import _Guild
    from .interactions import InteractionResult
    from .ratelimits import DiscordLimiter
    from .rest import RecordedRequest, _Rule


class _State:
    """What every part of the fake shares: the attributes `FakeDiscord.__init__` sets (declared
    here so that each part can use them), snowflakes, the server's addresses, and waiting."""

    # Configuration (see `FakeDiscord`).
    token: str
    interaction_deadline: float
    followup_lifetime: float
    heartbeat_interval: float
    max_frames: int
    enforce_command_visibility: bool
    limiter: DiscordLimiter

    # Server, gateway and fault-injection state.
    _last_snowflake: int
    _waiters: dict[_Waiter[Any], None]  # the pending `wait_until`s, in the order they began
    _check_pending: asyncio.AbstractEventLoop | None  # the loop a re-check is scheduled on
    _runner: web.AppRunner | None
    _port: int | None
    _conns: set[_Connection]
    _session: _Session | None
    _sessions: dict[str, _Session]
    _rules: list[_Rule]
    _tasks: set[asyncio.Task[Any]]

    # The guild model, messages, commands and interactions.
    _users: dict[int, JSON]
    _guilds: dict[int, _Guild]
    _channels: dict[int, JSON]
    _deleted_channels: set[int]
    _channel_log: dict[int, list[JSON]]
    _messages: dict[int, JSON]
    _nonces: dict[tuple[int, str], tuple[float, int]]
    _commands: dict[int | None, list[JSON]]
    _interactions: dict[int, InteractionResult]
    _by_token: dict[str, InteractionResult]
    _message_cursor: dict[int, set[int]]
    _dm_channels: dict[int, int]
    _dms_closed: set[int]

    # Records for assertions.
    requests: list[RecordedRequest]
    unhandled: list[RecordedRequest]
    interactions: list[InteractionResult]
    identify_payloads: list[JSON]
    gateway_received: list[JSON]
    gateway_paths: list[str]
    presences: list[JSON]
    identify_count: int
    resume_count: int
    connection_count: int
    heartbeat_count: int
    rate_limited_count: int
    gateway_refusals: int
    hello_delay: float
    _refuse_gateway: int

    # The application, its bot user, and the default guild, channel and user.
    application_id: int
    bot_user: JSON
    owner: JSON
    application: JSON
    guild_id: int
    channel_id: int
    default_user: JSON

    # ---------------------------------------------------------------- ids

    def _snowflake(self) -> int:
        value = discord.utils.time_snowflake(datetime.datetime.now(datetime.UTC))
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    # ---------------------------------------------------------------- addresses

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

    # ---------------------------------------------------------------- waiting

    def _notify(self) -> None:
        """Something changed: every `wait_until` re-checks its predicate (all of them once, in
        the loop's next turn, however many changes come before it)."""
        if not self._waiters:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop runs, so nothing can be waiting on this one
            return
        if self._check_pending is not loop:
            self._check_pending = loop
            loop.call_soon(self._check_waiters)

    def _check_waiters(self) -> None:
        self._check_pending = None
        for waiter in list(self._waiters):
            waiter.check()

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "a condition",
    ) -> T:
        """Wait until `predicate()` returns something other than None (re-checked on every change
        the fake sees); raise TimeoutError after `timeout` seconds."""
        result = predicate()
        if result is not None:
            return result
        message = f"FakeDiscord: timed out after {timeout:g}s waiting for {what}"
        if timeout <= 0:
            raise TimeoutError(message)
        loop = asyncio.get_running_loop()
        waiter: _Waiter[T] = _Waiter(predicate, loop.create_future())
        self._waiters[waiter] = None
        timer = loop.call_later(timeout, waiter.expire, message)
        try:
            return await waiter.future
        finally:
            timer.cancel()
            self._waiters.pop(waiter, None)


@dataclass(eq=False)
class _Waiter(Generic[T]):
    """One `wait_until`: its predicate, re-checked by `_notify`, and the future it awaits (one
    future and one timer per wait, not a task per change)."""

    predicate: Callable[[], T | None]
    future: asyncio.Future[T]

    def check(self) -> None:
        if self.future.done():
            return
        try:
            result = self.predicate()
        except Exception as exc:  # raised in the waiting task, as the predicate's own error
            self.future.set_exception(exc)
            return
        if result is not None:
            self.future.set_result(result)

    def expire(self, message: str) -> None:
        """The timeout: one last check, then TimeoutError."""
        self.check()
        if not self.future.done():
            self.future.set_exception(TimeoutError(message))
