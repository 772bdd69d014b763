"""Community nuggets in the store (migration 11): submissions, the review queue, and the
approved ones every load and re-import merges into their talks.

State, never touched by a load: a submission is keyed to its talk by conference slug and
the talk's guid (else its slug), so a reload that re-creates the talks finds it again.
An approved nugget is also written into the content tables (`nuggets`, `nugget_search`,
`talk_search`), so /nugget, search and daily wisdom see it with no change; every load and
re-import adds it back to its talk's records before they are stored (`with_community`), so
an identical re-import still writes nothing. Persistence only: the rules are
bot/nugget_rules.py, the queue's operations bot/commands/nugget_queue.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import aiosqlite

from bot.nugget_rules import normalised
from bot.records import Nugget, Talk
from bot.store.db import Database
from bot.store.search import fts_expression

SOURCES = {"discord": "Discord", "slack": "Slack"}


def source_of(frontend: str) -> str:
    """The `source` an approved nugget is stored and exported with."""
    return f"Community submission ({SOURCES.get(frontend, 'confbot')})"


class DuplicateNugget(Exception):
    """The same words (bot.nugget_rules.normalised) are already in the queue or the pool."""


@dataclass(frozen=True)
class TalkRef:
    """The talk a submission belongs to, as the store keeps it across reloads."""

    conference_slug: str
    talk_slug: str
    guid: str | None
    title: str = ""

    @property
    def ref(self) -> str:
        return f"{self.conference_slug}/{self.talk_slug}"


@dataclass(frozen=True)
class Submission:
    """One submitted nugget, as the review queue shows it."""

    id: int
    status: str
    text: str
    speaker: str | None
    talk: TalkRef | None
    frontend: str
    submitter: str
    submitted_by: str
    link: str | None
    submitted_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    talk_id: int | None  # the talk as loaded now (None while it is not)


_COLUMNS = """
    s.id, s.status, s.text, s.speaker, s.conference_slug, s.talk_slug, s.talk_guid, s.frontend,
    s.submitter, s.submitted_by, s.link, s.submitted_at, s.reviewed_by, s.reviewed_at,
    t.id AS talk_id, t.title AS talk_title
"""
# The talk a submission names, as loaded now: by guid when it has one, else by slug (one
# indexed lookup each, per submission; never a scan of the conference's talks).
_FROM = """
    community_nuggets s
    LEFT JOIN talks t ON t.id = coalesce(
        CASE WHEN s.talk_guid IS NOT NULL THEN (
            SELECT g.id FROM talks g JOIN conferences gc ON gc.id = g.conference_id
            WHERE gc.slug = s.conference_slug AND g.guid = s.talk_guid) END,
        (SELECT l.id FROM talks l JOIN conferences lc ON lc.id = l.conference_id
         WHERE lc.slug = s.conference_slug AND l.slug = s.talk_slug))
