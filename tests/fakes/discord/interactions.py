"""Interactions in the fake Discord: `InteractionResult`, INTERACTION_CREATE payloads, the
callback endpoint (deadline, double acknowledgement, limits), webhook followups/edits."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from aiohttp import web

from .limits import (
    ATTACHMENT_SIZE_LIMIT,
    _ApiError,
    _choice_problems,
    _invalid_form,
    _is_empty_message,
    _modal_problems,
    _required,
    _walk_components,
    message_problems,
)
from .messages import _Messages
from .rest import _files, _payload
from .wire import (
    _SENDABLE_FLAGS,
    BASIC_PERMISSIONS,
    DEFAULT_GUILD,
    DEFAULT_TIMEOUT,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    _copy_json,
    _json_response,
    _Sentinel,
    _snowflake_of,
)

# The callback types that answer each interaction type (command, component, autocomplete, modal).
_CALLBACK_TYPES = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


class InteractionTimeout(TimeoutError):
    """The bot did not answer an interaction (or did not finish a deferral) in time."""


class InteractionRejected(Exception):
    """The fake rejected the bot's answer to an interaction (see `errors`)."""

    def __init__(self, message: str, errors: Sequence[JSON]) -> None:
        super().__init__(message)
        self.errors = list(errors)


class InteractionResult:
    """What happened to one interaction the fake dispatched; updated live as the bot acts.

    `type` is the callback type (4 message, 5 deferred message, 6 deferred update, 7 update,
    8 autocomplete choices, 9 modal) or None if the bot never answered successfully.
    `data` is the message payload that answered the interaction (for a deferral: the payload
    of the edit or followup that completed it), `message` the resulting message as stored now.
    """

    def __init__(self, fake: _Interactions, payload: JSON, name: str, deadline: float) -> None:
        self._fake = fake
        self.interaction: JSON = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.kind: int = payload["type"]
        self.name = name
        self.created = time.monotonic()
        self.deadline = deadline
        self.type: int | None = None
        self.data: JSON = {}
        self.message_id: int | None = None  # the "@original" message
        self.final_message_id: int | None = None
        self.followups: list[JSON] = []
        self.errors: list[JSON] = []
        self.edits = 0
        self.completed = False
        self.expired = False

    def __repr__(self) -> str:
        return (
            f"<InteractionResult {self.name!r} kind={self.kind} type={self.type} "
            f"content={self.content!r} errors={[e.get('code') for e in self.errors]}>"
        )

    @property
    def channel_id(self) -> int:
        return int(self.interaction["channel_id"])

    @property
    def message(self) -> JSON | None:
        """The final message (live: later edits show), or None."""
        for mid in (self.final_message_id, self.message_id):
            if mid is not None and mid in self._fake._messages:
                return self._fake._messages[mid]
        return None

    @property
    def flags(self) -> int:
        message = self.message
        if message is not None:
            return int(message.get("flags") or 0)
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def content(self) -> str | None:
        message = self.message
        if message is not None:
            return str(message.get("content") or "")
        content = self.data.get("content")
        return None if content is None else str(content)

    @property
    def embeds(self) -> list[JSON]:
        message = self.message
        source = message if message is not None else self.data
        return list(source.get("embeds") or [])

    @property
    def components(self) -> list[JSON]:
        message = self.message
        source = message if message is not None else self.data
        return list(source.get("components") or [])

    @property
    def custom_ids(self) -> list[str]:
        """custom_ids of all components of the final message (or modal)."""
        return [c["custom_id"] for c in _walk_components(self.components) if "custom_id" in c]

    @property
    def choices(self) -> list[JSON]:
        return list(self.data.get("choices") or [])

    @property
    def error_codes(self) -> list[int]:
        return [int(e["code"]) for e in self.errors if "code" in e]

    def _finished(self, wait_after_defer: bool) -> bool:
        if self.expired:
            return True
        if self.type is None:
            return False
        if self.type in (5, 6) and wait_after_defer:
            return self.completed
        return True

    async def wait_for_followups(
        self, count: int = 1, *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[JSON]:
        """Wait until the bot sent at least `count` followups; returns them all."""
        return await self._fake.wait_until(
            lambda: list(self.followups) if len(self.followups) >= count else None,
            timeout=timeout,
            what=f"{count} followup(s) to {self.name!r}",
        )

    async def wait_for_edit(self, count: int = 1, *, timeout: float = DEFAULT_TIMEOUT) -> JSON:
        """Wait until the original response was edited `count` times; returns the message."""

        def edited() -> JSON | None:
            return self.message if self.edits >= count and self.message is not None else None

        return await self._fake.wait_until(
            edited, timeout=timeout, what=f"an edit of {self.name!r}"
        )


class _Interactions(_Messages):
    """INTERACTION_CREATE and the bot's answers: callbacks (with the 3 s deadline and a single
    acknowledgement), followups and edits through the interaction webhook."""

    # -------------------------------------------------------------- REST: interactions and webhooks

    async def _interaction_callback(self, request: web.Request) -> web.StreamResponse:
        iid = self._id(request, "interaction_id")
        result = self._interactions.get(iid)
        if result is None or result.token != request.match_info["token"]:
            raise _ApiError(404, 10062, "Unknown interaction")
        try:
            return self._handle_callback(request, result)
        except _ApiError as exc:
            result.errors.append({"status": exc.status, **exc.body()})
            raise

    def _handle_callback(
        self, request: web.Request, result: InteractionResult
    ) -> web.StreamResponse:
        if result.type is not None:
            raise _ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - result.created > result.deadline:
            result.expired = True
            raise _ApiError(404, 10062, "Unknown interaction")
        body = _payload()
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            raise _invalid_form([_required(("type",))])
        ctype: int = body["type"]
        data: JSON = body.get("data") or {}
        allowed = _CALLBACK_TYPES.get(result.kind, set())
        if ctype == 7 and result.kind == 5 and not result.interaction.get("message"):
            allowed = allowed - {6, 7}
        if ctype not in allowed:
            raise _invalid_form(
                [
                    (
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype} is not valid for this interaction",
                    )
                ]
            )
        files: list[str] = _files()
        if ctype in (4, 7):
            problems = message_problems(data, ("data",))
            if problems:
                raise _invalid_form(problems)
            if ctype == 4 and _is_empty_message(data) and not files:
                raise _ApiError(400, 50006, "Cannot send an empty message")
        elif ctype == 8:
            problems = _choice_problems(data.get("choices"), ("data",))
            if problems:
                raise _invalid_form(problems)
        elif ctype == 9:
            problems = _modal_problems(data, ("data",))
            if problems:
                raise _invalid_form(problems)

        message: JSON | None = None
        channel_id = result.channel_id
        message_type = 20 if result.kind == 2 else 0
        if ctype == 4:
            flags = int(data.get("flags") or 0) & _SENDABLE_FLAGS
            message = self._create_message(
                channel_id,
                data,
                author=self.bot_user,
                files=files,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
            result.message_id = int(message["id"])
            result.data = data
        elif ctype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._create_message(
                channel_id,
                {},
                author=self.bot_user,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
            result.message_id = int(message["id"])
            result.data = dict(data)
        elif ctype in (6, 7):
            source = result.interaction.get("message")
            if source is not None:
                result.message_id = int(source["id"])
            stored = (
                self._messages.get(result.message_id) if result.message_id is not None else None
            )
            if ctype == 7:
                if stored is not None:
                    self._edit_message(stored, data, files)
                    message = stored
                result.data = data
        elif ctype in (8, 9):
            result.data = data
        result.type = ctype

        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        info: JSON = {"id": str(result.id), "type": result.kind}
        answer: JSON = {"interaction": info}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = ctype == 5
            info["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
            answer["resource"] = {"type": ctype, "message": message}
        return _json_response(answer)

    def _webhook_interaction(self, request: web.Request) -> InteractionResult:
        result = self._by_token.get(request.match_info["token"])
        if result is None or self._id(request, "app_id") != self.application_id:
            raise _ApiError(404, 10015, "Unknown Webhook")
        if time.monotonic() - result.created > self.followup_lifetime:
            raise _ApiError(401, 50027, "Invalid Webhook Token")
        if result.type is None or result.type in (8, 9):
            raise _ApiError(404, 10015, "Unknown Webhook")
        return result

    def _webhook_message(self, request: web.Request, result: InteractionResult) -> JSON:
        raw = request.match_info["message_id"]
        if raw == "@original":
            mid = result.message_id
        else:
            mid = self._id(request, "message_id")
            if mid != result.message_id and all(int(m["id"]) != mid for m in result.followups):
                mid = None
        message = self._messages.get(mid) if mid is not None else None
        if message is None:
            raise _ApiError(404, 10008, "Unknown Message")
        return message

    async def _webhook_execute(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        payload = _payload() or {}
        files: list[str] = _files()
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message(payload) and not files:
            raise _ApiError(400, 50006, "Cannot send an empty message")
        original = self._messages.get(result.message_id) if result.message_id is not None else None
        if result.type == 5 and original is not None and original["flags"] & FLAG_LOADING:
            # The first followup after a "thinking" deferral replaces the loading message.
            self._edit_message(original, payload, files)
            message = original
        else:
            flags = int(payload.get("flags") or 0) & _SENDABLE_FLAGS
            message_type = 20 if result.kind == 2 else 0
            message = self._create_message(
                result.channel_id,
                payload,
                author=self.bot_user,
                files=files,
                flags=flags,
                interaction=result,
                message_type=message_type,
            )
        result.followups.append(message)
        self._complete(result, payload, message)
        if request.query.get("wait") in ("1", "true", "True"):
            return _json_response(message)
        return web.Response(status=204)

    def _complete(self, result: InteractionResult, payload: JSON, message: JSON) -> None:
        if result.type in (5, 6) and not result.completed:
            result.completed = True
            result.data = payload
            result.final_message_id = int(message["id"])

    async def _webhook_get_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        return _json_response(self._webhook_message(request, result))

    async def _webhook_edit_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        message = self._webhook_message(request, result)
        payload = _payload() or {}
        problems = message_problems(payload)
        if problems:
            raise _invalid_form(problems)
        if _is_empty_message({**message, **payload}) and not _files():
            raise _ApiError(400, 50006, "Cannot send an empty message")
        self._edit_message(message, payload, _files())
        if int(message["id"]) == result.message_id:
            result.edits += 1
            self._complete(result, payload, message)
        return _json_response(message)

    async def _webhook_delete_message(self, request: web.Request) -> web.StreamResponse:
        result = self._webhook_interaction(request)
        self._delete_message(self._webhook_message(request, result))
        return web.Response(status=204)

    # ---------------------------------------------------------------- dispatching interactions

    def _user_of(self, user: JSON | int | None) -> JSON:
        if user is None:
            return self.default_user
        return self._users[_snowflake_of(user)]

    def _interaction_payload(
        self,
        kind: int,
        *,
        user: JSON | int | None,
        channel_id: int | None,
        guild_id: int | _Sentinel | None,
        locale: str,
    ) -> JSON:
        author = self._user_of(user)
        uid = int(author["id"])
        gid = self.guild_id if guild_id is DEFAULT_GUILD else guild_id
        iid = self._snowflake()
        payload: JSON = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if gid is None:
            cid = channel_id if channel_id is not None else self.dm_channel(uid)
            channel = _copy_json(self._channels[cid])
            payload.update(
                user=author,
                channel_id=str(cid),
                channel=channel,
                context=1,
                app_permissions=str(BASIC_PERMISSIONS),
                authorizing_integration_owners={"0": "0"},
            )
            return payload
        guild = self._guild(gid)
        cid = channel_id if channel_id is not None else guild.channel_ids[0]
        if uid not in guild.members:
            raise ValueError(f"user {author['username']!r} is not a member of guild {gid}")
        channel = _copy_json(self._channels[cid])
        permissions = str(self.permissions(uid, guild_id=gid, channel_id=cid))
        channel["permissions"] = permissions
        member = _copy_json(guild.members[uid])  # as `self.member` builds it
        member["permissions"] = permissions
        payload.update(
            guild_id=str(gid),
            guild={"id": str(gid), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member,
            channel_id=str(cid),
            channel=channel,
            context=0,
            app_permissions=str(
                self.permissions(self.application_id, guild_id=gid, channel_id=cid)
            ),
            authorizing_integration_owners={"0": str(gid)},
        )
        return payload

    def _start(self, payload: JSON, name: str) -> InteractionResult:
        result = InteractionResult(self, payload, name, self.interaction_deadline)
        self._interactions[result.id] = result
        self._by_token[result.token] = result
        self.interactions.append(result)
        self.dispatch("INTERACTION_CREATE", payload)
        self._notify()
        return result
