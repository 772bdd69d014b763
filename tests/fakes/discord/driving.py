"""Driving a bot through the fake Discord as a user: `invoke`, `autocomplete`,
`invoke_message_command`, `click`, `submit_modal` and `post_user_message`."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from .commands import _Commands
from .interactions import InteractionRejected, InteractionResult, InteractionTimeout
from .limits import _SELECT_TYPES, _walk_components
from .wire import (
    _CALLBACK_GRACE,
    DEFAULT_GUILD,
    DEFAULT_TIMEOUT,
    JSON,
    _copy_json,
    _Sentinel,
    _snowflake_of,
)


class _Driving(_Commands):
    """Acting as a user in Discord's client: slash commands, autocomplete, clicks, modals and
    messages, each waiting (bounded) for the bot's answer."""

    # ---------------------------------------------------------------- driving the bot

    async def _await_result(
        self, result: InteractionResult, timeout: float, *, wait_after_defer: bool
    ) -> InteractionResult:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = min(timeout, result.deadline + _CALLBACK_GRACE)
        try:
            await self.wait_until(
                lambda: True if result.type is not None or result.expired else None,
                timeout=first,
                what=f"the response to {result.name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot did not respond to {result.name!r} within {first:g}s "
                f"(Discord: 'The application did not respond'); errors: {result.errors}"
            ) from None
        if result.expired:
            return result
        remaining = max(0.0, timeout - (loop.time() - start))
        try:
            await self.wait_until(
                lambda: True if result._finished(wait_after_defer) else None,
                timeout=remaining,
                what=f"the followup/edit after deferring {result.name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot deferred {result.name!r} (type {result.type}) but sent no edit or "
                f"followup within {timeout:g}s; errors: {result.errors}"
            ) from None
        return result

    async def invoke(
        self,
        command_name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: JSON | int | None = None,
        channel_id: int | None = None,
        guild_id: int | _Sentinel | None = DEFAULT_GUILD,
        subcommand: str | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Run a slash command as `user` (default: `default_user`, a non-admin) and wait for the
        bot's answer; after a deferral (type 5/6) also wait for the edit or followup.

        `options` maps option names to values (users/channels/roles by dict or id, resolved
        like Discord does); `subcommand` is "sub" or "group sub"; ``guild_id=None`` is a DM.
        Raises InteractionTimeout if the bot does not answer in time; a callback that came too
        late returns a result with ``expired`` set and 10062 in ``errors``.
        """
        await self.wait_until_identified(timeout=timeout)
        payload = self._command_payload(
            2,
            command_name,
            options,
            focused=None,
            user=user,
            channel_id=channel_id,
            guild_id=guild_id,
            subcommand=subcommand,
            locale=locale,
        )
        name = f"{command_name} {subcommand}" if subcommand else command_name
        result = self._start(payload, name)
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    async def autocomplete(
        self,
        command_name: str,
        options: Mapping[str, Any],
        focused: str = "query",
        *,
        user: JSON | int | None = None,
        channel_id: int | None = None,
        guild_id: int | _Sentinel | None = DEFAULT_GUILD,
        subcommand: str | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[JSON]:
        """Send an autocomplete interaction (the user typed ``options[focused]``) and return the
        choices the bot answered with. Raises InteractionRejected if the fake rejected them."""
        await self.wait_until_identified(timeout=timeout)
        payload = self._command_payload(
            4,
            command_name,
            options,
            focused=focused,
            user=user,
            channel_id=channel_id,
            guild_id=guild_id,
            subcommand=subcommand,
            locale=locale,
        )
        result = self._start(payload, command_name)
        try:
            await self.wait_until(
                lambda: True if result.type is not None or result.errors else None,
                timeout=min(timeout, result.deadline + _CALLBACK_GRACE),
                what=f"autocomplete choices for {command_name!r}",
            )
        except TimeoutError:
            raise InteractionTimeout(
                f"the bot sent no autocomplete choices for {command_name!r}"
            ) from None
        if result.type is None:
            raise InteractionRejected(
                f"autocomplete answer for {command_name!r} rejected: {result.errors}", result.errors
            )
        return result.choices

    async def invoke_message_command(
        self,
        name: str,
        message: JSON | int,
        *,
        user: JSON | int | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> InteractionResult:
        """Use the message command `name` (type 3: right-click a message, Apps) on `message`
        as `user`, as Discord does: an APPLICATION_COMMAND interaction whose data carries
        ``type: 3``, ``target_id`` and the message in ``resolved.messages`` (with its content:
        the message-content intent does not apply to a message command's target)."""
        await self.wait_until_identified(timeout=timeout)
        target = _copy_json(self._messages[_snowflake_of(message)])
        channel_id = int(target["channel_id"])
        channel = self._channels.get(channel_id, {})
        gid: int | None = int(channel["guild_id"]) if channel.get("guild_id") else None
        payload = self._interaction_payload(
            2, user=user, channel_id=channel_id, guild_id=gid, locale=locale
        )
        registered = self._find_registered(name, gid)
        if registered is not None and registered.get("type") != 3:
            raise LookupError(f"{name!r} is registered, but not as a message command")
        if self.enforce_command_visibility:
            self._check_visible(name, registered, payload, gid)
        data: JSON = {
            "id": registered["id"] if registered else str(self._snowflake()),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        if registered is not None and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        payload["data"] = data
        result = self._start(payload, name)
        return await self._await_result(result, timeout, wait_after_defer=True)

    def _find_component(self, message: JSON, custom_id: str) -> JSON:
        for component in _walk_components(message.get("components")):
            if component.get("custom_id") == custom_id:
                return component
        available = [
            c["custom_id"] for c in _walk_components(message.get("components")) if "custom_id" in c
        ]
        raise LookupError(
            f"message {message['id']} has no component {custom_id!r}; it has {available}"
        )

    async def click(
        self,
        message: JSON | int | InteractionResult,
        custom_id: str,
        *,
        user: JSON | int | None = None,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Click a button (or pick `values` in a select) on a message the bot sent, as `user`."""
        await self.wait_until_identified(timeout=timeout)
        if isinstance(message, InteractionResult):
            target = message.message
            if target is None:
                raise LookupError(f"{message!r} has no message to click on")
        else:
            target = self._messages[_snowflake_of(message)]
        component = self._find_component(target, custom_id)
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        kind = int(component["type"])
        data: JSON = {"custom_id": custom_id, "component_type": kind}
        if kind in _SELECT_TYPES:
            if values is None:
                raise ValueError(f"{custom_id!r} is a select menu: pass values=[...]")
            chosen = [str(v) for v in values]
            low, high = component.get("min_values", 1), component.get("max_values", 1)
            if not low <= len(chosen) <= high:
                raise ValueError(
                    f"select {custom_id!r} takes {low}..{high} values, got {len(chosen)}"
                )
            if kind == 3:
                allowed = [o["value"] for o in component.get("options", [])]
                bad = [v for v in chosen if v not in allowed]
                if bad:
                    raise ValueError(
                        f"select {custom_id!r} has no option(s) {bad}; it has {allowed}"
                    )
            data["values"] = chosen
        elif values is not None:
            raise ValueError(f"{custom_id!r} is not a select menu")
        channel_id = int(target["channel_id"])
        channel = self._channels.get(channel_id, {})
        gid: int | None = int(channel["guild_id"]) if channel.get("guild_id") else None
        payload = self._interaction_payload(
            3, user=user, channel_id=channel_id, guild_id=gid, locale=locale
        )
        payload["data"] = data
        payload["message"] = _copy_json(target)
        result = self._start(payload, custom_id)
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    async def submit_modal(
        self,
        modal: InteractionResult,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: JSON | int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        wait_after_defer: bool = True,
    ) -> InteractionResult:
        """Submit the modal the bot opened (callback type 9), filling text inputs by custom_id."""
        if modal.type != 9:
            raise ValueError(f"{modal!r} did not open a modal")

        def fill(components: list[JSON]) -> list[JSON]:
            out: list[JSON] = []
            for component in components:
                kind = component.get("type")
                if kind == 1:
                    out.append({"type": 1, "components": fill(component.get("components", []))})
                elif kind == 18:
                    out.append({"type": 18, "component": fill([component["component"]])[0]})
                elif "custom_id" in component:
                    cid = component["custom_id"]
                    value = values.get(cid, component.get("value", ""))
                    if kind == 4:
                        out.append({"type": 4, "custom_id": cid, "value": str(value)})
                    else:
                        picked = [value] if isinstance(value, str) else list(value)
                        out.append({"type": kind, "custom_id": cid, "values": picked})
            return out

        source = modal.interaction
        gid = int(source["guild_id"]) if "guild_id" in source else None
        payload = self._interaction_payload(
            5,
            user=user
            if user is not None
            else (source.get("member", {}).get("user") or source.get("user")),
            channel_id=modal.channel_id,
            guild_id=gid,
            locale=str(source.get("locale", "en-US")),
        )
        payload["data"] = {
            "custom_id": modal.data["custom_id"],
            "components": fill(modal.data.get("components", [])),
        }
        if source.get("message"):
            payload["message"] = _copy_json(
                self._messages.get(int(source["message"]["id"]), source["message"])
            )
        result = self._start(payload, str(modal.data["custom_id"]))
        return await self._await_result(result, timeout, wait_after_defer=wait_after_defer)

    def post_user_message(
        self, content: str, *, user: JSON | int | None = None, channel_id: int | None = None
    ) -> JSON:
        """A user posts in a channel: stored and dispatched as MESSAGE_CREATE (content is blanked
        for bots without the message-content intent, unless they are mentioned, as Discord does)."""
        author = self._user_of(user)
        cid = channel_id if channel_id is not None else self.channel_id
        if cid in self._deleted_channels:
            raise KeyError(f"channel {cid} was deleted")
        return self._create_message(cid, {"content": content}, author=author)
