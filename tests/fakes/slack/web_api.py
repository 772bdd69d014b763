"""The fake Slack Web API: ``/api/<method>`` (auth.test, chat.*, users.info,
conversations.*), tokens, `ApiCall` records, injected errors and rate limits."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .limits import validate_message
from .state import _DEFAULT_TIMEOUT, JSON, log
from .workspace import FakeChannel, _Workspace

_JSON_STRING_ARGS = ("blocks", "attachments", "metadata")


class SlackError(Exception):
    """Raised inside the fake to answer ``{"ok": false, "error": code, **extra}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


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
class _Fault:
    kind: str  # "error", "ratelimit" or "unavailable"
    error: str = "ratelimited"
    retry_after: int = 1


def _decode_json_args(args: JSON) -> JSON:
    out = dict(args)
    for key in _JSON_STRING_ARGS:
        value = out.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(value)
    return out


class _WebApi(_Workspace):
    """The Web API: ``/api/<method>`` with form, query or JSON arguments and Bearer tokens, the
    methods the app calls, and injected errors and rate limits."""

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

    def unavailable_next(self, method: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 503 before looking at the token, as
        a Slack that is briefly away."""
        for _ in range(times):
            self._faults[method].append(_Fault("unavailable", error="service_unavailable"))

    # ---------------------------------------------------------------- queries and waits

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

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

    async def wait_for_call(self, method: str, timeout: float = _DEFAULT_TIMEOUT) -> ApiCall:
        """The next call of `method` not yet returned by an earlier wait."""

        def find() -> ApiCall | None:
            for i, call in enumerate(self.calls):
                if i not in self._consumed_calls and call.method == method:
                    self._consumed_calls.add(i)
                    return call
            return None

        return await self.wait_until(find, timeout, f"call of {method}")

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
        queue = self._faults.get(method)
        if queue and queue[0].kind == "unavailable":
            return 503, {"ok": False, "error": queue.popleft().error}, headers
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
        channel = args.get("channel")
        wait = self.limiter.retry_after(
            method, token, channel if isinstance(channel, str) else None
        )
        if wait is not None:
            headers["Retry-After"] = str(wait)
            return 429, {"ok": False, "error": "ratelimited"}, headers
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

    def _chat_get_permalink(self, args: JSON) -> JSON:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or channel.deleted:
            raise SlackError("channel_not_found")
        ts = str(args.get("message_ts", ""))
        if not any(m.get("ts") == ts for m in channel.messages):
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    def _views_open(self, args: JSON) -> JSON:
        """Open a modal: the trigger_id must be one the fake handed out (once each), the view
        within Slack's limits (title 24 characters, 100 blocks, private_metadata 3,000)."""
        trigger = str(args.get("trigger_id", ""))
        if trigger not in self._triggers:
            raise SlackError("invalid_trigger_id")
        self._triggers.discard(trigger)
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        title = str((view.get("title") or {}).get("text", ""))
        blocks = view.get("blocks") or []
        if not title or len(title) > 24 or len(blocks) > 100:
            raise SlackError("invalid_arguments")
        if len(str(view.get("private_metadata", ""))) > 3000:
            raise SlackError("invalid_arguments")
        view_id = self._new_id("V")
        self.views[view_id] = {**view, "id": view_id}
        return {"view": self.views[view_id]}

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
        channel = self.channels.get(str(args.get("channel")))
        if channel is None or channel.deleted:
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
        user = self.users[users[0]]
        if user.deleted:  # as Slack answers for a deactivated account
            raise SlackError("user_disabled")
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        return {"channel": self._dm_with(users[0]).to_api()}
