"""A dump of the content tables with every id replaced by a natural key, so two databases
that hold the same programme under different ids compare equal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_QUERIES = {
    "conferences": "SELECT slug, name, year, url, timezone, description, origin, fingerprint, "
    "longest_talk_seconds FROM conferences",
    "talks": "SELECT c.slug, t.slug, t.title, t.kind, t.summary, t.speaker_note, t.transcript, "
    "t.transcript_source, t.url, t.source, t.starts_at, t.ends_at, t.starts_utc, t.ends_utc, "
    "t.room, t.track, t.language, t.links, t.guid, t.origin_file "
    "FROM talks t JOIN conferences c ON c.id = t.conference_id",
    "speakers": "SELECT name, folded, biography FROM speakers",
    "talk_speakers": "SELECT c.slug, t.slug, s.folded, ts.position FROM talk_speakers ts "
    "JOIN talks t ON t.id = ts.talk_id JOIN conferences c ON c.id = t.conference_id "
    "JOIN speakers s ON s.id = ts.speaker_id",
    "nuggets": "SELECT n.key, c.slug, t.slug, n.position, n.text, n.speaker, n.source "
    "FROM nuggets n JOIN talks t ON t.id = n.talk_id JOIN conferences c ON c.id = t.conference_id",
    "talk_search": "SELECT c.slug, t.slug, s.title, s.speakers, s.summary, s.nuggets, "
    "s.transcript FROM talk_search s JOIN talks t ON t.id = s.rowid "
    "JOIN conferences c ON c.id = t.conference_id",
    "talk_search_rows": "SELECT count(*) FROM talk_search",
    "cue_search": "SELECT c.slug, t.slug, s.text, s.start_ms FROM cue_search s "
    "JOIN talks t ON t.id = s.talk_id JOIN conferences c ON c.id = t.conference_id",
    "cue_search_rows": "SELECT count(*) FROM cue_search",
    "nugget_search": "SELECT n.key, s.text, s.speaker FROM nugget_search s "
    "JOIN nuggets n ON n.id = s.rowid",
    "vocabulary": "SELECT term, doc, cnt FROM talk_vocabulary",
    "attached_transcripts": "SELECT conference_slug, talk_slug, source, text, cues "
    "FROM attached_transcripts",
    "fingerprint": "SELECT value FROM meta WHERE key = 'data_fingerprint'",
}


def content_snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every content row by natural keys, sorted; the FTS indexes must pass their checks."""
    with sqlite3.connect(path) as connection:
        for index in ("talk_search", "nugget_search", "cue_search"):
            connection.execute(f"INSERT INTO {index}({index}) VALUES ('integrity-check')")
        return {
            name: sorted(connection.execute(query).fetchall(), key=repr)
            for name, query in _QUERIES.items()
        }
