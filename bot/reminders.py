"""Talk reminders: the pure rules and values, with no I/O (the service is
`bot/delivery/reminder_service.py`, the store side `bot/store/reminder_log.py`).

A channel subscribes to "N minutes before each talk" of one conference or all of them, for
every talk or only the talks whose room or track contains a text (case-insensitive).

Rules
-----
* A reminder is identified by (subscription, talk key); the talk key is the talk's guid, or
  "conference/slug" when it has none, so it survives re-imports (talk ids do not). The log's
  primary key on that pair means at most one reminder per talk per channel, ever.
* It is due at `start - N minutes` and goes out while the talk has not started, also late
  after an outage; once the talk has started it is recorded as skipped, never sent late.
* A talk moved before its reminder went out is reminded at its new time; a talk cancelled
  before that gets none; a talk moved after its reminder went out gets no second one.
* Errors reuse the daily-wisdom machinery: `PermanentSendError` / `TransientSendError`,
  its backoff, and disabling a subscription after `DISABLE_AFTER` permanent failures in a row.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.delivery.model import NONCE_MAX_LENGTH, OutcomeKind

MOVED_AGAIN = timedelta(minutes=5)
"""A talk whose start moves more than this after its reminder went out is reminded again."""

MIN_MINUTES = 1
MAX_MINUTES = 1440
FILTER_KINDS = ("all", "room", "track")

FilterKind = Literal["all", "room", "track"]
Step = Literal["wait", "send", "skip"]


class ReminderInputError(ValueError):
    """Bad input to an admin command; `str(error)` is a message fit to show the admin."""


def parse_minutes(value: str | int) -> int:
    """Minutes before a talk: a whole number from 1 to 1440 (a day)."""
    try:
        minutes = int(str(value).strip())
    except ValueError:
        raise ReminderInputError(
            f"'{value}' is not a number of minutes; give a whole number like 10."
        ) from None
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ReminderInputError(
            f"{minutes} minutes is out of range; give {MIN_MINUTES} to {MAX_MINUTES} "
            "minutes (a day) before each talk."
        )
    return minutes


def parse_filter(kind: str, value: str) -> tuple[FilterKind, str]:
    """("all", "") or ("room" | "track", the text to look for in the room or track name)."""
    kind, value = kind.strip().lower(), value.strip()
    if kind == "all":
        return "all", ""
    if kind not in ("room", "track"):
        raise ReminderInputError(
            f"Remind about all talks, or filter by room or track, not '{kind}'."
        )
    if not value:
        raise ReminderInputError(f"Name the {kind} to remind about (part of its name is enough).")
    return ("room" if kind == "room" else "track"), value


def talk_key(guid: str | None, conference_slug: str, talk_slug: str) -> str:
    """A talk's identity across re-imports: its guid, else 'conference/slug'."""
    return guid or f"{conference_slug}/{talk_slug}"


@dataclass(frozen=True)
class ReminderTalk:
    """A timed talk as reminders see it. `starts` is timezone-aware; `zone` is the
    conference's time zone (UTC when the conference names none)."""

    key: str
    ref: str
    conference: str
    title: str
    speakers: tuple[str, ...]
    room: str | None
    track: str | None
    starts: datetime
    zone: str


@dataclass(frozen=True)
class ReminderSubscription:
    """A channel that gets reminders. `conference` None means every conference; `since` is
    when it was (last) subscribed: talks starting before then are not its business."""

    id: int
    frontend: str
    guild_id: str
    channel_id: str
    conference: str | None
    minutes_before: int
    filter_kind: FilterKind
    filter_value: str
    created_by: str
    since: datetime
    enabled: bool = True
    failures: int = 0
    last_error: str | None = None
    disabled_reason: str | None = None

    def matches(self, talk: ReminderTalk) -> bool:
        return talk_matches(talk, self.conference, self.filter_kind, self.filter_value)

    def due(self, talk: ReminderTalk) -> datetime:
        return talk.starts - timedelta(minutes=self.minutes_before)

    def describe(self) -> str:
        """'10 minutes before each talk in a room matching "curie" (camp2019)'."""
        unit = "minute" if self.minutes_before == 1 else "minutes"
        which = "" if self.filter_kind == "all" else f' in a {self.filter_kind} matching "'
        which += f'{self.filter_value}"' if which else ""
        where = f" ({self.conference})" if self.conference else " (all conferences)"
        return f"{self.minutes_before} {unit} before each talk{which}{where}"


