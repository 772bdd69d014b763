"""The fake Discord's REST transport: recording requests, the bot token, injected 429s and
failures, request bodies (JSON or multipart ``payload_json``)."""

from __future__ import annotations

import contextlib
import contextvars
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .limits import _ApiError, _invalid_form
from .state import _State
from .wire import API_PREFIX, JSON, _json_response, log

# The parsed body of the REST request being handled (set by the middleware, per request task).
_BODY: contextvars.ContextVar[tuple[Any, list[str]]] = contextvars.ContextVar("fake_discord_body")


def _payload() -> Any:
    """The JSON body (or multipart ``payload_json``) of the current request, None without one."""
    return _BODY.get((None, []))[0]


def _files() -> list[str]:
    """The file names uploaded with the current (multipart) request."""
    return _BODY.get((None, []))[1]


@dataclass
class RecordedRequest:
    """One REST request the bot made, and what the fake answered."""

    method: str
    path: str  # relative to the API base, e.g. "/channels/123/messages"
    query: dict[str, str]
    json: Any  # the JSON body (``payload_json`` for multipart), None without a body
    files: tuple[str, ...] = ()
    status: int = 0
    _response: Any = field(default=None, repr=False)
    # The answer's bytes as sent, parsed on first reading of `response` (most records are
    # never read, and a parsed tree per request would cost CPU and the GC's time).
    _sent: bytes | None = field(default=None, repr=False)

    @property
    def response(self) -> Any:
        """The JSON the fake answered (as it was when sent), None without a JSON body."""
        if self._sent is not None:
            sent, self._sent, self._response = self._sent, None, None
            with contextlib.suppress(ValueError, TypeError):
                self._response = json.loads(sent)
        return self._response

    @response.setter
    def response(self, value: Any) -> None:
        self._response, self._sent = value, None

    def __repr__(self) -> str:
        return (
            f"RecordedRequest(method={self.method!r}, path={self.path!r}, query={self.query!r}, "
            f"json={self.json!r}, files={self.files!r}, status={self.status!r}, "
            f"response={self.response!r})"
        )

    @property
    def code(self) -> int | None:
        """Discord's JSON error code of the answer, if it was an error."""
        if isinstance(self.response, dict) and self.status >= 400:
            code = self.response.get("code")
            return code if isinstance(code, int) else None
        return None


@dataclass
class _Rule:
    path_substring: str
    method: str | None
    remaining: int
    status: int
    body: JSON
    headers: dict[str, str]


class _Rest(_State):
    """The REST transport under ``/api/v10``: every request is recorded, checked for injected
    faults and the bot token, and its body parsed, before the route's handler runs."""

    # ---------------------------------------------------------------- inspection

    def requests_to(self, path_substring: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if path_substring in r.path and (method is None or r.method == method.upper())
        ]

    @property
    def errors(self) -> list[RecordedRequest]:
        """Every request the fake answered with a status >= 400 (429s included)."""
        return [r for r in self.requests if r.status >= 400]

    # ---------------------------------------------------------------- fault injection

    def rate_limit_next(
        self,
        path_substring: str,
        retry_after: float = 0.05,
        *,
        method: str | None = None,
        times: int = 1,
        is_global: bool = False,
    ) -> None:
        """The next `times` requests whose path contains `path_substring` get a 429 with
        ``retry_after`` and a ``Via`` header (so discord.py sleeps and retries)."""
        body: JSON = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        if is_global:
            body["code"] = 0
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        self._rules.append(
            _Rule(path_substring, method.upper() if method else None, times, 429, body, headers)
        )

    def fail_next(
        self,
        path_substring: str,
        *,
        status: int = 500,
        code: int = 0,
        message: str = "Internal Server Error",
        method: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` matching requests get `status` with ``{"code", "message"}``.
        (discord.py retries 500/502/504 itself, sleeping 1 s, 3 s, ...)"""
        self._rules.append(
            _Rule(
                path_substring,
                method.upper() if method else None,
                times,
                status,
                {"message": message, "code": code},
                {},
            )
        )

    # ---------------------------------------------------------------- REST server

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        rel = request.path[len(API_PREFIX) :]
        record = RecordedRequest(request.method, rel, dict(request.query), None)
        self.requests.append(record)
        limit_headers: dict[str, str] = {}
        try:
            try:
                record.json, files = await self._read_body(request)
                record.files = tuple(files)
                _BODY.set((record.json, files))
                self._apply_rules(request.method, rel)
                self._check_auth(request, rel)
                token = request.headers.get("Authorization", "")
                limit_headers = self.limiter.check(request, rel, token)
                response = await handler(request)
            except _ApiError as exc:
                response = exc.response()
                record.response = exc.body()
            else:
                if isinstance(response, web.Response) and response.body:
                    body = response.body
                    if isinstance(body, bytes):
                        record._sent = body
                    else:
                        with contextlib.suppress(ValueError, TypeError):
                            record.response = json.loads(str(body))
            response.headers.update(limit_headers)
            record.status = response.status
            if response.status == 429:
                self.rate_limited_count += 1
            elif response.status >= 400:
                log.info(
                    "fake discord: %s %s -> %s %s",
                    request.method,
                    rel,
                    response.status,
                    record.response,
                )
            return response
        finally:
            self._notify()

    async def _read_body(self, request: web.Request) -> tuple[Any, list[str]]:
        if not request.body_exists:
            return None, []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload: Any = None
            files: list[str] = []
            for key, value in form.items():
                if key == "payload_json":
                    payload = json.loads(
                        value if isinstance(value, str | bytes | bytearray) else value.file.read()
                    )
                elif isinstance(value, web.FileField):
                    files.append(value.filename)
            return payload, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            raise _ApiError(400, 50109, "The request body contains invalid JSON.") from None

    def _apply_rules(self, method: str, rel: str) -> None:
        for rule in self._rules:
            if rule.remaining > 0 and rule.path_substring in rel and rule.method in (None, method):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self._rules.remove(rule)
                raise _ApiError(
                    rule.status,
                    int(rule.body.get("code", 0)),
                    str(rule.body.get("message", "")),
                    headers=rule.headers,
                    extra={k: v for k, v in rule.body.items() if k not in ("code", "message")},
                )

    def _check_auth(self, request: web.Request, rel: str) -> None:
        if rel.startswith(("/interactions/", "/webhooks/")) or rel == "/gateway":
            return
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise _ApiError(401, 0, "401: Unauthorized")

    # ---------------------------------------------------------------- REST: misc

    def _id(self, request: web.Request, key: str) -> int:
        value = request.match_info[key]
        try:
            return int(value)
        except ValueError:
            raise _invalid_form(
                [((key,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.')]
            ) from None

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        record = self.requests[-1] if self.requests else None
        if record is not None:
            self.unhandled.append(record)
        log.warning("fake discord has no route for %s %s", request.method, request.path)
        raise _ApiError(404, 0, "404: Not Found")

    async def _no_content(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    async def _empty_list(self, request: web.Request) -> web.StreamResponse:
        return _json_response([])
