"""Slash commands and button clicks in the fake Slack: their payloads, `InteractionResult`,
acks, and the response_url endpoints that record `ResponsePost`s."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .limits import validate_message
from .state import _DEFAULT_TIMEOUT, JSON
from .web_api import _WebApi
from .workspace import FakeChannel, FakeUser

ACK_DEADLINE_SECONDS = 3.0  # an interaction must be acked within this


RESPONSE_URL_MAX_USES = 5  # a response_url may be used five times


@dataclass
class ResponsePost:
    """One POST to a response_url (recorded even when refused: see `ok` / `error`)."""

    url: str
    payload: JSON
    ok: bool = True
    error: str | None = None

    @property
    def text(self) -> str | None:
        value = self.payload.get("text")
        return value if isinstance(value, str) else None

    @property
    def blocks(self) -> list[JSON]:
        value = self.payload.get("blocks")
        return value if isinstance(value, list) else []

    @property
    def response_type(self) -> str:
        """``ephemeral`` (Slack's default when absent) or ``in_channel``."""
        value = self.payload.get("response_type")
        return value if isinstance(value, str) else "ephemeral"

    @property
    def replace_original(self) -> bool:
        return bool(self.payload.get("replace_original", False))

    @property
    def delete_original(self) -> bool:
        return bool(self.payload.get("delete_original", False))


@dataclass
class InteractionResult:
    """What happened to one slash command or button click sent to the app."""

    kind: str  # "slash_commands" or "block_actions"
    transport: str  # "socket" or "http"
    payload: JSON  # the payload the app received
    response_url: str
    fake: _Interactions = field(repr=False)
    envelope_id: str | None = None  # Socket Mode only
    acked: bool = False
    ack: JSON | None = None  # ack payload (Socket Mode) or parsed 200 body (HTTP)
    ack_error: str | None = None  # Slack would refuse the ack payload with this error
    ack_seconds: float | None = None
    status: int | None = None  # HTTP mode: the status the app answered
    body: str = ""  # HTTP mode: the raw body the app answered

    @property
    def ack_in_time(self) -> bool:
        """Acked within Slack's 3 second deadline."""
        return (
            self.acked and self.ack_seconds is not None and self.ack_seconds <= ACK_DEADLINE_SECONDS
        )

    @property
    def ack_text(self) -> str | None:
        if self.ack is None:
            return None
        value = self.ack.get("text")
        return value if isinstance(value, str) else None

    @property
    def responses(self) -> list[ResponsePost]:
        """Everything POSTed so far to this interaction's response_url."""
        return [r for r in self.fake.responses if r.url == self.response_url]

    async def wait_for_responses(
        self, count: int = 1, timeout: float = _DEFAULT_TIMEOUT
    ) -> list[ResponsePost]:
        """Wait until at least `count` posts reached this interaction's response_url."""

        def ready() -> list[ResponsePost] | None:
            posts = self.responses
            return posts if len(posts) >= count else None

        return await self.fake.wait_until(
            ready, timeout, f"{count} response(s) to {self.response_url}"
        )


SlashResult = InteractionResult


@dataclass
class _ResponseUrl:
    url: str
    channel_id: str | None = None
    message_ts: str | None = None
    uses: int = 0


class _Interactions(_WebApi):
    """Slash commands and button clicks as Slack sends them (payloads, whichever transport),
    the acks, and the response_urls the app answers on."""

    # ---------------------------------------------------------------- response_url

    def response_url(
        self,
        kind: str = "commands",
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A fresh response_url on the fake that records whatever is POSTed to it.

        With `channel_id`, an ``in_channel`` response also lands in that channel's
        `messages_in`; with `message_ts` too, ``replace_original`` / ``delete_original``
        edit / remove that stored message.
        """
        n = next(self._ids)
        url = f"{self.base_url}/{kind}/{self.team_id}/{n}/{secrets.token_hex(12)}"
        self._response_urls[url] = _ResponseUrl(url, channel_id, message_ts)
        return url

    async def wait_for_response(
        self, timeout: float = _DEFAULT_TIMEOUT, *, url: str | None = None
    ) -> ResponsePost:
        """The next response_url post (to `url`, if given) not yet returned by a wait."""

        def find() -> ResponsePost | None:
            for i, post in enumerate(self.responses):
                if i not in self._consumed_responses and (url is None or post.url == url):
                    self._consumed_responses.add(i)
                    return post
            return None

        return await self.wait_until(find, timeout, f"response_url post to {url or 'any url'}")

    # ---------------------------------------------------------------- payload builders

    def _check_ack(self, result: InteractionResult) -> None:
        if result.ack is not None:
            problem = validate_message(result.ack)
            result.ack_error = problem[0] if problem else None

    def _require_user(self, user_id: str) -> FakeUser:
        user = self.users.get(user_id)
        if user is None:
            raise ValueError(f"FakeSlack: unknown user {user_id!r}; use add_user() first")
        return user

    def _require_channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ValueError(f"FakeSlack: unknown channel {channel_id!r}; use add_channel() first")
        return channel

    def _user_payload(self, user: FakeUser) -> JSON:
        """The `user` of an interaction payload."""
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": self.team_id}

    def _trigger_id(self) -> str:
        trigger = f"{self._digits()}.{self._digits()}.{secrets.token_hex(16)}"
        self._triggers.add(trigger)
        return trigger

    def _view_submission_payload(
        self, view_id: str, values: Mapping[str, str], user_id: str
    ) -> JSON:
        """Submitting an open modal: each input block's value by its block_id."""
        user = self._require_user(user_id)
        view = self.views.get(view_id)
        if view is None:
            raise ValueError(f"FakeSlack: no open view {view_id!r}")
        state: JSON = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            value = values.get(block["block_id"], element.get("initial_value"))
            state[block["block_id"]] = {
                element["action_id"]: {"type": element["type"], "value": value}
            }
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user_payload(user),
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger_id(),
            "view": {**json.loads(json.dumps(view)), "state": {"values": state}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _slash_payload(self, command: str, text: str, user_id: str, channel_id: str) -> JSON:
        if not command.startswith("/"):
            raise ValueError(f"FakeSlack: a slash command starts with '/', got {command!r}")
        user = self._require_user(user_id)
        channel = self._require_channel(channel_id)
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel.id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url("commands", channel_id=channel.id),
            "trigger_id": self._trigger_id(),
        }

    def _message_action_payload(
        self, callback_id: str, message: Mapping[str, Any], user_id: str, channel_id: str
    ) -> JSON:
        """A message shortcut's payload: the message as stored (its text in Slack's markup)."""
        user = self._require_user(user_id)
        channel = self._require_channel(channel_id)
        stored = next((m for m in channel.messages if m.get("ts") == message.get("ts")), None)
        if stored is None:
            raise ValueError(f"FakeSlack: no message {message.get('ts')!r} in {channel.id}")
        return {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": f"{time.time():.6f}",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user_payload(user),
            "channel": {"id": channel.id, "name": channel.name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self._trigger_id(),
            "response_url": self.response_url("actions", channel_id=channel.id),
            "message_ts": stored["ts"],
            "message": json.loads(json.dumps(stored)),
        }

    def _block_actions_payload(
        self,
        action_id: str,
        user_id: str,
        channel_id: str,
        value: str | None,
        block_id: str | None,
        message: Mapping[str, Any] | ResponsePost | None,
        ephemeral: bool,
    ) -> JSON:
        user = self._require_user(user_id)
        channel = self._require_channel(channel_id)
        if isinstance(message, ResponsePost):
            message = message.payload
        if message is not None:
            msg, found_block_id, element = self._find_button(message, action_id)
            if block_id is None:
                block_id = found_block_id
            if value is None:
                element_value = element.get("value")
                value = element_value if isinstance(element_value, str) else None
        else:
            block_id = block_id or secrets.token_hex(3)
            element = {
                "type": "button",
                "action_id": action_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
            }
            if value is not None:
                element["value"] = value
            msg = {
                "type": "message",
                "text": "",
                "blocks": [{"type": "actions", "block_id": block_id, "elements": [element]}],
            }
        msg.setdefault("type", "message")
        msg.setdefault("ts", self._new_ts())
        msg.setdefault("user", self.bot_user_id)
        msg.setdefault("bot_id", self.bot_id)
        action: JSON = {
            "action_id": action_id,
            "block_id": block_id,
            "text": element.get("text", {"type": "plain_text", "text": action_id}),
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        payload: JSON = {
            "type": "block_actions",
            "user": self._user_payload(user),
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": msg["ts"],
                "channel_id": channel.id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self._trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel.id, "name": channel.name},
            "state": {"values": {}},
            "response_url": self.response_url(
                "actions", channel_id=channel.id, message_ts=None if ephemeral else msg["ts"]
            ),
            "actions": [action],
        }
        if not ephemeral:  # Slack leaves the message out for ephemeral messages
            payload["message"] = msg
        return payload

    @staticmethod
    def _find_button(message: Mapping[str, Any], action_id: str) -> tuple[JSON, str, JSON]:
        msg: JSON = json.loads(json.dumps(dict(message)))  # a deep copy we may fill in
        for key in ("response_type", "replace_original", "delete_original"):
            msg.pop(key, None)
        blocks = msg.get("blocks")
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            candidates: list[Any] = []
            if isinstance(block.get("elements"), list):
                candidates.extend(block["elements"])
            if isinstance(block.get("accessory"), dict):
                candidates.append(block["accessory"])
            for element in candidates:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    block_id = block.setdefault("block_id", secrets.token_hex(3))
                    return msg, str(block_id), element
        raise ValueError(f"FakeSlack: no element with action_id {action_id!r} in the message")

    # ---------------------------------------------------------------- HTTP handlers

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        url = f"{self.base_url}{request.path}"
        try:
            payload = json.loads(await request.text())
        except ValueError:
            payload = None
        record = ResponsePost(url=url, payload=payload if isinstance(payload, dict) else {})
        self.responses.append(record)
        headers: dict[str, str] = {}
        status, error = self._check_response_post(url, payload, headers)
        record.ok = error is None
        record.error = error
        entry = self._response_urls.get(url)
        if error is None and entry is not None and isinstance(payload, dict):
            self._apply_response(entry, payload)
        self._notify()
        body: JSON = {"ok": True} if error is None else {"ok": False, "error": error}
        return web.json_response(body, status=status, headers=headers)

    def _apply_response(self, entry: _ResponseUrl, payload: JSON) -> None:
        channel = self.channels.get(entry.channel_id or "")
        if channel is None or channel.deleted:
            return
        original = next((m for m in channel.messages if m["ts"] == entry.message_ts), None)
        if payload.get("delete_original"):
            if original is not None:
                channel.messages.remove(original)
        elif payload.get("replace_original") and original is not None:
            original["text"] = payload.get("text") or ""
            for key in ("blocks", "attachments"):  # the whole message is replaced
                if payload.get(key):
                    original[key] = payload[key]
                else:
                    original.pop(key, None)
        elif payload.get("response_type") == "in_channel":
            channel.messages.append(self._message(payload, self._new_ts()))

    def _check_response_post(
        self, url: str, payload: Any, headers: dict[str, str]
    ) -> tuple[int, str | None]:
        entry = self._response_urls.get(url)
        if entry is None:
            return 404, "expired_url"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        fault = self._take_fault("response_url")
        if fault is not None:
            if fault.kind == "ratelimit":
                headers["Retry-After"] = str(fault.retry_after)
                return 429, "ratelimited"
            return 400, fault.error
        entry.uses += 1
        if entry.uses > RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if not (
            payload.get("text")
            or payload.get("blocks")
            or payload.get("attachments")
            or payload.get("delete_original")
        ):
            return 400, "no_text"
        problem = validate_message(payload)
        if problem is not None:
            return 400, problem[0]
        return 200, None
