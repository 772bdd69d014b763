"""The personal agenda's planner: pure rules from (people, follows, timed talks, programme
changes, now) to the direct messages that are `Due`, with no I/O.

What a person gets, each exactly once (the delivery key is part of the engine's primary key):

- a reminder `minutes_before` their lead time before each followed talk, keyed by the talk
  *and its start* (``talk:KEY@20240727T1400Z``): a talk that moves before its reminder is
  reminded at its new time, and one that moves after it is reminded again before the new time;
- a note that a followed talk moved (``moved:KEY@NEWSTART``) or was cancelled
  (``cancelled:KEY``), when the change was found after they followed it, while the talk is
  still to come, within `NOTICE_WINDOW` of the change.

A follow matches a talk by its key, a speaker's folded name, or its track or room (the whole
name, case-insensitive), within one conference or any; so following a speaker or a track picks
up talks added later without anything stored for them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bot.delivery.engine import Due
from bot.delivery.model import NONCE_MAX_LENGTH
from bot.reminders import ReminderTalk
from bot.store.agenda import Follow, Person
from bot.store.changes import ProgrammeChange

MIN_MINUTES = 1
MAX_MINUTES = 120
FOLLOW_KINDS = ("talk", "speaker", "track", "room")
NOTICE_WINDOW = timedelta(hours=6)
"""How long after a change its note may still go out (never after the talk's start)."""
HORIZON = timedelta(minutes=15)
"""How far past the longest lead time a run looks ahead (its latest next wake-up)."""

PostKind = Literal["reminder", "moved", "cancelled"]


def delivery_key(kind: PostKind, talk_key: str, starts: datetime) -> str:
    """'talk:KEY@20240727T1200Z' (a reminder), 'moved:KEY@NEWSTART' or 'cancelled:KEY'."""
    if kind == "cancelled":
        return f"cancelled:{talk_key}"
    prefix = "talk" if kind == "reminder" else "moved"
    return f"{prefix}:{talk_key}@{starts.astimezone(UTC):%Y%m%dT%H%MZ}"


def candidate_keys(
    talks: Sequence[ReminderTalk],
    changes: Sequence[ProgrammeChange],
    now: datetime,
    longest: int = MAX_MINUTES,
) -> list[str]:
    """Every delivery key a run at `now` may plan (to read the log rows it needs first)."""
    keys = [delivery_key("reminder", t.key, t.starts) for t in soon(talks, now, longest)]
    current = {talk.key: talk for talk in talks}
    for change in recent(changes, now):
        talk = current.get(change.talk_key)
        if change.kind == "moved" and talk is not None:
            keys.append(delivery_key("moved", talk.key, talk.starts))
        elif change.kind == "cancelled":
            keys.append(delivery_key("cancelled", change.talk_key, now))
    return keys


def fold(name: str) -> str:
    """A name as follows store and compare it: case-folded, spaces collapsed."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class AgendaPost:
    """One direct message to one person (`channel_id` is their user id); satisfies
    `bot.delivery.model.Post`. `starts_at` is the talk's (new) start, UTC."""

    subscription_id: int
    frontend: str
    channel_id: str
    kind: PostKind
    talk_key: str
    title: str
    conference: str
    zone: str
    room: str | None
    speakers: tuple[str, ...]
    starts_at: datetime
    scheduled_at: datetime
    minutes_before: int
    old_starts_at: datetime | None = None
    attempted_at: datetime | None = None
    guild_id: str = ""

    @property
    def key(self) -> str:
        """The delivery key: once per person, talk and start (or change)."""
        return delivery_key(self.kind, self.talk_key, self.starts_at)

    @property
    def idempotency_key(self) -> str:
        """'a-' and a hash of (person, key): 25 characters, a valid Discord nonce."""
        digest = hashlib.sha256(f"{self.subscription_id}:{self.key}".encode()).hexdigest()
        return "a-" + digest[: NONCE_MAX_LENGTH - 2]

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        del data["attempted_at"]
        for name in ("starts_at", "scheduled_at", "old_starts_at"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value is not None else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str, attempted_at: datetime | None = None) -> AgendaPost:
        data = json.loads(text)
        for name in ("starts_at", "scheduled_at", "old_starts_at"):
            if data.get(name):
                data[name] = datetime.fromisoformat(data[name])
        data["speakers"] = tuple(data["speakers"])
        return cls(**data, attempted_at=attempted_at)


def dump(post: AgendaPost) -> str:
    return post.to_json()


def load(text: str, attempted_at: datetime | None) -> AgendaPost:
    return AgendaPost.from_json(text, attempted_at)


def matches(follow: Follow, talk: ReminderTalk) -> bool:
    """Does `follow` take in `talk`?"""
    if follow.conference and follow.conference != talk.conference:
        return False
    if follow.kind == "talk":
        return follow.value in (talk.key, talk.ref)
    if follow.kind == "speaker":
        return follow.value.casefold() in {fold(name) for name in talk.speakers}
    name = talk.track if follow.kind == "track" else talk.room
    return name is not None and fold(name) == fold(follow.value)


def followed(follows: Iterable[Follow], talks: Iterable[ReminderTalk]) -> list[ReminderTalk]:
    """The talks any of `follows` takes in, in start order, each once."""
    chosen = list(follows)
    return [talk for talk in talks if any(matches(follow, talk) for follow in chosen)]


def soon(
    talks: Iterable[ReminderTalk], now: datetime, longest: int = MAX_MINUTES
) -> list[ReminderTalk]:
    """The talks a run must look at: not started, and starting within the longest lead time
    anyone has (`longest` minutes) and the horizon."""
    until = now + timedelta(minutes=longest) + HORIZON
    return [talk for talk in talks if now < talk.starts <= until]


def recent(changes: Iterable[ProgrammeChange], now: datetime) -> list[ProgrammeChange]:
    """The moves and cancellations whose note may still be due."""
    return [
        change
        for change in changes
        if change.kind in ("moved", "cancelled") and now - NOTICE_WINDOW <= change.detected_at
    ]


def wanted(
    talks: Sequence[ReminderTalk], changes: Sequence[ProgrammeChange]
) -> dict[str, list[str]]:
    """The follow values (by kind) that can match these talks and changes, for the store to
    read only the follows that matter."""
    keys = [talk.key for talk in talks] + [talk.ref for talk in talks]
    keys += [change.talk_key for change in changes]
    speakers = [fold(name) for talk in talks for name in talk.speakers]
    rooms = [talk.room for talk in talks if talk.room]
    tracks = [talk.track for talk in talks if talk.track]
    for change in changes:
        for side in (change.old, change.new):
            if side is not None:
                speakers += [fold(name) for name in side.speakers]
                rooms += [side.room] if side.room else []
                tracks += [side.track] if side.track else []
    return {"talk": keys, "speaker": speakers, "track": tracks, "room": rooms}


@dataclass(frozen=True)
class Plan:
    """What a run sends now, and the earliest moment something else becomes due."""

    due: list[Due[AgendaPost]]
    next_due: datetime | None


def plan(
    people: Sequence[Person],
    follows: Sequence[Follow],
    talks: Sequence[ReminderTalk],
    changes: Sequence[ProgrammeChange],
    now: datetime,
    zones: Mapping[str, str] | None = None,
    done: Collection[tuple[int, str]] = (),
    longest: int = MAX_MINUTES,
) -> Plan:
    """Every reminder and note due now for `people` (those with DMs on), and the next due
    moment among the rest; nothing in `done` (person, key: the delivery log holds it).
    `longest` is the longest lead time of anyone (the talks after it plus the horizon wait).
    `zones` (conference slug -> zone) is for the talks that are gone: a cancelled talk's
    note shows its time there."""
    index = _Index(follows)
    due: list[Due[AgendaPost]] = []
    later: datetime | None = None
    active = {person.id: person for person in people if person.enabled}
    leads = {person.id: _lead(person) for person in active.values()}
    for talk in soon(talks, now, longest):
        key = delivery_key("reminder", talk.key, talk.starts)
        for person_id in index.followers(talk):
            person = active.get(person_id)
            if person is None or (person_id, key) in done:
                continue
            scheduled = talk.starts - leads[person_id]
            if now < scheduled:  # only the earliest matters: no post is built for it yet
                later = scheduled if later is None else min(later, scheduled)
                continue
            post = _post(person, talk, "reminder", scheduled)
            due.append(Due(person.id, key, post, scheduled, talk.starts, _label(post)))
    current = {talk.key: talk for talk in talks}
    for change in recent(changes, now):
        zone = (zones or {}).get(change.conference, "UTC")
        notes = _notes(change, current.get(change.talk_key), zone, index, active, now)
        due += [item for item in notes if (item.subscription_id, item.key) not in done]
    return Plan(due, later)


class _Index:
    """The follows by what they match, so a talk finds its followers without a scan."""

    def __init__(self, follows: Iterable[Follow]) -> None:
        self.by_kind: dict[tuple[str, str], list[Follow]] = {}
        for follow in follows:
            value = follow.value if follow.kind == "talk" else fold(follow.value)
            self.by_kind.setdefault((follow.kind, value), []).append(follow)

    def candidates(
        self, key: str, ref: str, speakers: Iterable[str], room: str | None, track: str | None
    ) -> list[Follow]:
        found = self.by_kind.get(("talk", key), []) + self.by_kind.get(("talk", ref), [])
        for name in speakers:
            found += self.by_kind.get(("speaker", fold(name)), [])
        if room:
            found += self.by_kind.get(("room", fold(room)), [])
        if track:
            found += self.by_kind.get(("track", fold(track)), [])
        return found

    def followers(self, talk: ReminderTalk) -> list[int]:
        """The people following `talk`, each once, in id order (the index matched the value
        already; only a follow's conference is left to check)."""
        found = self.candidates(talk.key, talk.ref, talk.speakers, talk.room, talk.track)
        wanted = ("", talk.conference)
        return sorted({f.subscription_id for f in found if f.conference in wanted})


def _notes(
    change: ProgrammeChange,
    talk: ReminderTalk | None,
    zone: str,
    index: _Index,
    active: Mapping[int, Person],
    now: datetime,
) -> list[Due[AgendaPost]]:
    """The notes of one move or cancellation, for those who followed the talk before it."""
    if change.kind == "moved":
        if talk is None or talk.starts <= now:
            return []
        starts, old = talk.starts, change.old.starts_at if change.old else None
        candidates = index.candidates(talk.key, talk.ref, talk.speakers, talk.room, talk.track)
        takes = [f for f in candidates if matches(f, talk)]
        subject = talk
    else:
        before = change.old
        if before is None or before.starts_at is None or before.starts_at <= now:
            return []
        starts, old = before.starts_at, None
        conference = change.conference
        ref = ""
        candidates = index.candidates(
            change.talk_key, ref, before.speakers, before.room, before.track
        )
        subject = ReminderTalk(
            change.talk_key,
            ref,
            conference,
            before.title,
            before.speakers,
            before.room,
            before.track,
            starts.astimezone(UTC),
            zone,
        )
        takes = [f for f in candidates if matches(f, subject)]
    kind: PostKind = "moved" if change.kind == "moved" else "cancelled"
    deadline = min(change.detected_at + NOTICE_WINDOW, starts)
    out: list[Due[AgendaPost]] = []
    for person_id in sorted(
        {f.subscription_id for f in takes if f.created_at <= change.detected_at}
    ):
        person = active.get(person_id)
        if person is None:
            continue
        post = _post(person, subject, kind, change.detected_at, starts=starts, old=old)
        out.append(Due(person.id, post.key, post, change.detected_at, deadline, _label(post)))
    return out


def _lead(person: Person) -> timedelta:
    return timedelta(minutes=min(max(person.minutes_before, MIN_MINUTES), MAX_MINUTES))


def _post(
    person: Person,
    talk: ReminderTalk,
    kind: PostKind,
    scheduled: datetime,
    *,
    starts: datetime | None = None,
    old: datetime | None = None,
) -> AgendaPost:
    return AgendaPost(
        subscription_id=person.id,
        frontend=person.frontend,
        channel_id=person.user_id,
        kind=kind,
        talk_key=talk.key,
        title=talk.title,
        conference=talk.conference,
        zone=talk.zone,
        room=talk.room,
        speakers=talk.speakers,
        starts_at=(starts or talk.starts).astimezone(UTC),
        scheduled_at=scheduled.astimezone(UTC),
        minutes_before=person.minutes_before,
        old_starts_at=old.astimezone(UTC) if old is not None else None,
    )


def _label(post: AgendaPost) -> str:
    """How the log names a DM: the person's subscription number, never their id or name."""
    return f"agenda #{post.subscription_id} {post.kind} for {post.title!r}"
