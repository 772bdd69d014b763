"""Read queries over the talk records. All SQL the command core needs lives here.

Each function is one aiosqlite call (one thread hop) where it can be. Full-text queries take a
ready-made FTS5 expression from `fts_expression`, which quotes every user word, so user text
is never spliced into SQL or into FTS5 syntax.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot.answer import HIGHLIGHT_END, HIGHLIGHT_START
from bot.store.db import Database

MAX_FTS_WORDS = 12
_WORD = re.compile(r"\w+", re.UNICODE)

# bm25 weights for talk_search columns: title, speakers, summary, nuggets, transcript.
TALK_WEIGHTS = (10.0, 8.0, 3.0, 2.0, 0.5)


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


@dataclass(frozen=True)
class SearchHit:
    talk: TalkLabel
    snippet: str
    rank: float
    at_ms: int | None


def fts_expression(text: str, *, prefix_last: bool = False, any_word: bool = False) -> str:
    """Quote each word of `text` as an FTS5 string; '' when there is no word at all."""
    words = _WORD.findall(text)[:MAX_FTS_WORDS]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    if prefix_last:
        quoted[-1] += "*"
    return (" OR " if any_word else " ").join(quoted)


_TALK_COLUMNS = """
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


def _talk(row: aiosqlite.Row, nuggets: Sequence[NuggetView] = ()) -> TalkView:
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
        f"SELECT {_TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
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
    by_id = {int(row["id"]): _talk(row, nuggets.get(int(row["id"]), [])) for row in rows}
    return [by_id[talk_id] for talk_id in talk_ids if talk_id in by_id]


async def talk_ids_by_kind(db: Database, kind: str, conference: str | None = None) -> list[int]:
    rows = await db.fetch_all(
        "SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.kind = ? AND (? = '' OR c.slug = ?) ORDER BY t.id",
        (kind, conference or "", conference or ""),
    )
    return [int(row[0]) for row in rows]


LABEL_COLUMNS = """
    t.id, c.slug || '/' || t.slug AS ref, t.title,
    (SELECT group_concat(s.name, char(31)) FROM
        (SELECT s.name FROM talk_speakers ts JOIN speakers s ON s.id = ts.speaker_id
         WHERE ts.talk_id = t.id ORDER BY ts.position) s) AS speaker_names,
    c.name AS conference_name
"""


def _label(row: aiosqlite.Row, score: float = 0.0) -> TalkLabel:
    names = str(row["speaker_names"]).split("\x1f") if row["speaker_names"] else []
    return TalkLabel(
        id=int(row["id"]),
        ref=str(row["ref"]),
        title=str(row["title"]),
        speakers=tuple(names),
        conference_name=str(row["conference_name"]),
        score=score,
    )


_WEIGHTS = ", ".join(str(w) for w in TALK_WEIGHTS)

# The statements below are module constants so that bench/core.py times exactly these
# against plain sqlite3.

# Rank inside FTS5 first (materialized), then label only the few best: joining before the
# LIMIT would label every match.
RANK_TALKS_SQL = (
    f"WITH ranked AS MATERIALIZED (SELECT rowid, bm25(talk_search, {_WEIGHTS}) AS score "
    "FROM talk_search WHERE talk_search MATCH ?1 AND (?2 = '' OR rowid IN "
    "(SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
    "WHERE c.slug = ?2)) ORDER BY score LIMIT ?3) "
    f"SELECT {LABEL_COLUMNS}, ranked.score FROM ranked JOIN talks t ON t.id = ranked.rowid "
    "JOIN conferences c ON c.id = t.conference_id ORDER BY ranked.score"
)


async def rank_talks(
    db: Database, expression: str, *, conference: str | None = None, limit: int = 5
) -> list[TalkLabel]:
    """Talks matching an FTS5 expression, best first, labelled: one query, one thread hop."""
    if not expression:
        return []
    rows = await db.fetch_all(RANK_TALKS_SQL, (expression, conference or "", limit))
    return [_label(row, float(row["score"])) for row in rows]


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
    by_id = {int(row["id"]): _label(row) for row in rows}
    return [by_id[talk_id] for talk_id in talk_ids if talk_id in by_id]


