"""The fake Slack workspace: users and channels (`FakeUser`, `FakeChannel`) and setting
them up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .state import JSON, _State


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Berlin"

    def to_api(self, team_id: str) -> JSON:
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.name.title(),
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": {
                "real_name": self.name.title(),
                "display_name": self.name,
                "real_name_normalized": self.name.title(),
                "display_name_normalized": self.name,
                "team": team_id,
            },
        }


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_im: bool = False
    im_user: str | None = None
    archived: bool = False
    deleted: bool = False
    created: int = 1_700_000_000
    messages: list[JSON] = field(default_factory=list)

    def to_api(self) -> JSON:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.im_user,
                "is_user_deleted": False,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.archived,
            "is_general": self.name == "general",
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": self.is_member,
            "created": self.created,
            "creator": "",
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }


class _Workspace(_State):
    """The workspace the app sees: its users and channels (with their messages)."""

    # ---------------------------------------------------------------- workspace setup

    def add_channel(self, name: str, *, private: bool = False, member: bool = True) -> str:
        """Create a channel (the bot is a member unless ``member=False``); returns its id."""
        channel = FakeChannel(self._new_id("C"), name.lstrip("#"))
        channel.is_private = private
        channel.is_member = member
        self.channels[channel.id] = channel
        return channel.id

    def add_user(
        self, name: str, *, admin: bool = False, owner: bool = False, tz: str = "Europe/Berlin"
    ) -> str:
        """Create a workspace member; an owner is an admin too (as in Slack). Returns its id."""
        user = FakeUser(self._new_id("U"), name, is_admin=admin or owner, is_owner=owner, tz=tz)
        self.users[user.id] = user
        return user.id

    def delete_channel(self, channel_id: str) -> None:
        """Delete a channel: every later call naming it answers channel_not_found."""
        self.channels[channel_id].deleted = True

    def archive_channel(self, channel_id: str) -> None:
        """Archive a channel: posts there answer is_archived."""
        self.channels[channel_id].archived = True

    def post_user_message(self, channel_id: str, user_id: str, text: str) -> JSON:
        """A member says something in a channel (stored like Slack stores it)."""
        message: JSON = {"type": "message", "user": user_id, "text": text, "ts": self._new_ts()}
        self.channels[channel_id].messages.append(message)
        return message

    def messages_in(self, channel_id: str) -> list[JSON]:
        """The channel's current messages (after chat.update / chat.delete)."""
        return list(self.channels[channel_id].messages)
