"""Loading talk records into the store: atomic, idempotent, and indexed for search.

A load takes records that were fully read and validated beforehand and replaces the
conferences they describe inside ONE transaction: if anything fails, SQLite rolls back and
the database the bot is using is exactly as it was. State tables (daily wisdom subscriptions,
post log) are never touched.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.records import Conference, Cue, RecordError
from bot.sources.bundled import (
    ChangedTalks,
    KnownFile,
    data_fingerprint,
    read_changed,
    scan_data_dir,
)
from bot.store.changes import TalkChange, record_changes, summarise
from bot.store.community_nuggets import with_community
from bot.store.data_files import keep_files, loaded_files
from bot.store.db import Database
from bot.store.diff import update_conference, update_talks
from bot.store.rows import (
    conference_values,
    next_id,
    searchable_summary,
    speaker_ids,
    talk_row,
)
from bot.store.rows import utc_text as utc_text  # where schedule.py and reminders.py look
from bot.store.search import MAX_CUES_PER_TALK, cue_rowid

log = logging.getLogger(__name__)

DATA_FINGERPRINT_KEY = "data_fingerprint"
DATA_VERSION_KEY = "data_version"


@dataclass(frozen=True)
class LoadReport:
    conferences: int
    talks: int
    nuggets: int
    changed: bool
    removed: tuple[str, ...] = ()
    changes: tuple[TalkChange, ...] = ()
    batch_id: int | None = None

    def describe(self) -> str:
        if not self.changed:
            return "data unchanged; nothing to load"
        text = (
            f"loaded {self.conferences} conference(s), {self.talks} talk(s), "
            f"{self.nuggets} nugget(s)"
        )
        if self.removed:
            text += f"; removed {', '.join(self.removed)}"
        if self.changes:
            text += f"; {summarise(self.changes)}"
        return text


async def load_data_dir(db: Database, root: Path, *, force: bool = False) -> LoadReport:
    """Read and validate what changed under `root`, then update the data-folder conferences.

    Only files whose digest differs from the last load are parsed (`force` reads them all);
    the database ends as a full load would leave it. Raises RecordError (file, line, field)
    before touching the database when a file is bad. Loading the same files twice changes
    nothing: the second call sees an equal fingerprint.
    """
    loaded = {} if force else await loaded_files(db)
    scan = scan_data_dir(root, loaded)
    if not force and await get_meta(db, DATA_FINGERPRINT_KEY) == scan.fingerprint:
        return LoadReport(0, 0, 0, changed=False)
    rows = await db.fetch_all("SELECT slug FROM conferences WHERE origin = 'data'")
    known = set() if force else {str(row[0]) for row in rows}
    conferences, changed, present = read_changed(root, scan, loaded, known)
    report = await replace_conferences(
        db,
        conferences,
        origin="data",
        remove_other=True,
        fingerprint=scan.fingerprint,
        changed_talks=changed,
        keep=present,
        files=scan.files,
    )
    row = await db.fetch_one(
        "SELECT count(DISTINCT c.id), count(DISTINCT t.id), count(n.id) FROM conferences c "
        "LEFT JOIN talks t ON t.conference_id = c.id LEFT JOIN nuggets n ON n.talk_id = t.id "
        "WHERE c.origin = 'data'"
    )
    assert row is not None
    return dataclasses.replace(report, conferences=row[0], talks=row[1], nuggets=row[2])


async def needs_load(db: Database, root: Path) -> bool:
    """True when the database has never been loaded or the data folder changed since."""
    return await get_meta(db, DATA_FINGERPRINT_KEY) != data_fingerprint(root)


async def replace_conferences(
    db: Database,
    conferences: Sequence[Conference],
    *,
    origin: str,
    remove_other: bool = False,
    fingerprint: str | None = None,
    now: datetime | None = None,
    changed_talks: Sequence[ChangedTalks] = (),
    keep: Collection[str] = (),
    files: Mapping[str, KnownFile] | None = None,
) -> LoadReport:
    """Bring the given conferences (by slug) to these records in one transaction.

    A stored conference is updated in place (bot/store/diff.py): talks keep their ids, an
    identical conference writes nothing and leaves the data version alone; the programme
    changes found are stored as one batch (detected at `now`) and returned in the report.
    A data load passes only the folders it read whole in `conferences`, the talk files it
    read in `changed_talks`, every slug still in the folder in `keep`, and the files seen.

    With `remove_other`, conferences of the same origin that are not in `conferences` are
    deleted too (a conference folder removed from data/). A slug held by a conference of the
    other kind (data folder or import) is refused with a RecordError: neither may replace
    the other.
    """
    talks = sum(len(c.talks) for c in conferences)
    nuggets = sum(len(t.nuggets) for c in conferences for t in c.talks)
    changes: list[TalkChange] = []
    batch_id: int | None = None
    async with db.transaction() as connection:
        await _refuse_taken_slugs(db, conferences)
        before = connection.total_changes
        slugs = {c.slug for c in conferences} | set(keep)
        rows = await connection.execute_fetchall("SELECT slug, id, origin FROM conferences")
        stored = {str(row[0]): int(row[1]) for row in rows}
        removed = sorted(
            str(row[0]) for row in rows if remove_other and row[2] == origin and row[0] not in slugs
        )
        for slug in removed:
            await _delete_conference(db, slug)
        for conference in conferences:
            if conference.slug in stored:
                changes.extend(await update_conference(db, stored[conference.slug], conference))
        for part in changed_talks:
            changes.extend(
                await update_talks(
                    db, stored[part.conference], part.conference, part.talks, part.removed
                )
            )
        fresh = [
            dataclasses.replace(c, talks=tuple(await with_community(db, c.slug, c.talks)))
            for c in conferences
            if c.slug not in stored
        ]
        if fresh:
            await _insert_conferences(db, fresh)
            for conference in fresh:
                await _apply_attached_transcripts(db, conference.slug)
            await connection.execute("INSERT INTO nugget_search(nugget_search) VALUES ('rebuild')")
        changed = connection.total_changes != before
        if changed:
            await connection.execute(
                "DELETE FROM speakers WHERE id NOT IN (SELECT speaker_id FROM talk_speakers)"
            )
            batch_id = await record_changes(db, changes, now or datetime.now(UTC))
            await _bump_data_version(db)
        if files is not None:
            await keep_files(db, files)
        if fingerprint is not None and await get_meta(db, DATA_FINGERPRINT_KEY) != fingerprint:
            await _set_meta(db, DATA_FINGERPRINT_KEY, fingerprint)
    report = LoadReport(
        len(conferences),
        talks,
        nuggets,
        changed=changed,
        removed=tuple(removed),
        changes=tuple(changes),
        batch_id=batch_id,
    )
    log.info("%s (origin %s)", report.describe(), origin)
    return report


def origin_kind(origin: str) -> str:
    """'data' or 'import' for an origin such as 'import:camp.json' (a followed source,
    'source:URL', is an import too)."""
    return "data" if origin.partition(":")[0] == "data" else "import"


async def _refuse_taken_slugs(db: Database, conferences: Sequence[Conference]) -> None:
    """RecordError when a conference's slug belongs to a conference of the other kind: an
    import over a data-folder conference would drop its nuggets and transcripts, and a data
    folder over an import would drop the import's talks and their reminders."""
    for conference in conferences:
        row = await db.fetch_one(
            "SELECT c.origin, (SELECT t.origin_file FROM talks t WHERE t.conference_id = c.id "
            "LIMIT 1) FROM conferences c WHERE c.slug = ?",
            (conference.slug,),
        )
        if row is None or origin_kind(str(row[0])) == origin_kind(conference.origin):
            continue
        if origin_kind(conference.origin) == "import":
            message = (
                f"the conference slug {conference.slug!r} (from the acronym) belongs to a "
                "conference from the data folder; an import cannot replace it: give the "
                "export another acronym"
            )
            field = "conference.acronym"
        else:
            source = Path(str(row[1])).name if row[1] else "a schedule export"
            message = (
                f"the conference slug {conference.slug!r} belongs to the conference imported "
                f"from {source}; rename this folder"
            )
            field = "slug"
        raise RecordError(
            message, path=conference.origin_file or "", line=conference.origin_line, field=field
        )


