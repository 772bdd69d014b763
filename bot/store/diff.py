"""Updating a stored conference in place from a newer version of it: the diff import.

Talks are matched by guid (else by slug); a talk whose rows would be written exactly as they
are stored is not touched, so re-importing an identical export writes nothing and keeps every
id. Changed talks are updated under their id (their search rows replaced), new ones
inserted, gone ones deleted. The result equals a fresh import of the same conference apart
from ids. Runs inside the caller's transaction and returns how the programme changed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.records import Conference, Cue, Talk
from bot.store.changes import TalkChange, TalkSnapshot
from bot.store.community_nuggets import with_community
from bot.store.db import Database
from bot.store.rows import (
    conference_values,
    next_id,
    searchable_summary,
    speaker_ids,
    talk_row,
)
from bot.store.search import MAX_CUES_PER_TALK, cue_rowid

# The talk columns after id and conference_id, in talk_row's order.
_TALK_COLUMNS = (
    "slug, title, kind, summary, speaker_note, transcript, transcript_source, url, source, "
    "starts_at, ends_at, starts_utc, ends_utc, room, track, language, links, guid, origin_file, "
    "description, schedule_day"
)
_TALK_COLUMNS_OF_T = ", ".join(f"t.{name.strip()}" for name in _TALK_COLUMNS.split(","))
_CONFERENCE_COLUMNS = "name, year, url, timezone, description, origin, longest_talk_seconds"


@dataclass
class _Stored:
    id: int
    row: tuple[object, ...]
    speakers: list[tuple[str, str, str | None]]  # (name, folded, biography) by position
    nuggets: list[tuple[object, ...]]  # (key, position, text, speaker, source)
    cues: list[tuple[object, ...]]  # (text, start_ms)


@dataclass(frozen=True)
class _Wanted:
    talk: Talk
    row: tuple[object, ...]
    nuggets: list[tuple[object, ...]]
    cues: list[tuple[object, ...]]


def identity(talk_guid: object, slug: object) -> str:
    """The key a talk is matched by across imports."""
    return f"guid:{talk_guid}" if talk_guid else f"slug:{slug}"


def talk_key(conference: str, talk: Talk) -> str:
    """The key reminders and programme changes use: the guid, else 'conference/slug'."""
    return talk.guid or f"{conference}/{talk.slug}"


async def update_conference(
    db: Database, conference_id: int, conference: Conference
) -> list[TalkChange]:
    """Bring the stored conference `conference_id` to `conference`; the changes found."""
    await _update_conference_row(db, conference_id, conference)
    stored = await _stored_talks(db, conference_id)
    wanted = await _with_attached(db, conference.slug, conference.talks)
    keys = {identity(t.guid, t.slug) for t in wanted}
    gone = [have for key, have in stored.items() if key not in keys]
    return await _apply(db, conference_id, conference.slug, wanted, stored, gone)


async def update_talks(
    db: Database, conference_id: int, conference: str, talks: Sequence[Talk], removed: Sequence[str]
) -> list[TalkChange]:
    """Update only these talks of the stored conference (matched by slug: data-folder talks
    have no guid) and delete the `removed` slugs; the changes found."""
    stored = await _stored_talks(db, conference_id, [t.slug for t in talks] + list(removed))
    wanted = await _with_attached(db, conference, talks)
    dropped = set(removed)
    gone = [have for have in stored.values() if have.row[0] in dropped]
    changes = await _apply(db, conference_id, conference, wanted, stored, gone)
    rows = await db.fetch_all(
        "SELECT starts_at, ends_at FROM talks WHERE conference_id = ? "
        "AND starts_at IS NOT NULL AND ends_at IS NOT NULL",
        (conference_id,),
    )
    longest = max(
        (
            int((datetime.fromisoformat(e) - datetime.fromisoformat(s)).total_seconds())
            for s, e in rows
        ),
        default=0,
    )
    await db.execute(
        "UPDATE conferences SET longest_talk_seconds = ? "
        "WHERE id = ? AND longest_talk_seconds != ?",
        (longest, conference_id, longest),
    )
    return changes


async def _apply(
    db: Database,
    conference_id: int,
    conference: str,
    talks: Sequence[Talk],
    stored: dict[str, _Stored],
    gone: Sequence[_Stored],
) -> list[TalkChange]:
    wanted = {identity(t.guid, t.slug): _wanted(conference, t) for t in talks}
    changes: list[TalkChange] = []
    changed: list[tuple[_Stored, _Wanted]] = []
    for key, want in wanted.items():
        have = stored.get(key)
        if have is None:
            new = _snapshot_of(want.talk)
            changes.append(
                TalkChange(conference, talk_key(conference, want.talk), "new", None, new)
            )
        elif _differs(have, want):
            changed.append((have, want))
            changes.extend(_classify(conference, have, want))
    for have in gone:
        old = _snapshot_stored(have)
        changes.append(
            TalkChange(conference, _stored_key(conference, have), "cancelled", old, None)
        )
    await _delete_talks(db, [have.id for have in gone])
    await _rewrite_talks(db, changed)
    await _insert_talks(
        db, conference_id, [want for key, want in wanted.items() if key not in stored]
    )
    return changes


async def _update_conference_row(db: Database, conference_id: int, conference: Conference) -> None:
    values = conference_values(conference)
    row = await db.fetch_one(
        f"SELECT {_CONFERENCE_COLUMNS} FROM conferences WHERE id = ?", (conference_id,)
    )
    if row is not None and tuple(row) == values:
        return
    await db.execute(
        "UPDATE conferences SET name = ?, year = ?, url = ?, timezone = ?, description = ?, "
        "origin = ?, longest_talk_seconds = ? WHERE id = ?",
        (*values, conference_id),
    )


async def _with_attached(db: Database, conference: str, records: Sequence[Talk]) -> list[Talk]:
    """The talks as they will be stored: an attached transcript replaces the source's (as
    `_apply_attached_transcripts` does after a fresh insert), approved community nuggets
    follow the talk's own."""
    rows = await db.fetch_all(
        "SELECT talk_slug, source, text, cues FROM attached_transcripts WHERE conference_slug = ?",
        (conference,),
    )
    attached = {str(row[0]): row for row in rows}
    talks = []
    for talk in records:
        row = attached.get(talk.slug)
        if row is not None:
            cues = tuple(Cue(int(s), int(e), str(t)) for s, e, t in json.loads(str(row[3])))
            talk = replace(talk, transcript=str(row[2]), transcript_source=str(row[1]), cues=cues)
        talks.append(talk)
    return await with_community(db, conference, talks)


