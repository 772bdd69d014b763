"""Programme changes: what a re-import found (new, cancelled, moved, room, title, speakers).

The diff (bot/store/diff.py) classifies each talk that differs from the last import into
`TalkChange`s; `record_changes` stores them as one batch inside the import's transaction.
Announcements and the "moved from 14:00 / cancelled" marks read them back with
`changes_since` and `recent_changes`. Each row copies the old and new title, times, room and
speakers, so a cancelled talk can be shown after the talk itself is gone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.db import Database

# The order a summary names them in, most disruptive first.
CHANGE_KINDS = ("moved", "cancelled", "new", "room", "title", "speakers")


@dataclass(frozen=True)
class TalkSnapshot:
    """What a talk looked like on one side of a change."""

    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    room: str | None
    speakers: tuple[str, ...]
    track: str | None = None


@dataclass(frozen=True)
class TalkChange:
    """One kind of change to one talk; `old` is None for a new talk, `new` for a cancelled one."""

    conference: str
    talk_key: str
    kind: str
    old: TalkSnapshot | None
    new: TalkSnapshot | None

    @property
    def title(self) -> str:
        shown = self.new or self.old
        assert shown is not None
        return shown.title


@dataclass(frozen=True)
class ProgrammeChange(TalkChange):
    """A stored change: a `TalkChange` with the batch it came in and when it was found."""

    batch_id: int
    detected_at: datetime


def summarise(changes: Sequence[TalkChange]) -> str:
    """'2 moved, 1 cancelled, 1 new' (kinds in CHANGE_KINDS order), or 'no changes'."""
    counts = Counter(change.kind for change in changes)
    parts = [f"{counts[kind]} {_label(kind)}" for kind in CHANGE_KINDS if counts[kind]]
    return ", ".join(parts) or "no changes"


def _label(kind: str) -> str:
    return {"room": "room changed", "title": "retitled", "speakers": "speakers changed"}.get(
        kind, kind
    )


async def record_changes(db: Database, changes: Sequence[TalkChange], now: datetime) -> int | None:
    """Store the changes as one new batch (inside the caller's transaction); its id, or None
    when there is nothing to store."""
    if not changes:
        return None
    row = await db.fetch_one("SELECT coalesce(max(batch_id), 0) + 1 FROM programme_changes")
    batch_id = int(row[0]) if row else 1
    detected = _utc(now)
    await db.execute_many(
        "INSERT INTO programme_changes(batch_id, detected_at, conference_slug, talk_key, kind, "
        "old_title, old_starts_at, old_ends_at, old_room, old_speakers, new_title, "
        "new_starts_at, new_ends_at, new_room, new_speakers, old_track, new_track) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                batch_id,
                detected,
                c.conference,
                c.talk_key,
                c.kind,
                *_columns(c.old),
                *_columns(c.new),
                c.old.track if c.old else None,
                c.new.track if c.new else None,
            )
            for c in changes
        ],
    )
    return batch_id


async def changes_since(
    db: Database, after: int | datetime, conference: str | None = None
) -> list[ProgrammeChange]:
    """Changes in batches after batch `after` (an id) or detected after `after` (a time),
    oldest first; only `conference`'s when given."""
    if isinstance(after, datetime):
        where, value = "detected_at > ?", _utc(after)
    else:
        where, value = "batch_id > ?", str(after)
    parameters: list[object] = [int(value) if isinstance(after, int) else value]
    if conference is not None:
        where += " AND conference_slug = ?"
        parameters.append(conference)
    return await _select(db, where, parameters)


async def latest_batch(db: Database) -> int:
    """The id of the newest batch of changes, 0 when there is none."""
    row = await db.fetch_one("SELECT coalesce(max(batch_id), 0) FROM programme_changes")
    return int(row[0]) if row else 0


async def recent_changes(db: Database, conference: str, since: datetime) -> list[ProgrammeChange]:
    """The conference's changes detected at or after `since`, oldest first (for marks such as
    "moved from 14:00" beside a talk)."""
    return await _select(db, "conference_slug = ? AND detected_at >= ?", [conference, _utc(since)])


async def _select(db: Database, where: str, parameters: Sequence[object]) -> list[ProgrammeChange]:
    rows = await db.fetch_all(
        "SELECT batch_id, detected_at, conference_slug, talk_key, kind, old_title, "
        "old_starts_at, old_ends_at, old_room, old_speakers, new_title, new_starts_at, "
        "new_ends_at, new_room, new_speakers, old_track, new_track "
        f"FROM programme_changes WHERE {where} "
        "ORDER BY batch_id, id",
        tuple(parameters),
    )
    return [
        ProgrammeChange(
            conference=str(row[2]),
            talk_key=str(row[3]),
            kind=str(row[4]),
            old=_snapshot(row[5:10], row[15]),
            new=_snapshot(row[10:15], row[16]),
            batch_id=int(row[0]),
            detected_at=datetime.fromisoformat(str(row[1])),
        )
        for row in rows
    ]


def _columns(snapshot: TalkSnapshot | None) -> tuple[object, ...]:
    if snapshot is None:
        return (None, None, None, None, None)
    return (
        snapshot.title,
        snapshot.starts_at.isoformat() if snapshot.starts_at else None,
        snapshot.ends_at.isoformat() if snapshot.ends_at else None,
        snapshot.room,
        json.dumps(list(snapshot.speakers), ensure_ascii=False),
    )


def _snapshot(values: Sequence[object], track: object) -> TalkSnapshot | None:
    title, starts, ends, room, speakers = values
    if title is None:
        return None
    return TalkSnapshot(
        title=str(title),
        starts_at=datetime.fromisoformat(str(starts)) if starts else None,
        ends_at=datetime.fromisoformat(str(ends)) if ends else None,
        room=str(room) if room is not None else None,
        speakers=tuple(json.loads(str(speakers))) if speakers else (),
        track=str(track) if track is not None else None,
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def cancelled_talks(db: Database) -> dict[str, TalkSnapshot]:
    """Every talk whose latest change (of new and cancelled) is a cancellation, by talk key:
    what it was before (a talk cancelled and then back is not in it)."""
    rows = await db.fetch_all(
        "SELECT talk_key, kind, old_title, old_starts_at, old_ends_at, old_room, old_speakers, "
        "old_track FROM programme_changes WHERE kind IN ('new', 'cancelled') ORDER BY batch_id, id"
    )
    latest: dict[str, TalkSnapshot | None] = {}
    for row in rows:
        latest[str(row[0])] = _snapshot(row[2:7], row[7]) if row[1] == "cancelled" else None
    return {key: snapshot for key, snapshot in latest.items() if snapshot is not None}
