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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.answer import Answer, Field
from bot.delivery.model import NONCE_MAX_LENGTH, OutcomeKind
from bot.wisdom import format_moment

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
    parallel `WisdomPost` where they overlap; `starts_at` is local to `zone`."""

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

    @property
    def idempotency_key(self) -> str:
        """'r-' and a hash of (subscription, talk): 25 characters, a valid Discord nonce."""
        digest = hashlib.sha256(f"{self.subscription_id}:{self.talk_key}".encode()).hexdigest()
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
        data["scheduled_at"] = self.scheduled_at.isoformat()
        data["starts_at"] = self.starts_at.isoformat()
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> ReminderPost:
        data = json.loads(text)
        data["scheduled_at"] = datetime.fromisoformat(data["scheduled_at"])
        data["starts_at"] = datetime.fromisoformat(data["starts_at"])
        data["speakers"] = tuple(data["speakers"])
        return cls(**data)


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


# --------------------------------------------------------------------------------------------
# Answers


def reminder_answer(post: ReminderPost) -> Answer:
    """The reminder as posted: "Starting in 10 minutes: <title>" with speakers, room, time."""
    unit = "minute" if post.minutes_before == 1 else "minutes"
    return Answer(
        kind="reminder",
        title=f"Starting in {post.minutes_before} {unit}: {post.title}",
        fields=(
            Field("Speaker", ", ".join(post.speakers) or "not named", inline=True),
            Field("Room", post.room or "not announced", inline=True),
            Field("Time", format_moment(post.starts_at, ZoneInfo(post.zone)), inline=True),
        ),
        footer=post.talk_ref,
        meta={
            "idempotency_key": post.idempotency_key,
            "subscription_id": str(post.subscription_id),
            "talk_key": post.talk_key,
        },
    )


def input_error_answer(error: ReminderInputError) -> Answer:
    return Answer(kind="usage", title="Reminders", text=str(error), found=False, ephemeral=True)


def _next_line(items: tuple[tuple[datetime, ReminderTalk], ...]) -> str:
    if not items:
        return "none scheduled"
    due, talk = items[0]
    return f"{talk.title}, {format_moment(due, ZoneInfo(talk.zone))}"


def subscribed_answer(status: ReminderStatus) -> Answer:
    sub = status.subscription
    return Answer(
        kind="reminder",
        title="Reminders subscribed",
        text=f"I will post a reminder here {sub.describe()}.",
        fields=(Field("Next reminder", _next_line(status.upcoming)),),
        ephemeral=True,
        meta={"subscription_id": str(sub.id), "channel_id": sub.channel_id},
    )


def unsubscribed_answer(subs: list[ReminderSubscription]) -> Answer:
    if not subs:
        return Answer(
            kind="not_found",
            title="Reminders",
            text="This channel has no reminder subscription.",
            found=False,
            ephemeral=True,
        )
    lines = "\n".join(f"#{sub.id}: {sub.describe()}" for sub in subs)
    return Answer(kind="reminder", title="Reminders unsubscribed", text=lines, ephemeral=True)


def subscriptions_answer(subs: list[ReminderSubscription]) -> Answer:
    """The list command: every reminder subscription (of a guild or channel)."""
    if not subs:
        return unsubscribed_answer([])
    lines = [
        f"#{sub.id} in channel {sub.channel_id}: {sub.describe()}"
        + ("" if sub.enabled else f" (off: {sub.disabled_reason})")
        for sub in subs
    ]
    return Answer(kind="reminder", title="Reminder subscriptions", text="\n".join(lines))


def status_answer(statuses: list[ReminderStatus]) -> Answer:
    if not statuses:
        return unsubscribed_answer([])
    fields: list[Field] = []
    for status in statuses:
        sub = status.subscription
        counts = ", ".join(f"{n} {name}" for name, n in sorted(status.counts.items())) or "none"
        state = "on" if sub.enabled else f"off ({sub.disabled_reason})"
        error = f"; last error: {sub.last_error}" if sub.last_error else ""
        fields.append(
            Field(
                f"#{sub.id}: {sub.describe()}",
                f"State: {state}. Next: {_next_line(status.upcoming)}. "
                f"Reminders so far: {counts}{error}",
            )
        )
    return Answer(kind="reminder", title="Reminder status", fields=tuple(fields), ephemeral=True)