async def attach_transcript(
    db: Database, talk_ref: str, cues: Sequence[Cue], text: str, source: str
) -> str:
    """Attach a transcript to the talk 'conference/slug' (kept across reloads); returns the
    talk's title. Raises LookupError when there is no such talk."""
    conference_slug, _, talk_slug = talk_ref.partition("/")
    row = await db.fetch_one(
        "SELECT t.title FROM talks t JOIN conferences c ON c.id = t.conference_id "
        "WHERE c.slug = ? AND t.slug = ?",
        (conference_slug, talk_slug),
    )
    if row is None or not talk_slug:
        raise LookupError(f"no talk {talk_ref!r}; use conference/slug as /talk shows it")
    cue_json = json.dumps([[c.start_ms, c.end_ms, c.text] for c in cues])
    async with db.transaction():
        await db.execute(
            "INSERT INTO attached_transcripts(conference_slug, talk_slug, source, text, cues, "
            "attached_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(conference_slug, talk_slug) "
            "DO UPDATE SET source = excluded.source, text = excluded.text, cues = excluded.cues, "
            "attached_at = excluded.attached_at",
            (conference_slug, talk_slug, source, text, cue_json, utc_text(datetime.now(UTC))),
        )
        await _apply_attached_transcripts(db, conference_slug)
        await _bump_data_version(db)
    return str(row[0])