async def talk_titles(db: Database) -> list[tuple[int, str, str, str]]:
    """(talk id, title, conference slug, talk slug) for every talk."""
    rows = await db.fetch_all(
        "SELECT t.id, t.title, c.slug, t.slug FROM talks t "
        "JOIN conferences c ON c.id = t.conference_id ORDER BY t.id",
    )
    return [(int(row[0]), str(row[1]), str(row[2]), str(row[3])) for row in rows]


async def vocabulary(db: Database) -> list[str]:
    """Every distinct (stemmed) word of the talk index: the spelling corrector's dictionary."""
    rows = await db.fetch_all("SELECT term FROM talk_vocabulary WHERE term GLOB '[a-z]*'")
    return [str(row[0]) for row in rows]


_IN_CONFERENCE = (
    "(:conference = '' OR rowid IN (SELECT t.id FROM talks t JOIN conferences c "
    "ON c.id = t.conference_id WHERE c.slug = :conference))"
)


# Rank and snip in FTS5 alone: joining here would make SQLite build every match's snippet
# before sorting (measured 10x slower); the labels come from a second query.
SEARCH_SQL = (
    f"SELECT rowid, bm25(talk_search, {_WEIGHTS}) AS score, "
    f"snippet(talk_search, -1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24) AS snip, "
    f"(SELECT count(*) FROM talk_search WHERE talk_search MATCH :expression AND "
    f"{_IN_CONFERENCE}) AS total FROM talk_search WHERE talk_search MATCH :expression "
    f"AND {_IN_CONFERENCE} ORDER BY score LIMIT :limit OFFSET :offset"
)


async def search_talks(
    db: Database,
    expression: str,
    *,
    limit: int,
    offset: int = 0,
    timed: bool = True,
    conference: str | None = None,
) -> tuple[list[SearchHit], int]:
    """Ranked full-text hits with a highlighted snippet each, and the total hit count.

    One query labels the hits; a second, only when `timed` (some talk has timed transcript
    cues), finds where in each talk the words are said.
    """
    if not expression:
        return [], 0
    params = {
        "expression": expression,
        "limit": limit,
        "offset": offset,
        "conference": conference or "",
    }
    rows = await db.fetch_all(SEARCH_SQL, params)
    if not rows:  # no match at all, or a page past the last one: say which
        count = await db.fetch_one(
            "SELECT count(*) FROM talk_search WHERE talk_search MATCH :expression "
            f"AND {_IN_CONFERENCE}",
            {"expression": expression, "conference": conference or ""},
        )
        return [], int(count[0]) if count else 0
    total = int(rows[0]["total"])
    labels = {label.id: label for label in await talk_labels(db, [int(r[0]) for r in rows])}
    ids = [int(row[0]) for row in rows if int(row[0]) in labels]
    cue_times = await _first_cue_times(db, expression, ids) if timed else {}
    hits = [
        SearchHit(
            talk=labels[int(row[0])],
            snippet=str(row["snip"]),
            rank=float(row["score"]),
            at_ms=cue_times.get(int(row[0])),
        )
        for row in rows
        if int(row[0]) in labels
    ]
    return hits, total


async def has_timed_transcripts(db: Database) -> bool:
    return await db.fetch_one("SELECT 1 FROM cue_search LIMIT 1") is not None


async def _first_cue_times(db: Database, expression: str, talk_ids: list[int]) -> dict[int, int]:
    """For talks with timed transcripts: where in the talk the first matching cue is."""
    marks = ",".join("?" * len(talk_ids))
    rows = await db.fetch_all(
        f"SELECT talk_id, min(start_ms) FROM cue_search WHERE cue_search MATCH ? "
        f"AND talk_id IN ({marks}) GROUP BY talk_id",
        [expression, *talk_ids],
    )
    return {int(row[0]): int(row[1]) for row in rows}


SPEAKERS_MATCHING_SQL = (
    "SELECT id, name FROM speakers WHERE folded = ?1 "
    "OR folded LIKE ?2 ESCAPE '\\' OR folded LIKE ?3 ESCAPE '\\' "
    "ORDER BY folded = ?1 DESC, name LIMIT ?4"
)


async def speakers_matching(db: Database, name: str, limit: int = 10) -> list[tuple[int, str]]:
    """Speakers whose full name equals `name`, or any of whose name words starts with it."""
    folded = name.casefold()
    rows = await db.fetch_all(
        SPEAKERS_MATCHING_SQL, (folded, _like_prefix(folded), "% " + _like_prefix(folded), limit)
    )
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


