"""Change announcements, planned: a pure function from (subscriptions, change batches, what
each subscription was served, now) to the `Due` posts the engine claims and sends.

Rules
-----
* A subscription is told about the batches after `max(since_batch, the newest batch it has
  a delivery row for)`: never one from before it was made, never one twice (the engine's
  claim on (subscription, key) makes a second post impossible anyway).
* Of a batch it sees only its conference's changes, and with a room or track filter only
  the changes whose room or track, before or after, contains the filter (case-insensitive).
  A batch with nothing left for it makes no post.
* One message per batch, the changes grouped by kind (moved, cancelled, new, room, title,
  speakers; each sorted by start), split into parts when a message would break a platform
  limit: a field of at most FIELD_BUDGET, at most FIELDS_MAX fields and MESSAGE_BUDGET in
  all, measured with `announce_text.bound` (the length after any renderer's escaping), so
  Discord (field 1,024, embed 6,000) and Slack (section 3,000, 50 blocks) cut nothing. The
  split depends only on the batch and the filter, so each part's key
  (`batch-0000000012-002`) is stable across runs and restarts.
* A post is due when its batch was found (or now, when that is later than the clock says:
  a hand import on another clock) and stays sendable for WINDOW; older news is not posted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from bot.delivery.announce_text import (
    CONTINUED,
    HEADINGS,
    announcement_title,
    bound,
    change_line,
    sort_key,
)
from bot.delivery.engine import Due
from bot.delivery.model import NONCE_MAX_LENGTH
from bot.store.changes import ProgrammeChange, TalkSnapshot
from bot.store.programme_subscriptions import ProgrammeSubscription, batch_key

WINDOW = timedelta(hours=12)
FIELD_BUDGET = 1000
FIELDS_MAX = 25
MESSAGE_BUDGET = 5500
"""Of Discord's 6,000 characters per embed, what the fields may take (title and footer are
the rest)."""

Groups = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class AnnouncementPost:
    """One announcement message: part `part` of `parts` of a batch, for one subscription."""

    subscription_id: int
    frontend: str
    guild_id: str
    channel_id: str
    scheduled_at: datetime
    batch_id: int
    part: int
    parts: int
    title: str
    groups: Groups
    attempted_at: datetime | None = None

    @property
    def key(self) -> str:
        return batch_key(self.batch_id, self.part)

    @property
    def idempotency_key(self) -> str:
        key = f"pc{self.subscription_id}-{self.batch_id}-{self.part}"
        if len(key) <= NONCE_MAX_LENGTH:
            return key
        return "pc" + hashlib.sha256(key.encode()).hexdigest()[: NONCE_MAX_LENGTH - 2]


def dump_post(post: AnnouncementPost) -> str:
    """The post's JSON snapshot in the delivery row."""
    return json.dumps(
        {
            "subscription_id": post.subscription_id,
            "frontend": post.frontend,
            "guild_id": post.guild_id,
            "channel_id": post.channel_id,
            "scheduled_at": post.scheduled_at.isoformat(),
            "batch_id": post.batch_id,
            "part": post.part,
            "parts": post.parts,
            "title": post.title,
            "groups": [[heading, list(lines)] for heading, lines in post.groups],
        },
        ensure_ascii=False,
    )


def load_post(text: str, attempted_at: datetime | None) -> AnnouncementPost:
    data = json.loads(text)
    return AnnouncementPost(
        subscription_id=int(data["subscription_id"]),
        frontend=str(data["frontend"]),
        guild_id=str(data["guild_id"]),
        channel_id=str(data["channel_id"]),
        scheduled_at=datetime.fromisoformat(data["scheduled_at"]),
        batch_id=int(data["batch_id"]),
        part=int(data["part"]),
        parts=int(data["parts"]),
        title=str(data["title"]),
        groups=tuple((str(h), tuple(str(line) for line in lines)) for h, lines in data["groups"]),
        attempted_at=attempted_at,
    )