def _wanted(conference: str, talk: Talk) -> _Wanted:
    key = f"{conference}/{talk.slug}"
    return _Wanted(
        talk=talk,
        row=talk_row(0, 0, talk)[2:],
        nuggets=[
            (n.key(key), position, n.text, n.speaker, n.source)
            for position, n in enumerate(talk.nuggets)
        ],
        cues=[(cue.text, cue.start_ms) for cue in talk.cues[:MAX_CUES_PER_TALK]],
    )


async def _stored_talks(
    db: Database, conference_id: int, slugs: Sequence[str] | None = None
) -> dict[str, _Stored]:
    """The stored talks of the conference (only those with these slugs, when given)."""
    where, parameters = "t.conference_id = ?", list[object]([conference_id])
    if slugs is not None:
        if not slugs:
            return {}
        where += f" AND t.slug IN ({','.join('?' * len(slugs))})"
        parameters.extend(slugs)
    talks: dict[int, _Stored] = {}
    for row in await db.fetch_all(
        f"SELECT t.id, {_TALK_COLUMNS_OF_T} FROM talks t WHERE {where} ORDER BY t.id", parameters
    ):
        talks[int(row[0])] = _Stored(int(row[0]), tuple(row[1:]), [], [], [])
    for row in await db.fetch_all(
        "SELECT ts.talk_id, s.name, s.folded, s.biography FROM talk_speakers ts "
        f"JOIN speakers s ON s.id = ts.speaker_id JOIN talks t ON t.id = ts.talk_id WHERE {where} "
        "ORDER BY ts.talk_id, ts.position",
        parameters,
    ):
        talks[int(row[0])].speakers.append((str(row[1]), str(row[2]), row[3]))
    for row in await db.fetch_all(
        "SELECT n.talk_id, n.key, n.position, n.text, n.speaker, n.source FROM nuggets n "
        f"JOIN talks t ON t.id = n.talk_id WHERE {where} ORDER BY n.talk_id, n.position",
        parameters,
    ):
        talks[int(row[0])].nuggets.append(tuple(row[1:]))
    if talks:
        for row in await db.fetch_all(
            "SELECT talk_id, text, start_ms FROM cue_search WHERE talk_id IN "
            f"(SELECT t.id FROM talks t WHERE {where}) ORDER BY rowid",
            parameters,
        ):
            talks[int(row[0])].cues.append(tuple(row[1:]))
    keyed: dict[str, _Stored] = {}
    for talk in talks.values():
        # row[0] is the slug, row[17] the guid (see _TALK_COLUMNS).
        keyed[identity(talk.row[17], talk.row[0])] = talk
    return keyed


