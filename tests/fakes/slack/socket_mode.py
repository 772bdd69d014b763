"""Socket Mode in the fake Slack: apps.connections.open, the websocket (hello, envelopes,
acks, disconnect), and driving an app over it."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from .interactions import InteractionResult, ResponsePost, _Interactions
from .state import _DEFAULT_TIMEOUT, JSON, log


class _SocketMode(_Interactions):
    """Socket Mode: apps.connections.open, the websocket (hello, envelopes, acks, disconnects)
    and sending slash commands and clicks over it."""

    # ---------------------------------------------------------------- Socket Mode driving

    async def wait_for_socket(
        self, connections: int = 1, timeout: float = _DEFAULT_TIMEOUT
    ) -> web.WebSocketResponse:
        """Wait until `connections` sockets were accepted in all and one is open."""

        def ready() -> web.WebSocketResponse | None:
            if self.socket_connections >= connections:
                return self._current_socket()
            return None

        return await self.wait_until(ready, timeout, f"open socket (connection #{connections})")

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

    async def socket_message_shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        *,
        user_id: str,
        channel_id: str,
        wait_responses: int = 0,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Use a message shortcut (the message's ⋯ menu) on a posted `message`: an
        ``interactive`` envelope with a ``message_action`` payload, as Slack sends it."""
        payload = self._message_action_payload(callback_id, message, user_id, channel_id)
        return await self._socket_interaction(
            "interactive", "message_action", payload, False, wait_responses, timeout
        )

    async def socket_view_submission(
        self,
        view_id: str,
        values: Mapping[str, str],
        *,
        user_id: str,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Submit a modal the app opened (views.open): a ``view_submission`` payload with each
        input's value (`values` by block_id; the rest keep their initial value)."""
        payload = self._view_submission_payload(view_id, values, user_id)
        return await self._socket_interaction(
            "interactive", "view_submission", payload, True, 0, timeout
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
            response_url=str(payload.get("response_url", "")),
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

    # ---------------------------------------------------------------- Socket Mode server

    def _apps_connections_open(self, args: JSON) -> JSON:
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

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
