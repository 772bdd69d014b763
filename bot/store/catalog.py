"""The catalog: talks, speakers and nuggets read by id, slug, kind or name, as frozen views.

Each function is one aiosqlite call (one thread hop) where it can be.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.frozen import build
from bot.store.db import Database


def scope_json(conferences: Sequence[str]) -> str:
    """The conferences a read is narrowed to, as the JSON array its statement reads with
    json_each; '[]' (no conference named) reads every conference."""
    return json.dumps(sorted(set(conferences)))


def in_scope(param: str, column: str = "c.slug") -> str:
    """SQL that is true when `column` is one of the JSON array bound to `param` ('[]': any)."""
    return f"({param} = '[]' OR {column} IN (SELECT value FROM json_each({param})))"


@dataclass(frozen=True)
class NuggetView:
    id: int
    key: str
    text: str
    speaker: str | None
    source: str
    talk_id: int
    talk_title: str
    talk_ref: str
    conference_name: str


@dataclass(frozen=True)
class TalkView:
    id: int
    ref: str
    slug: str
    title: str
    kind: str
    summary: str
    speakers: tuple[str, ...]
    speaker_note: str | None
    conference_slug: str
    conference_name: str
    conference_timezone: str | None
    url: str | None
    source: str | None
    has_transcript: bool
    transcript_source: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    room: str | None
    track: str | None
    language: str | None
    links: tuple[str, ...]
    nuggets: tuple[NuggetView, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class SpeakerView:
    id: int
    name: str
    biography: str | None
    talks: tuple[TalkView, ...]


@dataclass(frozen=True)
class TalkLabel:
    """Just enough of a talk to offer it as a choice; `score` is its bm25 score (lower is
    better, negative) when it came from a full-text query."""

    id: int
    ref: str
    title: str
    speakers: tuple[str, ...]
    conference_name: str
    score: float = 0.0


TALK_COLUMNS = """
    t.id, c.slug || '/' || t.slug AS ref, t.slug, t.title, t.kind, t.summary,
    (SELECT group_concat(s.name, char(31)) FROM
        (SELECT s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id
         WHERE ts.talk_id = t.id ORDER BY ts.position) s) AS speaker_names,
    t.speaker_note, c.slug AS conference_slug, c.name AS conference_name,
    c.timezone AS conference_timezone, t.url, t.source, t.transcript IS NOT NULL AS has_transcript,
    t.transcript_source, t.starts_at, t.ends_at, t.room, t.track, t.language, t.links,
    t.description
"""


_NUGGET_COLUMNS = """
    n.id, n.key, n.text, n.speaker, n.source, n.talk_id, t.title AS talk_title,
    c.slug || '/' || t.slug AS talk_ref, c.name AS conference_name
"""


_NUGGET_FROM = (
    "nuggets n JOIN talks t ON t.id = n.talk_id JOIN conferences c ON c.id = t.conference_id"
)


def talk_of(row: aiosqlite.Row, nuggets: Sequence[NuggetView] = ()) -> TalkView:
    names = str(row["speaker_names"]).split("\x1f") if row["speaker_names"] else []
    return TalkView(
        id=int(row["id"]),
        ref=str(row["ref"]),
        slug=str(row["slug"]),
        title=str(row["title"]),
        kind=str(row["kind"]),
        summary=str(row["summary"]),
        speakers=tuple(names),
        speaker_note=row["speaker_note"],
        conference_slug=str(row["conference_slug"]),
        conference_name=str(row["conference_name"]),
        conference_timezone=row["conference_timezone"],
        url=row["url"],
        source=row["source"],
        has_transcript=bool(row["has_transcript"]),
        transcript_source=row["transcript_source"],
        starts_at=datetime.fromisoformat(row["starts_at"]) if row["starts_at"] else None,
        ends_at=datetime.fromisoformat(row["ends_at"]) if row["ends_at"] else None,
        room=row["room"],
        track=row["track"],
        language=row["language"],
        links=tuple(json.loads(row["links"] or "[]")),
        nuggets=tuple(nuggets),
        description=row["description"],
    )


def _nugget(row: aiosqlite.Row) -> NuggetView:
    return NuggetView(
        id=int(row["id"]),
        key=str(row["key"]),
        text=str(row["text"]),
        speaker=row["speaker"],
        source=str(row["source"]),
        talk_id=int(row["talk_id"]),
        talk_title=str(row["talk_title"]),
        talk_ref=str(row["talk_ref"]),
        conference_name=str(row["conference_name"]),
    )


async def talks_by_ids(
    db: Database, talk_ids: Sequence[int], *, with_nuggets: bool = False
) -> list[TalkView]:
    """The talks with these ids, in the order given."""
    if not talk_ids:
        return []
    marks = ",".join("?" * len(talk_ids))
    rows = await db.fetch_all(
        f"SELECT {TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        f"WHERE t.id IN ({marks})",
        list(talk_ids),
    )
    nuggets: dict[int, list[NuggetView]] = {}
    if with_nuggets:
        for nugget_row in await db.fetch_all(
            f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} WHERE n.talk_id IN ({marks}) "
            "ORDER BY n.talk_id, n.position",
            list(talk_ids),
        ):
            nugget = _nugget(nugget_row)
            nuggets.setdefault(nugget.talk_id, []).append(nugget)
    by_id = {int(row["id"]): talk_of(row, nuggets.get(int(row["id"]), [])) for row in rows}
    return [by_id[talk_id] for talk_id in talk_ids if talk_id in by_id]


async def talk_ids_by_kind(db: Database, kind: str, conferences: Sequence[str] = ()) -> list[int]:
    """Talks of this kind (of these conferences, when any are named), in id order."""
    rows = await db.fetch_all(
        "SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
        f"WHERE t.kind = ?1 AND {in_scope('?2')} ORDER BY t.id",
        (kind, scope_json(conferences)),
    )
    return [int(row[0]) for row in rows]


LABEL_COLUMNS = """
    t.id, c.slug || '/' || t.slug AS ref, t.title,
    (SELECT group_concat(s.name, char(31)) FROM
        (SELECT s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id
         WHERE ts.talk_id = t.id ORDER BY ts.position) s) AS speaker_names,
    c.name AS conference_name
