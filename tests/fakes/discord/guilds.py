"""The fake Discord's guild model: users, guilds, roles, members, channels, DMs and the
permission computation, and the REST reads of users, the application and guilds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web

from .gateway import _Gateway
from .limits import _ApiError, _invalid_form, _required
from .rest import _payload, _Rest
from .wire import (
    ADMIN_ROLE_PERMISSIONS,
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    BASIC_PERMISSIONS,
    BOT_ROLE_PERMISSIONS,
    INTENT_GUILD_MEMBERS,
    JSON,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    _copy_json,
    _json_response,
    _now_iso,
    _snowflake_of,
)


@dataclass
class _Guild:
    id: int
    name: str
    owner_id: int
    joined_at: str
    roles: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    admin_role_id: int = 0
    bot_role_id: int = 0


class _Guilds(_Gateway, _Rest):
    """Users, guilds, roles, members, channels and permissions, and their REST reads."""

    # ---------------------------------------------------------------- ids, users, guilds

    def _new_user(self, name: str, *, bot: bool = False, user_id: int | None = None) -> JSON:
        uid = user_id if user_id is not None else self._snowflake()
        user: JSON = {
            "id": str(uid),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name.title(),
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
        }
        self._users[uid] = user
        return user

    def _guild(self, guild_id: int | None) -> _Guild:
        gid = self.guild_id if guild_id is None else guild_id
        try:
            return self._guilds[gid]
        except KeyError:
            raise KeyError(f"unknown guild {gid}") from None

    def _member_record(self, guild: _Guild, user: JSON, roles: Sequence[int]) -> JSON:
        member: JSON = {
            "user": user,
            "roles": [str(r) for r in roles],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        guild.members[int(user["id"])] = member
        return member

    def add_guild(self, name: str, *, owner: JSON | None = None) -> int:
        """A guild with roles (@everyone, Admin, the bot's), a #general channel and the bot."""
        gid = self._snowflake()
        owner_user = owner if owner is not None else self.owner
        guild = _Guild(id=gid, name=name, owner_id=int(owner_user["id"]), joined_at=_now_iso())
        self._guilds[gid] = guild
        guild.roles[gid] = self._role(gid, "@everyone", BASIC_PERMISSIONS, position=0)
        guild.admin_role_id = self._snowflake()
        guild.roles[guild.admin_role_id] = self._role(
            guild.admin_role_id, "Admin", ADMIN_ROLE_PERMISSIONS, position=2, hoist=True
        )
        guild.bot_role_id = self._snowflake()
        bot_role = self._role(
            guild.bot_role_id, self.bot_user["username"], BOT_ROLE_PERMISSIONS, position=1
        )
        bot_role["managed"] = True
        bot_role["tags"] = {"bot_id": str(self.application_id)}
        guild.roles[guild.bot_role_id] = bot_role
        self._member_record(guild, self.bot_user, [guild.bot_role_id])
        self._member_record(guild, owner_user, [guild.admin_role_id])
        self.add_channel("general", guild_id=gid)
        if self._session is not None and self._session.ready:
            self.dispatch("GUILD_CREATE", self._guild_payload(guild))
        return gid

    def _role(
        self, rid: int, name: str, permissions: int, *, position: int, hoist: bool = False
    ) -> JSON:
        return {
            "id": str(rid),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "color": 0,
            "hoist": hoist,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }

    def add_channel(
        self, name: str, *, guild_id: int | None = None, topic: str | None = None
    ) -> int:
        """A text channel; dispatches CHANNEL_CREATE when the bot is connected."""
        guild = self._guild(guild_id)
        cid = self._snowflake()
        channel: JSON = {
            "id": str(cid),
            "type": 0,
            "guild_id": str(guild.id),
            "name": name,
            "position": len(guild.channel_ids),
            "permission_overwrites": [],
            "parent_id": None,
            "nsfw": False,
            "topic": topic,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        self._channels[cid] = channel
        self._channel_log[cid] = []
        guild.channel_ids.append(cid)
        if self._session is not None and self._session.ready:
            self.dispatch("CHANNEL_CREATE", _copy_json(channel))
        self._notify()
        return cid

    def add_member(
        self, name: str, *, admin: bool = False, guild_id: int | None = None, bot: bool = False
    ) -> JSON:
        """A new user who is a member of the guild; returns the user dict.

        An admin has the Admin role (ADMINISTRATOR, Manage Guild, ...) so `member.permissions`
        in interactions is everything; a non-admin has only @everyone's basic permissions.
        """
        guild = self._guild(guild_id)
        user = self._new_user(name, bot=bot)
        self._member_record(guild, user, [guild.admin_role_id] if admin else [])
        s = self._session
        if s is not None and s.ready and s.intents & INTENT_GUILD_MEMBERS:
            payload = _copy_json(guild.members[int(user["id"])])
            payload["guild_id"] = str(guild.id)
            self.dispatch("GUILD_MEMBER_ADD", payload)
        self._notify()
        return user

    def add_user(self, name: str) -> JSON:
        """A user who shares no guild with the bot (for DMs)."""
        return self._new_user(name)

    def user(self, user_id: int) -> JSON:
        return self._users[user_id]

    def channel(self, channel_id: int) -> JSON:
        """The channel payload (KeyError for unknown or deleted channels)."""
        if channel_id in self._deleted_channels:
            raise KeyError(f"channel {channel_id} was deleted")
        return self._channels[channel_id]

    def member(
        self, user: JSON | int, *, guild_id: int | None = None, channel_id: int | None = None
    ) -> JSON:
        """The member payload as in interactions (with computed `permissions`)."""
        guild = self._guild(guild_id)
        uid = _snowflake_of(user)
        payload = _copy_json(guild.members[uid])
        payload["permissions"] = str(
            self.permissions(uid, guild_id=guild.id, channel_id=channel_id)
        )
        return payload

    def permissions(
        self, user: JSON | int, *, guild_id: int | None = None, channel_id: int | None = None
    ) -> int:
        """Discord's permission computation: owner, roles, ADMINISTRATOR, then overwrites."""
        guild = self._guild(guild_id)
        uid = _snowflake_of(user)
        if uid == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(uid)
        if member is None:
            return 0
        role_ids = [guild.id, *(int(r) for r in member["roles"])]
        base = 0
        for rid in role_ids:
            role = guild.roles.get(rid)
            if role is not None:
                base |= int(role["permissions"])
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel_id is None or channel_id not in self._channels:
            return base
        overwrites = {
            int(o["id"]): o for o in self._channels[channel_id].get("permission_overwrites", [])
        }
        perms = base
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in role_ids[1:]:
            ow = overwrites.get(rid)
            if ow is not None:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        own = overwrites.get(uid)
        if own is not None:
            perms = (perms & ~int(own["deny"])) | int(own["allow"])
        return perms

    def delete_channel(self, channel_id: int) -> None:
        """Delete a channel: later posts get 404/10003; dispatches CHANNEL_DELETE."""
        channel = self._channels[channel_id]
        self._deleted_channels.add(channel_id)
        guild_id = channel.get("guild_id")
        if guild_id is not None:
            guild = self._guilds[int(guild_id)]
            if channel_id in guild.channel_ids:
                guild.channel_ids.remove(channel_id)
            if self._session is not None and self._session.ready:
                self.dispatch("CHANNEL_DELETE", _copy_json(channel))
        self._notify()

    def deny_channel(self, channel_id: int, *, view: bool = False) -> None:
        """Overwrite the bot's permissions in a channel: no SEND_MESSAGES (403/50013), and with
        ``view=True`` no VIEW_CHANNEL either (403/50001). Dispatches CHANNEL_UPDATE."""
        deny = SEND_MESSAGES | (VIEW_CHANNEL if view else 0)
        self._set_bot_overwrite(channel_id, deny)

    def allow_channel(self, channel_id: int) -> None:
        """Undo `deny_channel`."""
        self._set_bot_overwrite(channel_id, 0)

    def _set_bot_overwrite(self, channel_id: int, deny: int) -> None:
        channel = self.channel(channel_id)
        overwrites = [
            o for o in channel["permission_overwrites"] if int(o["id"]) != self.application_id
        ]
        if deny:
            overwrites.append(
                {"id": str(self.application_id), "type": 1, "allow": "0", "deny": str(deny)}
            )
        channel["permission_overwrites"] = overwrites
        if self._session is not None and self._session.ready:
            self.dispatch("CHANNEL_UPDATE", _copy_json(channel))
        self._notify()

    def dm_channel(self, user: JSON | int) -> int:
        """The id of the DM channel between the bot and `user` (created on first use)."""
        uid = _snowflake_of(user)
        if uid in self._dm_channels:
            return self._dm_channels[uid]
        cid = self._snowflake()
        self._channels[cid] = {
            "id": str(cid),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self._users[uid]],
        }
        self._channel_log[cid] = []
        self._dm_channels[uid] = cid
        return cid

    def close_dms(self, user: JSON | int, closed: bool = True) -> None:
        """The user turns off direct messages from the bot: a DM send gets 403/50007."""
        uid = _snowflake_of(user)
        (self._dms_closed.add if closed else self._dms_closed.discard)(uid)

    # ------------------------------------------------------------ REST: users, applications, guilds

    async def _get_me(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.StreamResponse:
        user = self._users.get(self._id(request, "user_id"))
        if user is None:
            raise _ApiError(404, 10013, "Unknown User")
        return _json_response(user)

    async def _create_dm(self, request: web.Request) -> web.StreamResponse:
        payload = _payload() or {}
        try:
            uid = int(payload["recipient_id"])
        except (KeyError, TypeError, ValueError):
            raise _invalid_form([_required(("recipient_id",))]) from None
        if uid not in self._users:
            raise _ApiError(404, 10013, "Unknown User")
        return _json_response(self._channels[self.dm_channel(uid)])

    async def _get_application(self, request: web.Request) -> web.StreamResponse:
        return _json_response(self.application)

    async def _get_app_emojis(self, request: web.Request) -> web.StreamResponse:
        return _json_response({"items": []})

    async def _get_guild(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        payload = self._guild_payload(guild)
        for key in (
            "channels",
            "members",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
        ):
            payload.pop(key, None)
        return _json_response(payload)

    async def _get_guild_channels(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        return _json_response([self._channels[cid] for cid in guild.channel_ids])

    async def _get_guild_roles(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        return _json_response(list(guild.roles.values()))

    async def _get_guild_member(self, request: web.Request) -> web.StreamResponse:
        guild = self._require_guild(self._id(request, "guild_id"))
        member = guild.members.get(self._id(request, "user_id"))
        if member is None:
            raise _ApiError(404, 10007, "Unknown Member")
        return _json_response(member)

    def _require_guild(self, guild_id: int) -> _Guild:
        guild = self._guilds.get(guild_id)
        if guild is None:
            raise _ApiError(404, 10004, "Unknown Guild")
        return guild