def _differs(have: _Stored, want: _Wanted) -> bool:
    if have.row != want.row or have.nuggets != want.nuggets or have.cues != want.cues:
        return True
    if [folded for _, folded, _ in have.speakers] != [
        s.name.casefold() for s in want.talk.speakers
    ]:
        return True
    # A biography the export now gives replaces the stored one (speaker_ids' coalesce).
    return any(
        speaker.biography and speaker.biography != biography
        for speaker, (_, _, biography) in zip(want.talk.speakers, have.speakers, strict=True)
    )


def _classify(conference: str, have: _Stored, want: _Wanted) -> list[TalkChange]:
    old, new = _snapshot_stored(have), _snapshot_of(want.talk)
    kinds = []
    if (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at):
        kinds.append("moved")
    if old.room != new.room:
        kinds.append("room")
    if old.title != new.title:
        kinds.append("title")
    if [s.casefold() for s in old.speakers] != [s.casefold() for s in new.speakers]:
        kinds.append("speakers")
    key = talk_key(conference, want.talk)
    return [TalkChange(conference, key, kind, old, new) for kind in kinds]


def _snapshot_of(talk: Talk) -> TalkSnapshot:
    return TalkSnapshot(
        talk.title, talk.starts_at, talk.ends_at, talk.room, talk.speaker_names, talk.track
    )


def _snapshot_stored(have: _Stored) -> TalkSnapshot:
    starts, ends = have.row[9], have.row[10]
    return TalkSnapshot(
        title=str(have.row[1]),
        starts_at=datetime.fromisoformat(str(starts)) if starts else None,
        ends_at=datetime.fromisoformat(str(ends)) if ends else None,
        room=str(have.row[13]) if have.row[13] is not None else None,
        speakers=tuple(name for name, _, _ in have.speakers),
        track=str(have.row[14]) if have.row[14] is not None else None,
    )


def _stored_key(conference: str, have: _Stored) -> str:
    return str(have.row[17]) if have.row[17] else f"{conference}/{have.row[0]}"


async def _delete_talks(db: Database, talk_ids: Sequence[int]) -> None:
    """Remove talks and every search row of theirs (the FTS tables hold no foreign keys)."""
    for start in range(0, len(talk_ids), 500):
        chunk = talk_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        await _forget_search_rows(db, marks, chunk)
        await db.execute(f"DELETE FROM talks WHERE id IN ({marks})", chunk)


