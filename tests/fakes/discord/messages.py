"""Channel messages in the fake Discord: REST create/read/edit/delete, nonces, mentions,
attachments, and MESSAGE_CREATE/UPDATE/DELETE dispatches filtered by intents."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord
from aiohttp import web

from .guilds import _Guilds
from .limits import _ApiError, _invalid_form, _is_empty_message, message_problems
from .rest import _files, _payload
from .wire import (
    DEFAULT_TIMEOUT,
    FLAG_COMPONENTS_V2,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MESSAGES,
    INTENT_MESSAGE_CONTENT,
    JSON,
    MANAGE_MESSAGES,
    NONCE_WINDOW,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    _copy_json,
    _json_response,
    _now_iso,
)

if TYPE_CHECKING:
    from .interactions import InteractionResult


_MENTION_RE = re.compile(r"<@!?(\d+)>")


class _Messages(_Guilds):
    """Channel messages: storing, editing and deleting them, their MESSAGE_* dispatches (as the
    bot's intents allow), and the channel and message REST routes."""

    # ---------------------------------------------------------------- inspection

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """Messages in a channel, oldest first (live dicts; ephemeral ones excluded)."""
        return [m for m in self._channel_log.get(channel_id, []) if int(m["id"]) in self._messages]

    def message(self, message_id: int) -> JSON:
        """Any stored message (including ephemeral ones), live."""
        return self._messages[message_id]

    # ---------------------------------------------------------------- waiting

    async def wait_for_message(
        self,
        channel_id: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        predicate: Callable[[JSON], bool] | None = None,
        from_bot: bool = True,
    ) -> JSON:
        """The oldest message in the channel (by the bot, unless ``from_bot=False``) matching
        `predicate` that no earlier `wait_for_message` call returned; waits for one."""
        seen = self._message_cursor.setdefault(channel_id, set())

        def find() -> JSON | None:
            for message in self.channel_messages(channel_id):
                mid = int(message["id"])
                if mid in seen:
                    continue
                if from_bot and int(message["author"]["id"]) != self.application_id:
                    continue
                if predicate is not None and not predicate(message):
                    continue
                seen.add(mid)
                return message
            return None

        return await self.wait_until(
            find, timeout=timeout, what=f"a message in channel {channel_id}"
        )

    # ---------------------------------------------------------------- REST: channels and messages

    async def _typing(self, request: web.Request) -> web.StreamResponse:
        self._require_channel(self._id(request, "channel_id"), need=SEND_MESSAGES)
        return web.Response(status=204)

    def _require_channel(self, channel_id: int, *, need: int = VIEW_CHANNEL) -> JSON:
        if channel_id in self._deleted_channels or channel_id not in self._channels:
            raise _ApiError(404, 10003, "Unknown Channel")
        channel = self._channels[channel_id]
        guild_id = channel.get("guild_id")
        if guild_id is not None:
            perms = self.permissions(
                self.application_id, guild_id=int(guild_id), channel_id=channel_id
            )
            if not perms & VIEW_CHANNEL:
                raise _ApiError(403, 50001, "Missing Access")
            if perms & need != need:
                raise _ApiError(403, 50013, "Missing Permissions")
        return channel

    def _mentions(self, content: Any) -> list[JSON]:
        if not isinstance(content, str):
            return []
        seen: list[JSON] = []
        for match in _MENTION_RE.finditer(content):
            user = self._users.get(int(match.group(1)))
            if user is not None and user not in seen:
                seen.append(user)
        return seen

    def _attachment(self, channel_id: int | str, message_id: int | str, filename: str) -> JSON:
        url = f"{self.base_url}/attachments/{channel_id}/{message_id}/{filename}"
        return {
            "id": str(self._snowflake()),
            "filename": filename,
            "size": 0,
            "url": url,
            "proxy_url": url,
        }

    def _create_message(
        self,
        channel_id: int,
        payload: Mapping[str, Any],
        *,
        author: JSON,
        files: Sequence[str] = (),
        flags: int = 0,
        interaction: InteractionResult | None = None,
        message_type: int = 0,
    ) -> JSON:
        mid = self._snowflake()
        attachments = [self._attachment(channel_id, mid, name) for name in files]
        message: JSON = {
            "id": str(mid),
            "type": message_type,
            "channel_id": str(channel_id),
            "author": author,
            "content": payload.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": False,
            "mentions": self._mentions(payload.get("content")),
            "mention_roles": [],
            "attachments": attachments,
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "components": _copy_json(payload.get("components") or []),
            "pinned": False,
            "flags": flags,
        }
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if payload.get("poll") is not None:
            message["poll"] = payload["poll"]
        if payload.get("message_reference") is not None:
            message["message_reference"] = payload["message_reference"]
        if interaction is not None:
            message["webhook_id"] = str(self.application_id)
            message["application_id"] = str(self.application_id)
            user = interaction.interaction.get("member", {}).get(
                "user"
            ) or interaction.interaction.get("user")
            metadata: JSON = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "user": user,
                "authorizing_integration_owners": interaction.interaction.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.kind == 2:
                metadata["name"] = interaction.name
                metadata["command_type"] = 1
            if interaction.kind == 3 and interaction.interaction.get("message"):
                metadata["interacted_message_id"] = interaction.interaction["message"]["id"]
            message["interaction_metadata"] = metadata
            message["interaction"] = {
                "id": str(interaction.id),
                "type": interaction.kind,
                "name": interaction.name,
                "user": user,
            }
        self._messages[mid] = message
        if not flags & FLAG_EPHEMERAL:
            self._channel_log.setdefault(channel_id, []).append(message)
            channel = self._channels.get(channel_id)
            if channel is not None:
                channel["last_message_id"] = str(mid)
            self._dispatch_message("MESSAGE_CREATE", message)
        self._notify()
        return message

    def _edit_message(
        self, message: JSON, payload: Mapping[str, Any], files: Sequence[str] = ()
    ) -> None:
        was_loading = bool(message["flags"] & FLAG_LOADING)
        for key in ("content", "components", "poll"):
            if key in payload:
                message[key] = (
                    _copy_json(payload[key])
                    if payload[key] is not None
                    else ("" if key == "content" else [])
                )
        if "content" in payload:
            message["mentions"] = self._mentions(message["content"])
        if "embeds" in payload:
            message["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
        if "attachments" in payload or files:
            kept_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in message["attachments"] if str(a["id"]) in kept_ids]
            for name in files:
                kept.append(self._attachment(message["channel_id"], message["id"], name))
            message["attachments"] = kept
        flags = int(message["flags"])
        if "flags" in payload and payload["flags"] is not None:
            flags = (flags & ~FLAG_SUPPRESS_EMBEDS) | (
                int(payload["flags"]) & (FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2)
            )
        message["flags"] = flags & ~FLAG_LOADING
        if not was_loading:
            message["edited_timestamp"] = _now_iso()
        if not message["flags"] & FLAG_EPHEMERAL:
            self._dispatch_message("MESSAGE_UPDATE", message)
        self._notify()

    def _delete_message(self, message: JSON) -> None:
        mid = int(message["id"])
        self._messages.pop(mid, None)
        channel_id = int(message["channel_id"])
        log_ = self._channel_log.get(channel_id, [])
        if message in log_:
            log_.remove(message)
        if not message["flags"] & FLAG_EPHEMERAL:
            payload: JSON = {"id": str(mid), "channel_id": str(channel_id)}
            guild_id = self._channels.get(channel_id, {}).get("guild_id")
            if guild_id is not None:
                payload["guild_id"] = guild_id
            self._dispatch_intent("MESSAGE_DELETE", payload, channel_id)
        self._notify()

    def _wants(self, channel_id: int) -> bool:
        """The bot's session has the intent for message events of this channel."""
        s = self._session
        if s is None:
            return False
        channel = self._channels.get(channel_id, {})
        need = INTENT_DIRECT_MESSAGES if channel.get("type") == 1 else INTENT_GUILD_MESSAGES
        return bool(s.intents & need)

    def _dispatch_intent(self, event: str, payload: JSON, channel_id: int) -> None:
        if self._wants(channel_id):
            self.dispatch(event, payload)

    def _dispatch_message(self, event: str, message: JSON) -> None:
        s = self._session
        channel_id = int(message["channel_id"])
        if s is None or not self._wants(channel_id):
            return
        channel = self._channels.get(channel_id, {})
        # A shallow copy is enough: only top-level keys change, and `dispatch` serializes the
        # payload at once.
        payload = dict(message)
        guild_id = channel.get("guild_id")
        author_id = int(message["author"]["id"])
        if guild_id is not None:
            payload["guild_id"] = guild_id
            member = self._guilds[int(guild_id)].members.get(author_id)
            if member is not None and "webhook_id" not in message:
                payload["member"] = {k: v for k, v in member.items() if k != "user"}
        mentioned = any(int(u["id"]) == self.application_id for u in message.get("mentions", []))
        if (
            not s.intents & INTENT_MESSAGE_CONTENT
            and channel.get("type") != 1
            and author_id != self.application_id
            and not mentioned
        ):
            payload.update(content="", embeds=[], attachments=[], components=[])
        self.dispatch(event, payload)

    async def _get_channel(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._require_channel(self._id(request, "channel_id")))

    async def _list_messages(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(
            cid, need=VIEW_CHANNEL | discord.Permissions(read_message_history=True).value
        )
        messages = list(reversed(self.channel_messages(cid)))  # newest first
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            messages = [m for m in messages if int(m["id"]) < int(before)]
        if after:
            messages = [m for m in messages if int(m["id"]) > int(after)]
        limit = max(1, min(100, int(request.query.get("limit", "50"))))
        if after and not before:  # the `limit` messages right after it, newest first
            return _json_response(messages[-limit:])
        return _json_response(messages[:limit])

    async def _create_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        channel = self._require_channel(cid, need=VIEW_CHANNEL | SEND_MESSAGES)
        if channel["type"] == 1 and any(
            int(user["id"]) in self._dms_closed for user in channel.get("recipients", [])
        ):  # as Discord answers a DM to someone who closed theirs
            raise _ApiError(403, 50007, "Cannot send messages to this user")
        payload = _payload() or {}
        files: list[str] = _files()
        if not isinstance(payload, dict):
            raise _invalid_form([((), "MODEL_TYPE_CONVERT", "Only dictionaries may be used.")])
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message(payload) and not files:
            raise _ApiError(400, 50006, "Cannot send an empty message")
        nonce = payload.get("nonce")
        now = time.monotonic()
        if nonce is not None and payload.get("enforce_nonce"):
            key = (self.application_id, str(nonce))
            hit = self._nonces.get(key)
            if hit is not None and now - hit[0] <= NONCE_WINDOW and hit[1] in self._messages:
                return _json_response(self._messages[hit[1]])
        flags = int(payload.get("flags") or 0) & (
            FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
        )
        message = self._create_message(cid, payload, author=self.bot_user, files=files, flags=flags)
        if nonce is not None and payload.get("enforce_nonce"):
            self._nonces[(self.application_id, str(nonce))] = (now, int(message["id"]))
        return _json_response(message)

    def _require_message(self, channel_id: int, message_id: int) -> JSON:
        message = self._messages.get(message_id)
        if (
            message is None
            or int(message["channel_id"]) != channel_id
            or message["flags"] & FLAG_EPHEMERAL
        ):
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    async def _get_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(cid)
        return _json_response(self._require_message(cid, self._id(request, "message_id")))

    async def _edit_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        self._require_channel(cid)
        message = self._require_message(cid, self._id(request, "message_id"))
        if int(message["author"]["id"]) != self.application_id:
            raise _ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload = _payload() or {}
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message({**message, **payload}) and not _files():
            raise _ApiError(400, 50006, "Cannot send an empty message")
        self._edit_message(message, payload, _files())
        return _json_response(message)

    async def _delete_channel_message(self, request: web.Request) -> web.StreamResponse:
        cid = self._id(request, "channel_id")
        message = self._require_message(cid, self._id(request, "message_id"))
        if int(message["author"]["id"]) != self.application_id:
            self._require_channel(cid, need=VIEW_CHANNEL | MANAGE_MESSAGES)
        else:
            self._require_channel(cid)
        self._delete_message(message)
        return web.Response(status=204)