def floor_of(subscription: ProgrammeSubscription, served: Mapping[int, int]) -> int:
    """The newest batch the subscription needs no post for."""
    return max(subscription.since_batch, served.get(subscription.id, 0))


def matches(subscription: ProgrammeSubscription, change: ProgrammeChange) -> bool:
    """Is the change of the subscription's conference, room or track (either side)?"""
    if subscription.conference is not None and change.conference != subscription.conference:
        return False
    if subscription.filter_kind == "all":
        return True
    wanted = subscription.filter_value.casefold()
    sides: Iterable[TalkSnapshot] = (s for s in (change.old, change.new) if s is not None)
    if subscription.filter_kind == "room":
        return any(wanted in (side.room or "").casefold() for side in sides)
    return any(wanted in (side.track or "").casefold() for side in sides)


def _once_per_move(changes: list[ProgrammeChange]) -> list[ProgrammeChange]:
    """The changes without the room change of a talk that also moved: its "moved" line
    names both rooms."""
    moved = {c.talk_key for c in changes if c.kind == "moved"}
    return [c for c in changes if not (c.kind == "room" and c.talk_key in moved)]


def pack(changes: Sequence[ProgrammeChange]) -> list[Groups]:
    """The changes as messages of grouped lines, each within the budgets (module docstring)."""
    messages: list[list[tuple[str, list[str]]]] = [[]]
    used = 0  # the bound of the current message's fields
    ordered = sorted(changes, key=sort_key)
    for kind, of_kind in groupby(ordered, key=lambda change: change.kind):
        heading = HEADINGS[kind]
        started = False
        for change in of_kind:
            line = change_line(change)
            fields = messages[-1]
            last = fields[-1] if fields else None
            if (
                last is not None
                and started
                and last[0].startswith(heading)
                and bound("\n".join([*last[1], line])) <= FIELD_BUDGET
                and used + bound(line) + 1 <= MESSAGE_BUDGET
            ):
                last[1].append(line)
                used += bound(line) + 1
                continue
            name = heading + CONTINUED if started else heading
            cost = bound(name) + bound(line)
            if len(fields) >= FIELDS_MAX or used + cost > MESSAGE_BUDGET:
                messages.append([])
                used = 0
                fields = messages[-1]
            fields.append((name, [line]))
            used += cost
            started = True
    return [tuple((name, tuple(lines)) for name, lines in fields) for fields in messages if fields]


def plan(
    subscriptions: Sequence[ProgrammeSubscription],
    changes: Sequence[ProgrammeChange],
    served: Mapping[int, int],
    conference_names: Mapping[str, str],
    now: datetime,
) -> list[Due[AnnouncementPost]]:
    """Every post due now, in batch order, then subscription, then part."""
    batches = [
        (batch_id, list(of_batch))
        for batch_id, of_batch in groupby(
            sorted(changes, key=lambda c: c.batch_id), key=lambda c: c.batch_id
        )
    ]
    due: list[Due[AnnouncementPost]] = []
    for batch_id, of_batch in batches:
        detected = min(c.detected_at for c in of_batch)
        start = min(detected, now)
        if now >= start + WINDOW:
            continue
        for subscription in subscriptions:
            if not subscription.enabled or batch_id <= floor_of(subscription, served):
                continue
            wanted = _once_per_move([c for c in of_batch if matches(subscription, c)])
            if not wanted:
                continue
            slugs = sorted({c.conference for c in wanted})
            title = announcement_title([conference_names.get(s, s) for s in slugs])
            messages = pack(wanted)
            for part, groups in enumerate(messages, start=1):
                post = AnnouncementPost(
                    subscription_id=subscription.id,
                    frontend=subscription.frontend,
                    guild_id=subscription.guild_id,
                    channel_id=subscription.channel_id,
                    scheduled_at=detected,
                    batch_id=batch_id,
                    part=part,
                    parts=len(messages),
                    title=title,
                    groups=groups,
                )
                label = f"programme changes #{batch_id} part {part}/{len(messages)}"
                due.append(Due(subscription.id, post.key, post, start, start + WINDOW, label))
    return due