"""


def label_of(row: aiosqlite.Row, score: float = 0.0) -> TalkLabel:
    """A row that starts with LABEL_COLUMNS as a label (by position: up to 25 a command)."""
    names = row[3]
    return build(
        TalkLabel,
        id=int(row[0]),
        ref=str(row[1]),
        title=str(row[2]),
        speakers=tuple(str(names).split("\x1f")) if names else (),
        conference_name=str(row[4]),
        score=score,
    )


async def talk_labels(db: Database, talk_ids: Sequence[int]) -> list[TalkLabel]:
    """Labels for these talks, in the order given."""
    if not talk_ids:
        return []
    marks = ",".join("?" * len(talk_ids))
    rows = await db.fetch_all(
        f"SELECT {LABEL_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        f"WHERE t.id IN ({marks})",
        list(talk_ids),
    )
    by_id = {label.id: label for label in map(label_of, rows)}
    return [by_id[talk_id] for talk_id in talk_ids if talk_id in by_id]


async def talk_titles(db: Database) -> list[tuple[int, str, str, str]]:
    """(talk id, title, conference slug, talk slug) for every talk."""
    rows = await db.fetch_all(
        "SELECT t.id, t.title, c.slug, t.slug FROM talks t "
        "JOIN conferences c ON c.id = t.conference_id ORDER BY t.id",
    )
    return [(int(row[0]), str(row[1]), str(row[2]), str(row[3])) for row in rows]


_SPEAKERS_MATCHING = (
    "SELECT id, name FROM speakers WHERE (folded = ?1 "
    "OR folded LIKE ?2 ESCAPE '\\' OR folded LIKE ?3 ESCAPE '\\') "
    "{scope}ORDER BY folded = ?1 DESC, name LIMIT ?4"
)
# Of some conferences: a speaker who gave one of their talks, asked only of the speakers whose
# names match (so a lookup reads their talks, not every talk of the conferences).
SCOPED_SPEAKERS_MATCHING_SQL = _SPEAKERS_MATCHING.format(
    scope="AND EXISTS (SELECT 1 FROM talk_speakers ts JOIN talks t ON t.id = ts.talk_id "
    "JOIN conferences c ON c.id = t.conference_id WHERE ts.speaker_id = speakers.id "
    "AND c.slug IN (SELECT value FROM json_each(?5))) "
)
SPEAKERS_MATCHING_SQL = _SPEAKERS_MATCHING.format(scope="")


async def speakers_matching(
    db: Database, name: str, limit: int = 10, conferences: Sequence[str] = ()
) -> list[tuple[int, str]]:
    """Speakers whose full name equals `name`, or any of whose name words starts with it
    (who spoke at one of `conferences`, when any are named)."""
    folded = name.casefold()
    params: tuple[object, ...] = (folded, like_prefix(folded), "% " + like_prefix(folded), limit)
    if conferences:
        rows = await db.fetch_all(SCOPED_SPEAKERS_MATCHING_SQL, (*params, scope_json(conferences)))
    else:
        rows = await db.fetch_all(SPEAKERS_MATCHING_SQL, params)
    return [(int(row[0]), str(row[1])) for row in rows]


async def speaker_summaries(db: Database, speaker_ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(id, name, their talk titles joined by ', ') for several speakers in one query."""
    if not speaker_ids:
        return []
    marks = ",".join("?" * len(speaker_ids))
    rows = await db.fetch_all(
        "SELECT s.id, s.name, (SELECT group_concat(t.title, ', ') FROM talk_speakers ts "
        "JOIN talks t ON t.id = ts.talk_id WHERE ts.speaker_id = s.id) "
        f"FROM speakers s WHERE s.id IN ({marks})",
        list(speaker_ids),
    )
    by_id = {int(row[0]): (int(row[0]), str(row[1]), str(row[2] or "")) for row in rows}
    return [by_id[i] for i in speaker_ids if i in by_id]