def talk_matches(talk: ReminderTalk, conference: str | None, kind: FilterKind, value: str) -> bool:
    """Is `talk` in `conference` (None: any) and, for a room or track filter, does its room
    or track name contain `value` (case-insensitive)?"""
    if conference is not None and talk.conference != conference:
        return False
    if kind == "all":
        return True
    name = talk.room if kind == "room" else talk.track
    return value.casefold() in (name or "").casefold()


def decide(now: datetime, due: datetime, starts: datetime) -> Step:
    """Wait until the reminder is due, send it until the talk starts, then skip it."""
    if now < due:
        return "wait"
    return "send" if now < starts else "skip"


def upcoming(
    sub: ReminderSubscription, talks: list[ReminderTalk], done: set[str], now: datetime
) -> list[tuple[datetime, ReminderTalk]]:
    """The reminders `sub` still has to send (not in `done`), by due moment."""
    items = [
        (sub.due(talk), talk)
        for talk in talks
        if talk.starts > max(now, sub.since) and talk.key not in done and sub.matches(talk)
    ]
    return sorted(items, key=lambda item: (item[0], item[1].key))


def check_subscription(
    talks: Sequence[ReminderTalk],
    conference: str | None,
    kind: str,
    value: str,
    minutes: str | int,
) -> tuple[str | None, int, FilterKind, str]:
    """Validate subscribe input against the timed talks: (conference slug, minutes, filter
    kind, filter value), or a ReminderInputError naming every problem."""
    problems: list[str] = []
    minutes_before, filter_value = 0, ""
    filter_kind: FilterKind = "all"
    try:
        minutes_before = parse_minutes(minutes)
    except ReminderInputError as error:
        problems.append(str(error))
    try:
        filter_kind, filter_value = parse_filter(kind, value)
    except ReminderInputError as error:
        problems.append(str(error))
    known = sorted({talk.conference for talk in talks})
    slug = conference.strip().lower() if conference and conference.strip() else None
    if slug is not None and slug not in known:
        problems.append(
            f"I know no conference '{conference}' with a schedule. "
            f"Pick one of: {', '.join(known) or 'none loaded yet'}."
        )
    elif filter_kind != "all" and not any(
        talk_matches(talk, slug, filter_kind, filter_value) for talk in talks
    ):
        mine = [talk for talk in talks if slug in (None, talk.conference)]
        names = {talk.room if filter_kind == "room" else talk.track for talk in mine}
        problems.append(
            f"No talk is in a {filter_kind} matching '{filter_value}'. "
            f"The {filter_kind}s are: {', '.join(sorted(n for n in names if n)) or 'none'}."
        )
    if problems:
        raise ReminderInputError("\n".join(problems))
    return slug, minutes_before, filter_kind, filter_value


