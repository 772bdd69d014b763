"""Application commands in the fake Discord: command sync over REST, and turning a typed
command into interaction data as Discord's client does (lookup, visibility, options)."""

# ruff: noqa: ASYNC109  (explicit `timeout=` parameters are this fake's API: every wait is bounded)
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .interactions import _Interactions
from .limits import _ApiError, _command_problems, _invalid_form
from .rest import _payload
from .wire import (
    ALL_PERMISSIONS,
    BASIC_PERMISSIONS,
    DEFAULT_TIMEOUT,
    JSON,
    _copy_json,
    _json_response,
    _Sentinel,
    _snowflake_of,
)


class _Commands(_Interactions):
    """Application commands: syncing them over REST (validated as Discord does), and what
    Discord's client does with a typed command (lookup, visibility, options, resolved data)."""

    # ---------------------------------------------------------------- inspection

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The registered commands: global ones, or those of `guild_id`."""
        return _copy_json(self._commands.get(guild_id, []))

    def command(self, name: str, *, guild_id: int | None = None) -> JSON | None:
        for cmd in self._commands.get(guild_id, []):
            if cmd["name"] == name:
                return _copy_json(cmd)
        return None

    # ---------------------------------------------------------------- waiting

    async def wait_for_commands(
        self, *, guild_id: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[JSON]:
        """Wait until at least one command is registered globally (or in `guild_id`)."""
        return await self.wait_until(
            lambda: self.commands(guild_id) or None, timeout=timeout, what="commands to be synced"
        )

    # ---------------------------------------------------------------- REST: commands

    def _command_scope(self, request: web.Request) -> int | None:
        if self._id(request, "app_id") != self.application_id:
            raise _ApiError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        gid = self._id(request, "guild_id")
        if gid not in self._guilds:
            raise _ApiError(403, 50001, "Missing Access")
        return gid

    def _store_command(self, scope: int | None, payload: JSON, existing: list[JSON]) -> JSON:
        kind = payload.get("type", 1)
        old = next(
            (c for c in existing if c["name"] == payload.get("name") and c["type"] == kind), None
        )
        cmd: JSON = {
            "id": old["id"] if old else str(self._snowflake()),
            "application_id": str(self.application_id),
            "version": str(self._snowflake()),
            "type": kind,
            "name": payload.get("name"),
            "description": payload.get("description", ""),
            "options": payload.get("options") or [],
            "default_member_permissions": payload.get("default_member_permissions"),
            "dm_permission": payload.get("dm_permission", True),
            "nsfw": payload.get("nsfw", False),
            "contexts": payload.get("contexts"),
            "integration_types": payload.get("integration_types", [0]),
        }
        for key in ("name_localizations", "description_localizations"):
            if key in payload:
                cmd[key] = payload[key]
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _list_commands(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._commands.get(self._command_scope(request), []))

    async def _put_commands(self, request: web.Request) -> web.StreamResponse:
        scope = self._command_scope(request)
        payload = _payload()
        problems = _command_problems(payload)
        if problems:
            raise _invalid_form(problems)
        existing = self._commands.get(scope, [])
        self._commands[scope] = [self._store_command(scope, c, existing) for c in payload]
        return _json_response(self._commands[scope])

    async def _upsert_command(self, request: web.Request) -> web.StreamResponse:
        scope = self._command_scope(request)
        payload = _payload()
        problems = _command_problems([payload])
        if problems:
            raise _invalid_form(problems)
        existing = self._commands.setdefault(scope, [])
        cmd = self._store_command(scope, payload, existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        return _json_response(cmd, 201)

    def _find_command(self, request: web.Request) -> tuple[int | None, JSON]:
        scope = self._command_scope(request)
        cid = str(self._id(request, "command_id"))
        for cmd in self._commands.get(scope, []):
            if cmd["id"] == cid:
                return scope, cmd
        raise _ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self._find_command(request)[1])

    async def _edit_command(self, request: web.Request) -> web.StreamResponse:
        _, cmd = self._find_command(request)
        payload = _payload() or {}
        merged = {**cmd, **payload}
        problems = _command_problems([merged])
        if problems:
            raise _invalid_form(problems)
        cmd.update(payload)
        return _json_response(cmd)

    async def _delete_command(self, request: web.Request) -> web.StreamResponse:
        scope, cmd = self._find_command(request)
        self._commands[scope].remove(cmd)
        return web.Response(status=204)

    # ---------------------------------------------------------------- command interactions

    def _find_registered(self, name: str, guild_id: int | None) -> JSON | None:
        """The stored command (not a copy: the callers only read it), of the guild or global."""
        scopes = (guild_id, None) if guild_id is not None else (None,)
        for scope in scopes:
            for cmd in self._commands.get(scope, []):
                if cmd["name"] == name:
                    return cmd
        return None

    def _check_visible(
        self, name: str, registered: JSON | None, payload: JSON, gid: int | None
    ) -> None:
        """What Discord's client enforces before an interaction exists: the command must be
        registered for this guild (or globally) and visible to the user here."""
        if registered is None:
            if any(self._commands.values()):
                where = f"in guild {gid} or globally" if gid is not None else "globally (DMs)"
                known = sorted({c["name"] for cmds in self._commands.values() for c in cmds})
                raise LookupError(f"/{name} is not registered {where}; registered: {known}")
            return  # nothing synced at all: be lenient, the bot will look it up itself
        contexts = registered.get("contexts")
        context = 0 if gid is not None else 1
        if (contexts is not None and context not in contexts) or (
            gid is None and registered.get("dm_permission") is False
        ):
            raise PermissionError(f"/{name} is not available {'in guilds' if gid else 'in DMs'}")
        required = registered.get("default_member_permissions")
        if gid is not None and required is not None:
            need = int(required)
            have = int(payload["member"]["permissions"])
            if (need == 0 and have != ALL_PERMISSIONS) or have & need != need:
                raise PermissionError(
                    f"/{name} needs default_member_permissions={need}: Discord does not show "
                    f"it to {payload['member']['user']['username']} (pass "
                    "enforce_command_visibility=False to FakeDiscord to reach the bot anyway)"
                )

    def _option_value(
        self, definition: JSON | None, name: str, value: Any, resolved: JSON, gid: int | None
    ) -> tuple[int, Any]:
        kind = definition.get("type") if definition else None
        if kind is None:
            if isinstance(value, bool):
                kind = 5
            elif isinstance(value, int):
                kind = 4
            elif isinstance(value, float):
                kind = 10
            elif isinstance(value, dict) and "username" in value:
                kind = 6
            else:
                kind = 3
        if kind in (6, 9) and (isinstance(value, dict) or _snowflake_of(value) in self._users):
            user = self._users[_snowflake_of(value)]
            resolved.setdefault("users", {})[user["id"]] = user
            if gid is not None and int(user["id"]) in self._guilds[gid].members:
                member = self.member(user, guild_id=gid)
                member.pop("user", None)
                resolved.setdefault("members", {})[user["id"]] = member
            return kind, user["id"]
        if kind == 7:
            cid = _snowflake_of(value)
            channel = _copy_json(self._channels[cid])
            channel["permissions"] = str(
                self.permissions(self.application_id, guild_id=gid, channel_id=cid)
                if gid
                else BASIC_PERMISSIONS
            )
            resolved.setdefault("channels", {})[str(cid)] = channel
            return kind, str(cid)
        if kind in (8, 9):
            rid = _snowflake_of(value)
            for guild in self._guilds.values():
                if rid in guild.roles:
                    resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]
            return kind, str(rid)
        if kind == 11:
            attachment = dict(value) if isinstance(value, dict) else {"filename": str(value)}
            aid = str(self._snowflake())
            attachment.setdefault("size", 0)
            attachment.setdefault(
                "url", f"{self.base_url}/attachments/{aid}/{attachment['filename']}"
            )
            attachment.setdefault("proxy_url", attachment["url"])
            attachment["id"] = aid
            resolved.setdefault("attachments", {})[aid] = attachment
            return kind, aid
        if kind == 4 and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"option {name!r} is an integer option, got {value!r}")
        if kind == 10 and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TypeError(f"option {name!r} is a number option, got {value!r}")
        if kind == 5 and not isinstance(value, bool):
            raise TypeError(f"option {name!r} is a boolean option, got {value!r}")
        if kind == 3:
            value = str(value)
        return kind, value

    def _build_options(
        self,
        command: str,
        definitions: list[JSON] | None,
        values: Mapping[str, Any],
        *,
        focused: str | None,
        resolved: JSON,
        gid: int | None,
    ) -> list[JSON]:
        by_name = {d["name"]: d for d in definitions or []}
        if definitions is not None:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(
                    f"/{command} has no option(s) {sorted(unknown)}; it has {sorted(by_name)}"
                )
            if focused is None:
                missing = [
                    d["name"] for d in definitions if d.get("required") and d["name"] not in values
                ]
                if missing:
                    raise ValueError(f"/{command} requires option(s) {missing}")
        options: list[JSON] = []
        for name, value in values.items():
            definition = by_name.get(name)
            if name == focused:
                kind = definition.get("type", 3) if definition else 3
                options.append({"name": name, "type": kind, "value": str(value), "focused": True})
                continue
            kind, wire_value = self._option_value(definition, name, value, resolved, gid)
            if definition and definition.get("choices"):
                allowed = [c["value"] for c in definition["choices"]]
                if wire_value not in allowed:
                    raise ValueError(
                        f"/{command} option {name!r} only accepts {allowed}, got {wire_value!r}"
                    )
            options.append({"name": name, "type": kind, "value": wire_value})
        if focused is not None and focused not in values:
            raise ValueError(f"the focused option {focused!r} needs a value in `options`")
        if (
            focused is not None
            and definitions is not None
            and not by_name[focused].get("autocomplete")
        ):
            raise ValueError(f"/{command} option {focused!r} has no autocomplete")
        return options

    def _command_payload(
        self,
        kind: int,
        command_name: str,
        options: Mapping[str, Any] | None,
        *,
        focused: str | None,
        user: JSON | int | None,
        channel_id: int | None,
        guild_id: int | _Sentinel | None,
        subcommand: str | None,
        locale: str,
    ) -> JSON:
        payload = self._interaction_payload(
            kind, user=user, channel_id=channel_id, guild_id=guild_id, locale=locale
        )
        gid = int(payload["guild_id"]) if "guild_id" in payload else None
        registered = self._find_registered(command_name, gid)
        if self.enforce_command_visibility:
            self._check_visible(command_name, registered, payload, gid)
        resolved: JSON = {}
        definitions: list[JSON] | None = registered.get("options", []) if registered else None
        path = subcommand.split() if subcommand else []
        chain: list[JSON] = []
        for part in path:
            sub_def = (
                next((d for d in definitions or [] if d["name"] == part), None)
                if definitions is not None
                else None
            )
            if definitions is not None and (sub_def is None or sub_def.get("type") not in (1, 2)):
                raise ValueError(f"/{command_name} has no subcommand (group) {part!r}")
            sub_kind = sub_def["type"] if sub_def else (1 if part == path[-1] else 2)
            chain.append({"name": part, "type": sub_kind})
            definitions = sub_def.get("options", []) if sub_def else None
        leaf = self._build_options(
            command_name, definitions, options or {}, focused=focused, resolved=resolved, gid=gid
        )
        data_options = leaf
        for link in reversed(chain):
            link["options"] = data_options
            data_options = [link]
        data: JSON = {
            "id": registered["id"] if registered else str(self._snowflake()),
            "name": command_name,
            "type": 1,
            "options": data_options,
        }
        if registered is not None and registered.get("guild_id"):
            data["guild_id"] = registered["guild_id"]
        if resolved:
            data["resolved"] = resolved
        payload["data"] = data
        return payload