async def speaker_names(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetch_all("SELECT id, name FROM speakers ORDER BY name")
    return [(int(row[0]), str(row[1])) for row in rows]


async def speaker_conferences(db: Database) -> dict[int, frozenset[str]]:
    """Each speaker's id -> the slugs of the conferences they spoke at."""
    rows = await db.fetch_all(
        "SELECT DISTINCT ts.speaker_id, c.slug FROM talk_speakers ts "
        "JOIN talks t ON t.id = ts.talk_id JOIN conferences c ON c.id = t.conference_id"
    )
    found: dict[int, set[str]] = {}
    for row in rows:
        found.setdefault(int(row[0]), set()).add(str(row[1]))
    return {speaker: frozenset(slugs) for speaker, slugs in found.items()}


async def speaker_by_id(db: Database, speaker_id: int) -> SpeakerView | None:
    row = await db.fetch_one("SELECT id, name, biography FROM speakers WHERE id = ?", (speaker_id,))
    if row is None:
        return None
    talk_rows = await db.fetch_all(
        "SELECT talk_id FROM talk_speakers ts JOIN talks t ON t.id = ts.talk_id "
        "WHERE speaker_id = ? ORDER BY t.starts_at, t.id",
        (speaker_id,),
    )
    talks = await talks_by_ids(db, [int(r[0]) for r in talk_rows])
    return SpeakerView(int(row[0]), str(row[1]), row[2], tuple(talks))


async def nugget_ids_of(db: Database, conferences: Sequence[str]) -> list[int]:
    """The ids of every nugget of these conferences' talks (() for every conference), in id
    order."""
    if not conferences:
        rows = await db.fetch_all("SELECT id FROM nuggets ORDER BY id", own_budget=True)
        return [int(row[0]) for row in rows]
    rows = await db.fetch_all(
        "SELECT n.id FROM nuggets n JOIN talks t ON t.id = n.talk_id "
        "JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug IN (SELECT value FROM json_each(?)) ORDER BY n.id",
        (scope_json(conferences),),
    )
    return [int(row[0]) for row in rows]


async def nugget_ids_for_speakers(
    db: Database, speaker_ids: Sequence[int], conferences: Sequence[str] = ()
) -> list[int]:
    """Nuggets said by these speakers, or credited to a talk they gave (from a talk of one
    of `conferences`, when any are named)."""
    marks = ",".join("?" * len(speaker_ids))
    scope = f"?{2 * len(speaker_ids) + 1}"
    rows = await db.fetch_all(
        "SELECT n.id FROM nuggets n JOIN talks t ON t.id = n.talk_id "
        "JOIN conferences c ON c.id = t.conference_id WHERE (n.talk_id IN "
        f"(SELECT talk_id FROM talk_speakers WHERE speaker_id IN ({marks})) "
        f"OR n.speaker IN (SELECT name FROM speakers WHERE id IN ({marks}))) "
        f"AND {in_scope(scope)} ORDER BY n.id",
        [*speaker_ids, *speaker_ids, scope_json(conferences)],
    )
    return [int(row[0]) for row in rows]


async def nugget_ids_for_talks(db: Database, talk_ids: Sequence[int]) -> list[int]:
    marks = ",".join("?" * len(talk_ids))
    rows = await db.fetch_all(
        f"SELECT id FROM nuggets WHERE talk_id IN ({marks}) ORDER BY id", list(talk_ids)
    )
    return [int(row[0]) for row in rows]


NUGGET_BY_ID_SQL = f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} WHERE n.id = ?"


async def nugget_by_id(db: Database, nugget_id: int) -> NuggetView | None:
    row = await db.fetch_one(NUGGET_BY_ID_SQL, (nugget_id,))
    return _nugget(row) if row else None


async def counts(db: Database) -> dict[str, int]:
    row = await db.fetch_one(
        "SELECT (SELECT count(*) FROM conferences), (SELECT count(*) FROM talks), "
        "(SELECT count(*) FROM speakers), (SELECT count(*) FROM nuggets)"
    )
    assert row is not None
    return {
        "conferences": int(row[0]),
        "talks": int(row[1]),
        "speakers": int(row[2]),
        "nuggets": int(row[3]),
    }


def like_prefix(text: str) -> str:
    return like_escape(text) + "%"


# SQLite refuses a LIKE pattern over 50,000 bytes ("pattern too complex"); callers cap their
# arguments (bot/text.py), and this keeps any pattern built here well under that.
MAX_LIKE_TEXT = 1000


def like_escape(text: str) -> str:
    """`text` as a literal inside a LIKE pattern with ESCAPE '\\' (no wildcards), capped."""
    text = text[:MAX_LIKE_TEXT]
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
