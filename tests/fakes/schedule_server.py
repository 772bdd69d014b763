"""A schedule host on 127.0.0.1 for tests and benchmarks of followed sources.

`ScheduleServer` serves one export at `/schedule.json` the way pretalx, frab and static hosts
do: a strong `ETag` (the body's hash) and a `Last-Modified`, answering `If-None-Match`
(which wins, as RFC 9110 says) or else `If-Modified-Since` with 304. `mode` makes it
misbehave on purpose: a 404, a 503, an answer slower than any client waits, a body cut short
(`Content-Length` says more than is sent, or chunks stop without the last one, then the
connection closes), a body that is not a schedule, a 304 whatever was asked. It counts what
it answered, so a test can tell a 304 from a parsed body.

    async with ScheduleServer(body) as server:
        ...fetch server.url...
    with ScheduleServer(body).in_thread() as server:  # for code that runs its own loop
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal

from aiohttp import web

Mode = Literal[
    "ok",
    "not found",
    "unavailable",
    "slow",
    "truncated",
    "truncated chunks",
    "not a schedule",
    "always 304",
]
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Counts:
    requests: int = 0
    full_bodies: int = 0  # 200 with the export
    not_modified: int = 0
    conditional: int = 0  # requests that carried If-None-Match or If-Modified-Since
    last_headers: dict[str, str] = field(default_factory=dict)


class ScheduleServer:
    def __init__(self, body: bytes, *, validators: bool = True, slow_seconds: float = 30) -> None:
        self.mode: Mode = "ok"
        self.validators = validators
        self.slow_seconds = slow_seconds
        self.counts = Counts()
        self.version = 0
        self.body = body
        self.etag = ""
        self.modified = _EPOCH
        self.publish(body)
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def publish(self, body: bytes) -> None:
        """Serve `body` from now on; validators change only when the bytes do."""
        if body == self.body and self.etag:
            return
        self.body = body
        self.version += 1
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        # One fake second per version, so Last-Modified moves even within one real second.
        self.modified = _EPOCH + timedelta(seconds=self.version)

    async def start(self) -> str:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/schedule.json", self._serve)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/schedule.json"
        return self.url

    async def close(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ScheduleServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @contextmanager
    def in_thread(self) -> Iterator[ScheduleServer]:
        """Run the server on its own loop in a thread (for `bot.cli.main`, which runs one)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), loop).result(10)
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.counts.requests += 1
        self.counts.last_headers = dict(request.headers)
        if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
            self.counts.conditional += 1
        if self.mode == "not found":
            return web.Response(status=404, text="no such event")
        if self.mode == "unavailable":
            return web.Response(status=503, text="maintenance")
        if self.mode == "slow":
            with suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.slow_seconds)
        if self.mode == "not a schedule":
            return web.Response(text="<!doctype html><p>Log in to see the schedule</p>")
        if self.mode in {"truncated", "truncated chunks"}:
            return await self._truncated(request, chunked=self.mode == "truncated chunks")
        if self.mode == "always 304" or (self.validators and self._not_modified(request)):
            self.counts.not_modified += 1
            return web.Response(status=304, headers=self._validator_headers())
        self.counts.full_bodies += 1
        return web.Response(
            body=self.body, content_type="application/json", headers=self._validator_headers()
        )

    def _not_modified(self, request: web.Request) -> bool:
        tags = request.headers.get("If-None-Match")
        if tags is not None:
            return self.etag in {tag.strip() for tag in tags.split(",")}
        since = request.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return self.modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def _validator_headers(self) -> dict[str, str]:
        if not self.validators:
            return {}
        return {"ETag": self.etag, "Last-Modified": format_datetime(self.modified, usegmt=True)}

    async def _truncated(self, request: web.Request, *, chunked: bool) -> web.StreamResponse:
        """Promise the whole body (by Content-Length, or chunks), send half, hang up."""
        reply = web.StreamResponse(headers={"Content-Type": "application/json"})
        if chunked:
            reply.enable_chunked_encoding()
        else:
            reply.content_length = len(self.body)
        await reply.prepare(request)
        await reply.write(self.body[: len(self.body) // 2])
        assert request.transport is not None
        request.transport.close()
        return reply