# min() and max() in separate subqueries: each is then a single index probe.
RANDOM_NUGGET_SQL = (
    f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} WHERE n.id >= "
    "(SELECT min(id) FROM nuggets) + CAST(? * ((SELECT max(id) FROM nuggets) - "
    "(SELECT min(id) FROM nuggets)) AS INTEGER) ORDER BY n.id LIMIT 1"
)


async def random_nugget(db: Database, fraction: float) -> NuggetView | None:
    """The first nugget at or after `fraction` (0..1) of the id range: one indexed lookup."""
    row = await db.fetch_one(RANDOM_NUGGET_SQL, (fraction,))
    return _nugget(row) if row else None


async def nugget_ids_for_speakers(db: Database, speaker_ids: Sequence[int]) -> list[int]:
    """Nuggets said by these speakers, or credited to a talk they gave."""
    marks = ",".join("?" * len(speaker_ids))
    rows = await db.fetch_all(
        f"SELECT n.id FROM nuggets n WHERE n.talk_id IN "
        f"(SELECT talk_id FROM talk_speakers WHERE speaker_id IN ({marks})) "
        f"OR n.speaker IN (SELECT name FROM speakers WHERE id IN ({marks})) ORDER BY n.id",
        [*speaker_ids, *speaker_ids],
    )
    return [int(row[0]) for row in rows]


async def nugget_ids_for_talks(db: Database, talk_ids: Sequence[int]) -> list[int]:
    marks = ",".join("?" * len(talk_ids))
    rows = await db.fetch_all(
        f"SELECT id FROM nuggets WHERE talk_id IN ({marks}) ORDER BY id", list(talk_ids)
    )
    return [int(row[0]) for row in rows]


async def nugget_ids_matching(db: Database, expression: str, limit: int = 200) -> list[int]:
    if not expression:
        return []
    rows = await db.fetch_all(
        "SELECT rowid FROM nugget_search WHERE nugget_search MATCH ? ORDER BY rank LIMIT ?",
        (expression, limit),
    )
    return [int(row[0]) for row in rows]


async def nugget_by_id(db: Database, nugget_id: int) -> NuggetView | None:
    row = await db.fetch_one(
        f"SELECT {_NUGGET_COLUMNS} FROM {_NUGGET_FROM} WHERE n.id = ?", (nugget_id,)
    )
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


def _like_prefix(text: str) -> str:
    return _like_escape(text) + "%"


async def scheduled_talks(
    db: Database,
    *,
    starts_before: str,
    ends_after: str | None = None,
    starts_after: str | None = None,
    conference: str | None = None,
    room: str = "",
    limit: int = 50,
    exact_room: bool = False,
) -> list[TalkView]:
    """Timed talks, in start order, filtered by UTC text bounds (see content.utc_text):
    `ends_after` keeps talks still running then, `starts_after` keeps talks starting then or
    later; `room` is a case-insensitive part of the room name (the whole name when
    `exact_room`)."""
    rows = await db.fetch_all(
        f"SELECT {_TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.starts_utc IS NOT NULL AND t.starts_utc < ?1 "
        "AND (?2 IS NULL OR t.ends_utc > ?2) AND (?3 IS NULL OR t.starts_utc >= ?3) "
        "AND (?4 = '' OR c.slug = ?4) "
        "AND (?5 = '' OR t.room LIKE ?5 ESCAPE '\\') "
        "ORDER BY t.starts_utc, t.room, t.id LIMIT ?6",
        (
            starts_before,
            ends_after,
            starts_after,
            conference or "",
            _room_pattern(room, exact_room),
            limit,
        ),
    )
    return [_talk(row) for row in rows]


@dataclass(frozen=True)
class ScheduledConference:
    slug: str
    name: str
    timezone: str | None
    first_start: datetime
    last_end: datetime
    longest_talk: timedelta
    first_offset: timedelta | None = None  # the UTC offset the schedule gave its first talk
    # The first and last schedule days the export filed talks under (None without days).
    first_day: date | None = None
    last_day: date | None = None


