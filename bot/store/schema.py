"""The database schema as an ordered list of migrations, applied by `Database.migrate`.

Append a new `(version, script)` pair to change the schema; never edit a released one. The
version lives in `PRAGMA user_version` and is bumped in the same transaction as the change.

Content tables (conferences .. cue_search) are rebuilt by a data load; state tables (added by
later migrations: subscriptions, post log, ...) are never touched by a load.
"""

from __future__ import annotations

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

# Daily wisdom state (bot/store/wisdom.py); never touched by a data load. The primary key on
# (subscription_id, local_date) is what makes two posts for one channel and local date
# impossible: a post is claimed by inserting its row before it is sent.
WISDOM_V2 = """
CREATE TABLE wisdom_subscriptions (
    id INTEGER PRIMARY KEY,
    frontend TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    post_time TEXT NOT NULL,
    zone TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    start_date TEXT NOT NULL,
    seed INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT,
    disabled_reason TEXT,
    UNIQUE (frontend, channel_id)
);
CREATE INDEX wisdom_subscriptions_by_guild ON wisdom_subscriptions(frontend, guild_id);
CREATE TABLE wisdom_posts (
    subscription_id INTEGER NOT NULL REFERENCES wisdom_subscriptions(id) ON DELETE CASCADE,
    local_date TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'failed')),
    scheduled_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    manual INTEGER NOT NULL DEFAULT 0,
    cycle INTEGER,
    nugget_key TEXT,
    nugget_text TEXT,
    speaker TEXT,
    source TEXT,
    talk_title TEXT,
    conference_name TEXT,
    claimed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    sent_at TEXT,
    message_id TEXT,
    error TEXT,
    PRIMARY KEY (subscription_id, local_date)
);
CREATE INDEX wisdom_posts_claimed ON wisdom_posts(subscription_id) WHERE status = 'claimed';
CREATE INDEX wisdom_posts_by_cycle
    ON wisdom_posts(subscription_id, cycle, local_date, nugget_key);
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

# Talk reminders (bot/store/reminders.py); never touched by a data load. The primary key on
# (subscription_id, talk_key) makes two reminders for one talk in one channel impossible: a
# reminder is claimed by inserting its row before it is sent. talk_key is the talk's guid or
# 'conference/slug', which survive re-imports; `post` is the JSON snapshot sent.
REMINDERS_V4 = """
CREATE TABLE reminder_subscriptions (
    id INTEGER PRIMARY KEY,
    frontend TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    conference TEXT NOT NULL DEFAULT '',
    minutes_before INTEGER NOT NULL CHECK (minutes_before BETWEEN 1 AND 1440),
    filter_kind TEXT NOT NULL CHECK (filter_kind IN ('all', 'room', 'track')),
    filter_value TEXT NOT NULL COLLATE NOCASE DEFAULT '',
    created_by TEXT NOT NULL,
    since_utc TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    disabled_reason TEXT,
    UNIQUE (frontend, channel_id, conference, filter_kind, filter_value)
);
CREATE TABLE reminder_log (
    subscription_id INTEGER NOT NULL REFERENCES reminder_subscriptions(id) ON DELETE CASCADE,
    talk_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'failed')),
    due_utc TEXT NOT NULL,
    starts_utc TEXT NOT NULL,
    post TEXT NOT NULL,
    message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_utc TEXT,
    error TEXT,
    updated_utc TEXT NOT NULL,
    PRIMARY KEY (subscription_id, talk_key)
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

# An export's description beside its abstract, and the schedule day each talk is filed under
# (a talk after midnight belongs to the day before). Search indexes the description in the
# talk_search `summary` column, so the FTS table keeps its shape. A followed source's zone for
# exports that name none (classic Pentabarf), as `confbot import --timezone` gives.
TALK_DETAILS_V6 = """
ALTER TABLE talks ADD COLUMN description TEXT;
ALTER TABLE talks ADD COLUMN schedule_day TEXT;
CREATE INDEX talks_by_schedule_day ON talks(conference_id, schedule_day);
ALTER TABLE sources ADD COLUMN timezone TEXT;
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, CONTENT_V1),
    (2, WISDOM_V2),
    (3, TRANSCRIPTS_V3),
    (4, REMINDERS_V4),
    (5, SOURCES_V5),
    (6, TALK_DETAILS_V6),
]
