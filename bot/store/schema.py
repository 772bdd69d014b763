"""The database schema as an ordered list of migrations, applied by `Database.migrate`.

Append a new `(version, script)` pair to change the schema; never edit a released one. The
version lives in `PRAGMA user_version` and is bumped in the same transaction as the change.

Content tables (conferences .. cue_search) are rebuilt by a data load; state tables (added by
later migrations: subscriptions, post log, ...) are never touched by a load. The delivery
state's scripts (subscriptions and post logs) live in `bot.store.schema_delivery`.
"""

from __future__ import annotations

from bot.store.schema_delivery import DELIVERIES_V6, REMINDERS_V4, WISDOM_V2
from bot.store.schema_nuggets import COMMUNITY_NUGGETS_V11

CONTENT_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE conferences (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    year INTEGER,
    url TEXT,
    timezone TEXT,
    description TEXT,
    origin TEXT NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT '',
    longest_talk_seconds INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE talks (
    id INTEGER PRIMARY KEY,
    conference_id INTEGER NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    speaker_note TEXT,
    transcript TEXT,
    transcript_source TEXT,
    url TEXT,
    source TEXT,
    starts_at TEXT,
    ends_at TEXT,
    starts_utc TEXT,
    ends_utc TEXT,
    room TEXT,
    track TEXT,
    language TEXT,
    links TEXT NOT NULL DEFAULT '[]',
    guid TEXT,
    origin_file TEXT,
    UNIQUE (conference_id, slug)
);
CREATE INDEX talks_by_start ON talks(conference_id, starts_utc);
CREATE INDEX talks_by_end ON talks(conference_id, ends_utc);
CREATE INDEX talks_by_slug ON talks(slug);
CREATE INDEX talks_by_kind ON talks(kind);
CREATE TABLE speakers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    folded TEXT NOT NULL UNIQUE,
    biography TEXT
);
CREATE TABLE talk_speakers (
    talk_id INTEGER NOT NULL REFERENCES talks(id) ON DELETE CASCADE,
    speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (talk_id, speaker_id)
);
CREATE INDEX talk_speakers_by_speaker ON talk_speakers(speaker_id);
CREATE TABLE nuggets (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    talk_id INTEGER NOT NULL REFERENCES talks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    speaker TEXT,
    source TEXT NOT NULL
);
CREATE INDEX nuggets_by_talk ON nuggets(talk_id);
CREATE INDEX nuggets_by_speaker ON nuggets(speaker COLLATE NOCASE);
CREATE VIRTUAL TABLE talk_search USING fts5(
    title, speakers, summary, nuggets, transcript,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE talk_vocabulary USING fts5vocab(talk_search, 'row');
CREATE VIRTUAL TABLE nugget_search USING fts5(
    text, speaker,
    content = 'nuggets', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE cue_search USING fts5(
    text, talk_id UNINDEXED, start_ms UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# Transcripts attached with `confbot transcript`: state, re-applied after every load so a
# reload or re-import of the talk's conference keeps them.
TRANSCRIPTS_V3 = """
CREATE TABLE attached_transcripts (
    conference_slug TEXT NOT NULL,
    talk_slug TEXT NOT NULL,
    source TEXT NOT NULL,
    text TEXT NOT NULL,
    cues TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    PRIMARY KEY (conference_slug, talk_slug)
);
"""

# Followed schedule sources (bot/store/sources.py, polled by bot/sources/follow.py); never
# touched by a data load. The validators and body hash are those of the last good import, so a
# failed or invalid fetch never makes the next poll skip a real change.
SOURCES_V5 = """
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds >= 1),
    added_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_import_at TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at TEXT NOT NULL,
    last_error TEXT,
    conference_slug TEXT
);
CREATE INDEX sources_by_next_poll ON sources(next_poll_at);
CREATE INDEX sources_by_conference ON sources(conference_slug);
"""


# Programme changes found by a re-import (bot/store/changes.py): state, never touched by a
# load. One row per talk and kind of change in a batch (one batch per import that changed
# something); the old and new values are copied so a cancelled talk can still be shown after
# its row in `talks` is gone. Speakers are JSON arrays of names. data_files holds the digest
# and stat of each data-folder file as last loaded ('folder/name'), so a reload reads and
# parses only the files that changed.
PROGRAMME_CHANGES_V7 = """
CREATE TABLE programme_changes (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL,
    detected_at TEXT NOT NULL,
    conference_slug TEXT NOT NULL,
    talk_key TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('new', 'cancelled', 'moved', 'room', 'title', 'speakers')),
    old_title TEXT,
    old_starts_at TEXT,
    old_ends_at TEXT,
    old_room TEXT,
    old_speakers TEXT,
    new_title TEXT,
    new_starts_at TEXT,
    new_ends_at TEXT,
    new_room TEXT,
    new_speakers TEXT,
    UNIQUE (batch_id, talk_key, kind)
);
CREATE INDEX programme_changes_by_conference
    ON programme_changes(conference_slug, detected_at);
CREATE INDEX programme_changes_by_time ON programme_changes(detected_at);
CREATE TABLE data_files (
    path TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    checked_ns INTEGER NOT NULL
);
"""

# An export's description beside its abstract, and the schedule day each talk is filed under
# (a talk after midnight belongs to the day before). Search indexes the description in the
# talk_search `summary` column, so the FTS table keeps its shape. A followed source's zone for
# exports that name none (classic Pentabarf), as `confbot import --timezone` gives.
TALK_DETAILS_V8 = """
ALTER TABLE talks ADD COLUMN description TEXT;
ALTER TABLE talks ADD COLUMN schedule_day TEXT;
CREATE INDEX talks_by_schedule_day ON talks(conference_id, schedule_day);
ALTER TABLE sources ADD COLUMN timezone TEXT;
"""


# Which conference(s) a Discord server or Slack workspace is about (/conference use): the
# commands of that community default to them. `position` keeps the order they were named in.
COMMUNITY_CONFERENCES_V9 = """
CREATE TABLE community_conferences (
    frontend TEXT NOT NULL,
    community TEXT NOT NULL,
    conference_slug TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (frontend, community, conference_slug)
);
"""


# Two more kinds of subscription: programme-change announcements ('programme') and a person's
# own agenda ('agenda'). SQLite cannot widen a CHECK in place, so `subscriptions` is rebuilt.
# Dropping it with foreign keys on would cascade into `deliveries`, so the log is set aside
# first and put back under the same DDL; every id and row is kept.
def _create_table(script: str, table: str) -> str:
    """The `CREATE TABLE table (...);` statement of an earlier migration, verbatim."""
    start = script.index(f"CREATE TABLE {table} (")
    return script[start : script.index("\n);\n", start) + 4]


_KINDS_V6 = "CHECK (kind IN ('wisdom', 'reminder'))"
_KINDS_V10 = "CHECK (kind IN ('wisdom', 'reminder', 'programme', 'agenda'))"

SUBSCRIPTION_KINDS_V10 = (
    "CREATE TABLE deliveries_v10 AS SELECT * FROM deliveries;\n"
    "DROP TABLE deliveries;\n"
    + _create_table(DELIVERIES_V6, "subscriptions")
    .replace("CREATE TABLE subscriptions (", "CREATE TABLE subscriptions_v10 (")
    .replace(_KINDS_V6, _KINDS_V10)
    + "INSERT INTO subscriptions_v10 SELECT * FROM subscriptions;\n"
    "DROP TABLE subscriptions;\n"
    "ALTER TABLE subscriptions_v10 RENAME TO subscriptions;\n"
    "CREATE INDEX subscriptions_by_guild ON subscriptions(kind, frontend, guild_id);\n"
    + _create_table(DELIVERIES_V6, "deliveries")
    + "CREATE INDEX deliveries_claimed ON deliveries(subscription_id) WHERE status = 'claimed';\n"
    "CREATE INDEX deliveries_by_cycle ON deliveries(subscription_id, cycle, key, item);\n"
    "INSERT INTO deliveries SELECT * FROM deliveries_v10;\n"
    "DROP TABLE deliveries_v10\n"
)

# The organisers' web console (bot/frontends/web, bot/store/web_auth.py, bot/store/audit.py):
# who may log in (a scrypt hash of each password, never the password), one-time login links
# and sessions (only a SHA-256 of each token is kept: a copy of the database lets nobody in),
# and an audit trail of every action with who did it.
WEB_CONSOLE_V12 = """
CREATE TABLE web_users (
    name TEXT PRIMARY KEY,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE web_login_links (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions(expires_at);
CREATE TABLE web_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    remote TEXT NOT NULL DEFAULT ''
);
CREATE INDEX web_audit_by_time ON web_audit(at);
"""

# A person's own agenda (bot/store/agenda.py). The person is an 'agenda' subscription (one per
# front end and user: channel_id is the user id, minutes_before the lead time, enabled = 0 while
# their DMs are paused); everything else hangs off it with ON DELETE CASCADE, so forgetting a
# person is deleting that one row. `agenda_follows` holds what they follow in which community:
# a talk by its key (guid or 'conference/slug', stable across re-imports), a speaker by folded
# name, a track or a room by name (case-insensitive); `conference` '' is any. The follows are
# clustered by (kind, value), what a post loop run reads them by (the followers of the talks
# soon, thousands of rows at 10,000 people); a person's own are found by the second index.
# `agenda_people`
# holds the once-only notice that their DMs were paused and their calendar feed's secret token.
AGENDA_V13 = """
CREATE TABLE agenda_follows (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    community TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('talk', 'speaker', 'track', 'room')),
    value TEXT NOT NULL COLLATE NOCASE,
    conference TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (kind, value, subscription_id, community, conference)
) WITHOUT ROWID;
CREATE INDEX agenda_follows_by_person ON agenda_follows(subscription_id, community);
CREATE INDEX deliveries_by_key ON deliveries(key);
CREATE TABLE agenda_people (
    subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions(id) ON DELETE CASCADE,
    notice_pending INTEGER NOT NULL DEFAULT 0,
    calendar_token TEXT UNIQUE
);
"""

# Change announcements (/programme subscribe): a subscription posts only the change batches
# after `since_batch`, the newest batch when it was made, so a new channel is not told old
# news; each change keeps the talk's track on both sides, so a track filter also finds a
# cancelled talk (whose row in `talks` is gone).
PROGRAMME_ANNOUNCEMENTS_V14 = """
ALTER TABLE subscriptions ADD COLUMN since_batch INTEGER;
ALTER TABLE programme_changes ADD COLUMN old_track TEXT;
ALTER TABLE programme_changes ADD COLUMN new_track TEXT;
"""

# A person's IM channel with the app (Slack's `conversations.open` answer), learned when they
# follow something, so a burst of agenda DMs posts straight there instead of opening each one
# at send time (Tier 3, 50 a minute). NULL until learned; gone with the person (cascade).
AGENDA_DM_CHANNEL_V15 = """
ALTER TABLE agenda_people ADD COLUMN dm_channel TEXT;
"""

# The programme grid's read (bot/store/programme_grid.py): a day's talks straight from one
# index, in start order, with every column the grid shows (no table row read, no sort), and
# each talk's speakers in their order. The index on (conference_id, schedule_day) is a prefix
# of the first and goes.
PROGRAMME_GRID_V16 = """
CREATE INDEX talks_by_day_and_start
    ON talks(conference_id, schedule_day, starts_utc, room, id, slug, title, starts_at, ends_at);
DROP INDEX talks_by_schedule_day;
CREATE INDEX talk_speakers_in_order ON talk_speakers(talk_id, position, speaker_id);
"""


# A talk's speakers, joined in their order (char(31) between names), kept on the talk row by
# triggers on every write to `talk_speakers` and every rename of a speaker, so the programme
# grid's day statement reads them from its covering index instead of running a sorted
# subquery per talk (half the statement's time for a 1,000-event day). NULL: no speakers.
def _names_of(talk: str) -> str:
    return (
        "(SELECT group_concat(name, char(31)) FROM (SELECT s.name FROM talk_speakers ts "
        f"JOIN speakers s ON s.id = ts.speaker_id WHERE ts.talk_id = {talk} ORDER BY ts.position))"
    )


def _refresh_names(talk: str) -> str:
    return f"UPDATE talks SET speaker_names = {_names_of(talk)} WHERE id = {talk};"


TALK_SPEAKER_NAMES_V17 = f"""
ALTER TABLE talks ADD COLUMN speaker_names TEXT;
UPDATE talks SET speaker_names = {_names_of("talks.id")};
DROP INDEX talks_by_day_and_start;
CREATE INDEX talks_by_day_and_start ON talks(conference_id, schedule_day, starts_utc, room, id,
    slug, title, starts_at, ends_at, speaker_names);
CREATE TRIGGER talk_speaker_added AFTER INSERT ON talk_speakers BEGIN
    {_refresh_names("NEW.talk_id")}
END;
CREATE TRIGGER talk_speaker_removed AFTER DELETE ON talk_speakers BEGIN
    {_refresh_names("OLD.talk_id")}
END;
CREATE TRIGGER talk_speaker_changed AFTER UPDATE ON talk_speakers BEGIN
    {_refresh_names("OLD.talk_id")}
    {_refresh_names("NEW.talk_id")}
END;
CREATE TRIGGER speaker_renamed AFTER UPDATE OF name ON speakers BEGIN
    UPDATE talks SET speaker_names = {_names_of("talks.id")}
        WHERE id IN (SELECT talk_id FROM talk_speakers WHERE speaker_id = NEW.id);
END;
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, CONTENT_V1),
    (2, WISDOM_V2),
    (3, TRANSCRIPTS_V3),
    (4, REMINDERS_V4),
    (5, SOURCES_V5),
    (6, DELIVERIES_V6),
    (7, PROGRAMME_CHANGES_V7),
    (8, TALK_DETAILS_V8),
    (9, COMMUNITY_CONFERENCES_V9),
    (10, SUBSCRIPTION_KINDS_V10),
    (11, COMMUNITY_NUGGETS_V11),
    (12, WEB_CONSOLE_V12),
    (13, AGENDA_V13),
    (14, PROGRAMME_ANNOUNCEMENTS_V14),
    (15, AGENDA_DM_CHANNEL_V15),
    (16, PROGRAMME_GRID_V16),
    (17, TALK_SPEAKER_NAMES_V17),
]