async def scheduled_conferences(db: Database) -> list[ScheduledConference]:
    """Conferences that have timed talks, with the span of their programme (index lookups)."""
    rows = await db.fetch_all(
        "SELECT slug, name, timezone, longest_talk_seconds, "
        "(SELECT min(starts_utc) FROM talks WHERE conference_id = c.id) AS first_start, "
        "(SELECT max(ends_utc) FROM talks WHERE conference_id = c.id) AS last_end, "
        "(SELECT starts_at FROM talks WHERE conference_id = c.id AND starts_utc IS NOT NULL "
        "ORDER BY starts_utc LIMIT 1) AS first_local, "
        "(SELECT min(schedule_day) FROM talks WHERE conference_id = c.id) AS first_day, "
        "(SELECT max(schedule_day) FROM talks WHERE conference_id = c.id) AS last_day "
        "FROM conferences c WHERE first_start IS NOT NULL ORDER BY first_start",
    )
    return [
        ScheduledConference(
            slug=str(row["slug"]),
            name=str(row["name"]),
            timezone=row["timezone"],
            first_start=datetime.fromisoformat(row["first_start"]),
            last_end=datetime.fromisoformat(row["last_end"]),
            longest_talk=timedelta(seconds=int(row["longest_talk_seconds"])),
            first_offset=datetime.fromisoformat(row["first_local"]).utcoffset(),
            first_day=date.fromisoformat(row["first_day"]) if row["first_day"] else None,
            last_day=date.fromisoformat(row["last_day"]) if row["last_day"] else None,
        )
        for row in rows
    ]


async def day_talks(
    db: Database,
    *,
    day: str,
    starts_after: str,
    starts_before: str,
    conference: str,
    room: str = "",
    exact_room: bool = False,
    limit: int = 50,
) -> list[TalkView]:
    """The talks of one schedule day (ISO date), in start order: those the export filed
    under that day, and talks with no schedule day that start in [starts_after,
    starts_before) (UTC text bounds)."""
    rows = await db.fetch_all(
        f"SELECT {_TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ?1 AND t.starts_utc IS NOT NULL AND (t.schedule_day = ?2 OR "
        "(t.schedule_day IS NULL AND t.starts_utc >= ?3 AND t.starts_utc < ?4)) "
        "AND (?5 = '' OR t.room LIKE ?5 ESCAPE '\\') "
        "ORDER BY t.starts_utc, t.room, t.id LIMIT ?6",
        (conference, day, starts_after, starts_before, _room_pattern(room, exact_room), limit),
    )
    return [_talk(row) for row in rows]


async def day_last_end(db: Database, *, conference: str, day: str) -> datetime | None:
    """When the last talk filed under schedule day `day` (ISO date) ends, if any is."""
    row = await db.fetch_one(
        "SELECT max(t.ends_utc) FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ?1 AND t.schedule_day = ?2",
        (conference, day),
    )
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def next_per_room(
    db: Database,
    *,
    after: str,
    conference: str | None,
    room: str,
    limit: int,
    exact_room: bool = False,
) -> list[TalkView]:
    """The first talk starting at or after `after` in each room, in start order."""
    rows = await db.fetch_all(
        f"SELECT {_TALK_COLUMNS} FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.id IN (SELECT id FROM (SELECT t2.id, row_number() OVER "
        "(PARTITION BY coalesce(t2.room, '') ORDER BY t2.starts_utc, t2.id) AS place "
        "FROM talks t2 JOIN conferences c2 ON c2.id = t2.conference_id "
        "WHERE t2.starts_utc >= ?1 AND (?2 = '' OR c2.slug = ?2) "
        "AND (?3 = '' OR t2.room LIKE ?3 ESCAPE '\\')) WHERE place = 1) "
        "ORDER BY t.starts_utc, t.room LIMIT ?4",
        (after, conference or "", _room_pattern(room, exact_room), limit),
    )
    return [_talk(row) for row in rows]


def _room_pattern(room: str, exact: bool) -> str:
    """The LIKE pattern for a room filter ('' for none): the whole name, or any part."""
    if not room:
        return ""
    return _like_escape(room) if exact else f"%{_like_escape(room)}%"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def rooms(db: Database, conference: str | None = None) -> list[str]:
    """The rooms of the timed talks (of one conference, by slug, if given), by name."""
    rows = await db.fetch_all(
        "SELECT DISTINCT t.room FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.starts_utc IS NOT NULL AND t.room IS NOT NULL AND t.room != '' "
        "AND (?1 = '' OR c.slug = ?1) ORDER BY t.room COLLATE NOCASE",
        (conference or "",),
    )
    return [str(row[0]) for row in rows]