async def _forget_search_rows(db: Database, marks: str, talk_ids: Sequence[int]) -> None:
    await db.execute(
        "INSERT INTO nugget_search(nugget_search, rowid, text, speaker) "
        f"SELECT 'delete', id, text, speaker FROM nuggets WHERE talk_id IN ({marks})",
        talk_ids,
    )
    await db.execute(f"DELETE FROM nuggets WHERE talk_id IN ({marks})", talk_ids)
    await db.execute(f"DELETE FROM talk_search WHERE rowid IN ({marks})", talk_ids)
    await db.execute(f"DELETE FROM cue_search WHERE talk_id IN ({marks})", talk_ids)
    await db.execute(f"DELETE FROM talk_speakers WHERE talk_id IN ({marks})", talk_ids)


async def _rewrite_talks(db: Database, changed: Sequence[tuple[_Stored, _Wanted]]) -> None:
    """Update changed talks under their ids and replace their dependent rows."""
    if not changed:
        return
    ids = [have.id for have, _ in changed]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await _forget_search_rows(db, ",".join("?" * len(chunk)), chunk)
    # Park renamed talks on a slug no real talk can have, so two talks may swap slugs.
    await db.execute_many(
        "UPDATE talks SET slug = '~' || id WHERE id = ?",
        [(have.id,) for have, want in changed if have.row[0] != want.row[0]],
    )
    columns = ", ".join(f"{name.strip()} = ?" for name in _TALK_COLUMNS.split(","))
    await db.execute_many(
        f"UPDATE talks SET {columns} WHERE id = ?",
        [(*want.row, have.id) for have, want in changed],
    )
    await _write_dependents(db, [(have.id, want) for have, want in changed])


async def _insert_talks(db: Database, conference_id: int, new: Sequence[_Wanted]) -> None:
    if not new:
        return
    first = await next_id(db, "talks")
    numbered = list(enumerate(new, start=first))
    await db.execute_many(
        f"INSERT INTO talks(id, conference_id, {_TALK_COLUMNS}) "
        f"VALUES ({', '.join('?' * (2 + len(_TALK_COLUMNS.split(','))))})",
        [(talk_id, conference_id, *want.row) for talk_id, want in numbered],
    )
    await db.execute(
        "INSERT INTO meta(key, value) VALUES ('next_talks_id', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (str(first + len(new)),),
    )
    await _write_dependents(db, numbered)


async def _write_dependents(db: Database, talks: Sequence[tuple[int, _Wanted]]) -> None:
    """Speakers, nuggets and search rows of talks whose own rows were just written."""
    names = await speaker_ids(db, [want.talk for _, want in talks])
    await db.execute_many(
        "INSERT INTO talk_speakers(talk_id, speaker_id, position) VALUES (?, ?, ?)",
        [
            (talk_id, names[speaker.name.casefold()], position)
            for talk_id, want in talks
            for position, speaker in enumerate(want.talk.speakers)
        ],
    )
    await db.execute_many(
        "INSERT INTO nuggets(key, talk_id, position, text, speaker, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(n[0], talk_id, *n[1:]) for talk_id, want in talks for n in want.nuggets],
    )
    ids = [talk_id for talk_id, _ in talks]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await db.execute(
            "INSERT INTO nugget_search(rowid, text, speaker) SELECT id, text, speaker "
            f"FROM nuggets WHERE talk_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
            chunk,
        )
    await db.execute_many(
        "INSERT INTO talk_search(rowid, title, speakers, summary, nuggets, transcript) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                talk_id,
                want.talk.title,
                " ".join(want.talk.speaker_names) or (want.talk.speaker_note or ""),
                searchable_summary(want.talk),
                "\n".join(n.text for n in want.talk.nuggets),
                want.talk.transcript or "",
            )
            for talk_id, want in talks
        ],
    )
    await db.execute_many(
        "INSERT INTO cue_search(rowid, text, talk_id, start_ms) VALUES (?, ?, ?, ?)",
        [
            (cue_rowid(talk_id, n), text, talk_id, start)
            for talk_id, want in talks
            for n, (text, start) in enumerate(want.cues)
        ],
    )