"""


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _submission(row: aiosqlite.Row) -> Submission:
    talk = None
    if row["conference_slug"]:
        talk = TalkRef(
            str(row["conference_slug"]),
            str(row["talk_slug"]),
            row["talk_guid"],
            str(row["talk_title"] or ""),
        )
    return Submission(
        id=int(row["id"]),
        status=str(row["status"]),
        text=str(row["text"]),
        speaker=row["speaker"],
        talk=talk,
        frontend=str(row["frontend"]),
        submitter=str(row["submitter"]),
        submitted_by=str(row["submitted_by"]),
        link=row["link"],
        submitted_at=datetime.fromisoformat(str(row["submitted_at"])),
        reviewed_by=row["reviewed_by"],
        reviewed_at=datetime.fromisoformat(str(row["reviewed_at"])) if row["reviewed_at"] else None,
        talk_id=int(row["talk_id"]) if row["talk_id"] is not None else None,
    )


async def talk_ref(db: Database, talk_id: int) -> TalkRef | None:
    row = await db.fetch_one(
        "SELECT c.slug, t.slug, t.guid, t.title FROM talks t "
        "JOIN conferences c ON c.id = t.conference_id WHERE t.id = ?",
        (talk_id,),
    )
    return TalkRef(str(row[0]), str(row[1]), row[2], str(row[3])) if row else None


async def add(
    db: Database,
    *,
    text: str,
    speaker: str | None,
    talk: TalkRef | None,
    frontend: str,
    submitter: str,
    submitted_by: str,
    link: str | None,
    at: datetime,
) -> int:
    """Queue a submission; its id. DuplicateNugget when the same words are queued or in the
    pool already (checked and written in one transaction)."""
    key = normalised(text)
    async with db.transaction():
        if await _in_pool(db, text):
            raise DuplicateNugget(text)
        try:
            rows = await db.execute_returning(
                "INSERT INTO community_nuggets(conference_slug, talk_slug, talk_guid, text, "
                "normalised, speaker, frontend, submitter, submitted_by, link, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    talk.conference_slug if talk else None,
                    talk.talk_slug if talk else None,
                    talk.guid if talk else None,
                    text,
                    key,
                    speaker,
                    frontend,
                    submitter,
                    submitted_by,
                    link,
                    _utc(at),
                ),
            )
        except sqlite3.IntegrityError as error:
            raise DuplicateNugget(text) from error
    return int(rows[0][0])


async def _in_pool(db: Database, text: str) -> bool:
    """Whether a loaded nugget (from the data or approved) has the same words: the words are
    looked up in nugget_search, and the few candidates compared in their normal form."""
    key = normalised(text)
    expression = fts_expression(key)
    if not expression:
        return False
    rows = await db.fetch_all(
        "SELECT n.text FROM nugget_search JOIN nuggets n ON n.id = nugget_search.rowid "
        "WHERE nugget_search MATCH ? LIMIT 200",
        (expression,),
    )
    return any(normalised(str(row[0])) == key for row in rows)


async def duplicate_of(db: Database, text: str) -> Submission | None:
    """The queued or approved submission with the same words, if any."""
    row = await db.fetch_one(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.normalised = ? "
        "AND s.status IN ('pending', 'approved')",
        (normalised(text),),
    )
    return _submission(row) if row else None


async def submitted_since(db: Database, frontend: str, submitter: str, since: datetime) -> int:
    """How many submissions this user made since `since` (the rate limit)."""
    row = await db.fetch_one(
        "SELECT count(*) FROM community_nuggets WHERE frontend = ? AND submitter = ? "
        "AND submitted_at >= ?",
        (frontend, submitter, _utc(since)),
    )
    return int(row[0]) if row else 0


async def get(db: Database, submission_id: int) -> Submission | None:
    row = await db.fetch_one(f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.id = ?", (submission_id,))
    return _submission(row) if row else None


async def listed(
    db: Database, status: str = "pending", *, limit: int = 10, offset: int = 0
) -> tuple[list[Submission], int]:
    """Submissions with this status, oldest first, and how many there are in all."""
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM {_FROM} WHERE s.status = ? ORDER BY s.id LIMIT ? OFFSET ?",
        (status, limit, offset),
    )
    count = await db.fetch_one("SELECT count(*) FROM community_nuggets WHERE status = ?", (status,))
    return [_submission(row) for row in rows], int(count[0]) if count else 0


async def edit(
    db: Database, submission_id: int, *, text: str, speaker: str | None, talk: TalkRef | None
) -> bool:
    """Change a pending submission; False when it is not pending (any more).
    DuplicateNugget when the new words are queued or in the pool already."""
    async with db.transaction():
        current = await get(db, submission_id)
        if current is None or current.status != "pending":
            return False
        if normalised(text) != normalised(current.text) and await _in_pool(db, text):
            raise DuplicateNugget(text)
        try:
            changed = await db.execute(
                "UPDATE community_nuggets SET text = ?, normalised = ?, speaker = ?, "
                "conference_slug = ?, talk_slug = ?, talk_guid = ? "
                "WHERE id = ? AND status = 'pending'",
                (
                    text,
                    normalised(text),
                    speaker,
                    talk.conference_slug if talk else None,
                    talk.talk_slug if talk else None,
                    talk.guid if talk else None,
                    submission_id,
                ),
            )
        except sqlite3.IntegrityError as error:
            raise DuplicateNugget(text) from error
    return changed == 1


async def reject(db: Database, submission_id: int, *, by: str, at: datetime) -> bool:
    """Reject a pending submission; False when it is not pending."""
    changed = await db.execute(
        "UPDATE community_nuggets SET status = 'rejected', reviewed_by = ?, reviewed_at = ? "
        "WHERE id = ? AND status = 'pending'",
        (by, _utc(at), submission_id),
    )
    return changed == 1


async def approve(db: Database, submission_id: int, *, by: str, at: datetime) -> bool:
    """Approve a pending submission whose talk is loaded and put it in the pool at once:
    its row in `nuggets` (after the talk's own), its search rows. False when it is not
    pending or its talk is not loaded."""
    from bot.store.content import _bump_data_version  # content imports this module

    async with db.transaction():
        current = await get(db, submission_id)
        if current is None or current.status != "pending" or current.talk is None:
            return False
        if current.talk_id is None:
            return False
        await db.execute(
            "UPDATE community_nuggets SET status = 'approved', reviewed_by = ?, reviewed_at = ? "
            "WHERE id = ?",
            (by, _utc(at), submission_id),
        )
        if not await _talk_has(db, current.talk_id, current.text):
            await _add_to_talk(db, current.talk_id, current)
            await _bump_data_version(db)
    return True


async def _talk_has(db: Database, talk_id: int, text: str) -> bool:
    rows = await db.fetch_all("SELECT text FROM nuggets WHERE talk_id = ?", (talk_id,))
    return any(normalised(str(row[0])) == normalised(text) for row in rows)


async def _add_to_talk(db: Database, talk_id: int, submission: Submission) -> None:
    """The nugget's rows as a load would write them: position after the talk's nuggets, key
    from 'conference/slug' and the text (bot.records.Nugget.key)."""
    row = await db.fetch_one(
        "SELECT c.slug || '/' || t.slug, (SELECT coalesce(max(position) + 1, 0) FROM nuggets "
        "WHERE talk_id = t.id) FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE t.id = ?",
        (talk_id,),
    )
    assert row is not None
    nugget = Nugget(submission.text, submission.speaker, source_of(submission.frontend))
    rows = await db.execute_returning(
        "INSERT INTO nuggets(key, talk_id, position, text, speaker, source) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (nugget.key(str(row[0])), talk_id, int(row[1]), nugget.text, nugget.speaker, nugget.source),
    )
    await db.execute(
        "INSERT INTO nugget_search(rowid, text, speaker) VALUES (?, ?, ?)",
        (int(rows[0][0]), nugget.text, nugget.speaker),
    )
    await db.execute(
        "UPDATE talk_search SET nuggets = CASE WHEN nuggets = '' THEN ? "
        "ELSE nuggets || char(10) || ? END WHERE rowid = ?",
        (nugget.text, nugget.text, talk_id),
    )


async def with_community(db: Database, conference: str, talks: Sequence[Talk]) -> list[Talk]:
    """The talks as a load stores them: each with the approved community nuggets that name
    it (by guid, else slug) after its own, in the order they were approved; a nugget whose
    words the talk already has (an export loaded back) is not added twice."""
    rows = await db.fetch_all(
        "SELECT talk_slug, talk_guid, text, speaker, frontend FROM community_nuggets "
        "WHERE conference_slug = ? AND status = 'approved' ORDER BY reviewed_at, id",
        (conference,),
    )
    if not rows:
        return list(talks)
    by_guid: dict[str, list[aiosqlite.Row]] = {}
    by_slug: dict[str, list[aiosqlite.Row]] = {}
    for row in rows:
        if row["talk_guid"]:
            by_guid.setdefault(str(row["talk_guid"]), []).append(row)
        by_slug.setdefault(str(row["talk_slug"]), []).append(row)
    guids = {talk.guid for talk in talks if talk.guid}
    merged = []
    for talk in talks:
        found = by_guid.get(talk.guid or "", []) + [
            row
            for row in by_slug.get(talk.slug, [])
            if not row["talk_guid"] or row["talk_guid"] not in guids
        ]
        have = {normalised(n.text) for n in talk.nuggets}
        extra = []
        for row in found:
            if normalised(str(row["text"])) not in have:
                have.add(normalised(str(row["text"])))
                extra.append(Nugget(str(row["text"]), row["speaker"], source_of(row["frontend"])))
        merged.append(replace(talk, nuggets=talk.nuggets + tuple(extra)) if extra else talk)
    return merged


@dataclass(frozen=True)
class PoolNugget:
    """A nugget in the pool (from the data or approved), as a search of the pool finds it."""

    id: int
    text: str
    speaker: str | None
    source: str
    talk_ref: str
    talk_title: str


async def search_pool(db: Database, words: str, *, limit: int = 20) -> list[PoolNugget]:
    """Pool nuggets matching every word (all of them, newest first, for no words)."""
    expression = fts_expression(words)
    select = (
        "SELECT n.id, n.text, n.speaker, n.source, c.slug || '/' || t.slug, t.title "
        "FROM nuggets n JOIN talks t ON t.id = n.talk_id "
        "JOIN conferences c ON c.id = t.conference_id"
    )
    if expression:
        rows = await db.fetch_all(
            f"{select} JOIN nugget_search ON nugget_search.rowid = n.id "
            "WHERE nugget_search MATCH ? ORDER BY bm25(nugget_search) LIMIT ?",
            (expression, limit),
        )
    else:
        rows = await db.fetch_all(f"{select} ORDER BY n.id DESC LIMIT ?", (limit,))
    return [PoolNugget(int(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]), str(r[5])) for r in rows]


async def transcript_of(db: Database, talk_id: int) -> tuple[str | None, list[tuple[int, str]]]:
    """A talk's transcript text and its timed cues (start_ms, text), in order."""
    row = await db.fetch_one("SELECT transcript FROM talks WHERE id = ?", (talk_id,))
    cues = await db.fetch_all(
        "SELECT start_ms, text FROM cue_search WHERE talk_id = ? ORDER BY rowid", (talk_id,)
    )
    text = row[0] if row else None
    return text, [(int(c[0]), str(c[1])) for c in cues]