@dataclass(frozen=True)
class ReminderPost:
    """One reminder for one channel and talk, ready to render and send. Its attributes
    parallel `WisdomPost` where they overlap; `starts_at` is local to `zone`.

    Three kinds share it: the reminder itself; a reminder again after the talk moved more
    than `MOVED_AGAIN` from the start the channel was told (`moved_from`: that start); and
    the notice that a talk the channel was reminded of is cancelled (`cancelled`; `starts_at`
    and `room` are then what the talk was)."""

    subscription_id: int
    frontend: str
    guild_id: str
    channel_id: str
    scheduled_at: datetime
    talk_key: str
    talk_ref: str
    title: str
    speakers: tuple[str, ...]
    room: str | None
    starts_at: datetime
    zone: str
    minutes_before: int
    attempted_at: datetime | None = None
    """When the first send was attempted (the claim time); not part of the JSON snapshot."""
    moved_from: datetime | None = None
    cancelled: bool = False

    @property
    def key(self) -> str:
        """Its delivery key: the talk key for the reminder, with the new start for a
        reminder after a move, with '#cancelled' for the notice."""
        if self.cancelled:
            return cancelled_key(self.talk_key)
        if self.moved_from is not None:
            return moved_key(self.talk_key, self.starts_at)
        return self.talk_key

    @property
    def idempotency_key(self) -> str:
        """'r-' and a hash of (subscription, delivery key): 25 characters, a valid Discord
        nonce (for the reminder itself, the hash of (subscription, talk key) it always had)."""
        digest = hashlib.sha256(f"{self.subscription_id}:{self.key}".encode()).hexdigest()
        return "r-" + digest[: NONCE_MAX_LENGTH - 2]

    @classmethod
    def make(cls, sub: ReminderSubscription, talk: ReminderTalk) -> ReminderPost:
        return cls(
            subscription_id=sub.id,
            frontend=sub.frontend,
            guild_id=sub.guild_id,
            channel_id=sub.channel_id,
            scheduled_at=sub.due(talk),
            talk_key=talk.key,
            talk_ref=talk.ref,
            title=talk.title,
            speakers=talk.speakers,
            room=talk.room,
            starts_at=talk.starts.astimezone(ZoneInfo(talk.zone)),
            zone=talk.zone,
            minutes_before=sub.minutes_before,
        )

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        del data["attempted_at"]
        for name in ("scheduled_at", "starts_at", "moved_from"):
            moment = getattr(self, name)
            data[name] = moment.isoformat() if moment is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, attempted_at: datetime | None = None) -> ReminderPost:
        data = json.loads(text)
        for name in ("scheduled_at", "starts_at", "moved_from"):
            if data.get(name) is not None:
                data[name] = datetime.fromisoformat(data[name])
        data["speakers"] = tuple(data["speakers"])
        return cls(**data, attempted_at=attempted_at)


def moved_key(talk_key: str, starts: datetime) -> str:
    """The delivery key of a reminder after a move: the talk key and its new start (UTC)."""
    return f"{talk_key}@{starts.astimezone(UTC):%Y%m%dT%H%MZ}"


def cancelled_key(talk_key: str) -> str:
    """The delivery key of the notice that a talk is cancelled (one per channel, ever)."""
    return f"{talk_key}#cancelled"


_SUFFIX = re.compile(r"(?:@\d{8}T\d{4}Z|#cancelled)$")


def base_key(key: str) -> str:
    """The talk key a delivery key belongs to (the reminder, a reminder after a move, the
    notice)."""
    return _SUFFIX.sub("", key)


@dataclass(frozen=True)
class ReminderOutcome:
    """What happened to one reminder in a `run_due`. sent: delivered now. recovered: a claim
    left by a crash was delivered already. skipped: not sent (bot down until the talk
    started, talk cancelled, unsubscribed). retry: failed, retried at `retry_at`. failed:
    given up. disabled: the subscription was turned off (`detail` says why)."""

    kind: OutcomeKind
    subscription_id: int
    channel_id: str
    talk_key: str
    title: str
    message_id: str | None = None
    detail: str = ""
    retry_at: datetime | None = None


@dataclass(frozen=True)
class ReminderStatus:
    """One subscription of a channel: its log counts and the next reminders it will send."""

    subscription: ReminderSubscription
    counts: dict[str, int] = field(default_factory=dict)
    upcoming: tuple[tuple[datetime, ReminderTalk], ...] = ()