async def _apply_attached_transcripts(db: Database, conference_slug: str) -> None:
    rows = await db.fetch_all(
        "SELECT t.id, a.source, a.text, a.cues FROM attached_transcripts a "
        "JOIN conferences c ON c.slug = a.conference_slug "
        "JOIN talks t ON t.conference_id = c.id AND t.slug = a.talk_slug WHERE c.slug = ?",
        (conference_slug,),
    )
    for row in rows:
        talk_id = int(row[0])
        await db.execute(
            "UPDATE talks SET transcript = ?, transcript_source = ? WHERE id = ?",
            (row[2], row[1], talk_id),
        )
        await db.execute("UPDATE talk_search SET transcript = ? WHERE rowid = ?", (row[2], talk_id))
        await db.execute("DELETE FROM cue_search WHERE talk_id = ?", (talk_id,))
        await db.execute_many(
            "INSERT INTO cue_search(rowid, text, talk_id, start_ms) VALUES (?, ?, ?, ?)",
            [
                (cue_rowid(talk_id, n), text, talk_id, start)
                for n, (start, _, text) in enumerate(json.loads(row[3])[:MAX_CUES_PER_TALK])
            ],
        )


async def get_meta(db: Database, key: str) -> str | None:
    row = await db.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
    return str(row[0]) if row else None


async def _bump_data_version(db: Database) -> None:
    """Tell every running Core (any process) that cached talk data is stale."""
    version = int(await get_meta(db, DATA_VERSION_KEY) or 0) + 1
    await _set_meta(db, DATA_VERSION_KEY, str(version))


async def _set_meta(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def _delete_conference(db: Database, slug: str) -> None:
    talk_ids = [
        int(row[0])
        for row in await db.fetch_all(
            "SELECT t.id FROM talks t JOIN conferences c ON c.id = t.conference_id "
            "WHERE c.slug = ?",
            (slug,),
        )
    ]
    if talk_ids:
        marks = ",".join("?" * len(talk_ids))
        await db.execute(f"DELETE FROM talk_search WHERE rowid IN ({marks})", talk_ids)
        await db.execute(f"DELETE FROM cue_search WHERE talk_id IN ({marks})", talk_ids)
    await db.execute("DELETE FROM conferences WHERE slug = ?", (slug,))


async def _insert_conferences(db: Database, conferences: Sequence[Conference]) -> None:
    """Insert conferences with their talks, speakers, nuggets and search rows.

    Ids are assigned here so each table takes one `executemany`: a handful of thread hops for
    the whole load instead of several per talk.
    """
    conference_id = await next_id(db, "conferences")
    talk_id = await next_id(db, "talks")
    conference_rows: list[tuple[object, ...]] = []
    talk_rows: list[tuple[object, ...]] = []
    search_rows: list[tuple[object, ...]] = []
    talk_speaker_rows: list[tuple[object, ...]] = []
    nugget_rows: list[tuple[object, ...]] = []
    cue_rows: list[tuple[object, ...]] = []
    speakers_by_name = await speaker_ids(db, [t for c in conferences for t in c.talks])
    for conference in conferences:
        conference_rows.append((conference_id, conference.slug, *conference_values(conference)))
        for talk in conference.talks:
            talk_rows.append(talk_row(talk_id, conference_id, talk))
            talk_speaker_rows.extend(
                (talk_id, speakers_by_name[speaker.name.casefold()], position)
                for position, speaker in enumerate(talk.speakers)
            )
            talk_key = f"{conference.slug}/{talk.slug}"
            nugget_rows.extend(
                (
                    nugget.key(talk_key),
                    talk_id,
                    position,
                    nugget.text,
                    nugget.speaker,
                    nugget.source,
                )
                for position, nugget in enumerate(talk.nuggets)
            )
            search_rows.append(
                (
                    talk_id,
                    talk.title,
                    " ".join(talk.speaker_names) or (talk.speaker_note or ""),
                    searchable_summary(talk),
                    "\n".join(n.text for n in talk.nuggets),
                    talk.transcript or "",
                )
            )
            cue_rows.extend(
                (cue_rowid(talk_id, n), cue.text, talk_id, cue.start_ms)
                for n, cue in enumerate(talk.cues[:MAX_CUES_PER_TALK])
            )
            talk_id += 1
        conference_id += 1
    await _set_meta(db, "next_conferences_id", str(conference_id))
    await _set_meta(db, "next_talks_id", str(talk_id))
    await db.execute_many(
        "INSERT INTO conferences(id, slug, name, year, url, timezone, description, origin, "
        "longest_talk_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conference_rows,
    )
    await db.execute_many(
        "INSERT INTO talks(id, conference_id, slug, title, kind, summary, speaker_note, "
        "transcript, transcript_source, url, source, starts_at, ends_at, starts_utc, ends_utc, "
        "room, track, language, links, guid, origin_file, description, schedule_day) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        talk_rows,
    )
    await db.execute_many(
        "INSERT INTO talk_speakers(talk_id, speaker_id, position) VALUES (?, ?, ?)",
        talk_speaker_rows,
    )
    await db.execute_many(
        "INSERT INTO nuggets(key, talk_id, position, text, speaker, source) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        nugget_rows,
    )
    await db.execute_many(
        "INSERT INTO talk_search(rowid, title, speakers, summary, nuggets, transcript) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        search_rows,
    )
    await db.execute_many(
        "INSERT INTO cue_search(rowid, text, talk_id, start_ms) VALUES (?, ?, ?, ?)", cue_rows
    )
