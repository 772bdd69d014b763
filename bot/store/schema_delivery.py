"""The delivery state's migrations: the subscriptions and post logs of what the bot posts.

Daily wisdom's table pair (2), talk reminders' (4), and the one delivery log both became (6).
Listed in order in `bot.store.schema.MIGRATIONS`; never touched by a data load, and never
edited once released.
"""

from __future__ import annotations

# Daily wisdom state (bot/store/wisdom_log.py); never touched by a data load. The primary key on
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

# Talk reminders (bot/store/reminder_log.py); never touched by a data load. The primary key on
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

# One delivery log for everything the bot posts on its own (bot/store/deliveries.py and the
# kind modules beside it). `subscriptions` holds every kind ('wisdom' daily posts, 'reminder'
# talk reminders) with its kind's settings; `deliveries` holds one row per (subscription,
# delivery key): the local date of a daily post, the talk key of a reminder. The primary key
# makes a second claim impossible; `idempotency_key` is what the platform deduplicates by
# and what recovery looks for, `attempted_at` when the claim was made, right before the first
# send (recovery reads the channel from then on). Everything of the two old table pairs is
# carried over: reminder subscriptions keep their ids (a reminder's key is a hash of its
# subscription id), daily-wisdom subscriptions are renumbered after them and their rows keep
# the idempotency key made from the old id ('wisdom-<id>-<date>'), so a post sent before the
# upgrade is still found, and deduplicated, under the key it was sent with.
DELIVERIES_V6 = """
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('wisdom', 'reminder')),
    frontend TEXT NOT NULL,
    guild_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_error_at TEXT,
    disabled_reason TEXT,
    post_time TEXT,
    zone TEXT,
    start_date TEXT,
    seed INTEGER,
    conference TEXT NOT NULL DEFAULT '',
    minutes_before INTEGER CHECK (minutes_before BETWEEN 1 AND 1440),
    filter_kind TEXT NOT NULL DEFAULT 'all' CHECK (filter_kind IN ('all', 'room', 'track')),
    filter_value TEXT NOT NULL COLLATE NOCASE DEFAULT '',
    since_at TEXT,
    CHECK (kind != 'wisdom' OR (post_time IS NOT NULL AND zone IS NOT NULL
                                AND start_date IS NOT NULL AND seed IS NOT NULL)),
    CHECK (kind != 'reminder' OR (minutes_before IS NOT NULL AND since_at IS NOT NULL)),
    UNIQUE (kind, frontend, channel_id, conference, filter_kind, filter_value)
);
CREATE INDEX subscriptions_by_guild ON subscriptions(kind, frontend, guild_id);
CREATE TABLE deliveries (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped', 'failed')),
    idempotency_key TEXT,
    due_at TEXT NOT NULL,
    end_at TEXT NOT NULL,
    attempted_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    sent_at TEXT,
    message_id TEXT,
    error TEXT,
    updated_at TEXT,
    manual INTEGER NOT NULL DEFAULT 0,
    cycle INTEGER,
    item TEXT,
    snapshot TEXT,
    PRIMARY KEY (subscription_id, key)
);
CREATE INDEX deliveries_claimed ON deliveries(subscription_id) WHERE status = 'claimed';
CREATE INDEX deliveries_by_cycle ON deliveries(subscription_id, cycle, key, item);
INSERT INTO subscriptions (
    id, kind, frontend, guild_id, channel_id, enabled, created_by, created_at, updated_at,
    failures, last_error, disabled_reason, conference, minutes_before, filter_kind,
    filter_value, since_at
)
SELECT id, 'reminder', frontend, guild_id, channel_id, enabled, created_by, since_utc,
    since_utc, failures, last_error, disabled_reason, conference, minutes_before, filter_kind,
    filter_value, since_utc
FROM reminder_subscriptions;
INSERT INTO deliveries (
    subscription_id, key, status, due_at, end_at, attempted_at, attempts, next_attempt_at,
    message_id, error, updated_at, snapshot
)
SELECT subscription_id, talk_key, status, due_utc, starts_utc,
    CASE WHEN status = 'claimed' THEN updated_utc END, attempts, next_attempt_utc,
    message_id, error, updated_utc, post
FROM reminder_log;
CREATE TEMP TABLE wisdom_ids AS
SELECT w.id AS old_id,
    w.id + (SELECT coalesce(max(id), 0) FROM reminder_subscriptions) AS new_id
FROM wisdom_subscriptions w;
INSERT INTO subscriptions (
    id, kind, frontend, guild_id, channel_id, enabled, created_by, created_at, updated_at,
    failures, last_error, last_error_at, disabled_reason, post_time, zone, start_date, seed
)
SELECT m.new_id, 'wisdom', w.frontend, w.guild_id, w.channel_id, w.enabled, w.created_by,
    w.created_at, w.updated_at, w.failures, w.last_error, w.last_error_at, w.disabled_reason,
    w.post_time, w.zone, w.start_date, w.seed
FROM wisdom_subscriptions w JOIN wisdom_ids m ON m.old_id = w.id;
INSERT INTO deliveries (
    subscription_id, key, status, idempotency_key, due_at, end_at, attempted_at, attempts,
    next_attempt_at, sent_at, message_id, error, manual, cycle, item, snapshot
)
SELECT m.new_id, p.local_date, p.status,
    'wisdom-' || p.subscription_id || '-' || replace(p.local_date, '-', ''),
    p.scheduled_at, p.end_at, p.claimed_at, p.attempts, p.next_attempt_at, p.sent_at,
    p.message_id, p.error, p.manual, p.cycle, p.nugget_key,
    CASE WHEN p.nugget_key IS NULL THEN NULL ELSE json_object(
        'text', p.nugget_text, 'speaker', p.speaker, 'source', p.source,
        'talk_title', p.talk_title, 'conference_name', p.conference_name) END
FROM wisdom_posts p JOIN wisdom_ids m ON m.old_id = p.subscription_id;
DROP TABLE wisdom_ids;
DROP TABLE reminder_log;
DROP TABLE reminder_subscriptions;
DROP TABLE wisdom_posts;
DROP TABLE wisdom_subscriptions
"""
