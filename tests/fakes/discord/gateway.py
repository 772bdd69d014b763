"""The fake Discord gateway: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME
with replay, RECONNECT, INVALID_SESSION, member chunks, and DISPATCH of events."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import WSMsgType, web

from .state import _State
from .wire import DEFAULT_TIMEOUT, JSON, _copy_json, _json_response, log

if TYPE_CHECKING:
    from .guilds import _Guild


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


class _Gateway(_State):
    """The websocket gateway: connections, sessions, the handshake, and DISPATCH."""

    # ---------------------------------------------------------------- state

    @property
    def connected(self) -> bool:
        """A gateway connection is open and its session is READY (or RESUMED)."""
        s = self._session
        return s is not None and s.ready and s.conn is not None and s.conn.live

    # ---------------------------------------------------------------- waiting

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

    def refuse_gateway_next(self, times: int = 1) -> None:
        """The next `times` gateway connections are refused (HTTP 503 instead of the
        websocket upgrade), as a gateway that is briefly away."""
        self._refuse_gateway += times

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
        if self._refuse_gateway > 0:
            self._refuse_gateway -= 1
            self.gateway_refusals += 1
            self._notify()
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        if self.hello_delay:
            await asyncio.sleep(self.hello_delay)
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
            "members": _copy_json(members),
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
            channel = _copy_json(self._channels[cid])
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
            "roles": _copy_json(list(guild.roles.values())),
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [],
            "members": _copy_json(list(guild.members.values())),
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

    # ---------------------------------------------------------------- REST: gateway discovery

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
