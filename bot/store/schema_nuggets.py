"""Migration 11: community nuggets' table, apart from bot/store/schema.py (which lists it in
MIGRATIONS) so that file stays small; the store module is bot/store/community_nuggets.py."""

from __future__ import annotations

# Community nuggets (bot/store/community_nuggets.py): state, never touched by a load. A
# submission names its talk by conference slug and guid (else slug), so a reload that
# re-creates the talks keeps it attached; the partial unique index makes the same words
# queued or approved twice impossible.
COMMUNITY_NUGGETS_V11 = """
CREATE TABLE community_nuggets (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    conference_slug TEXT,
    talk_slug TEXT,
    talk_guid TEXT,
    text TEXT NOT NULL,
    normalised TEXT NOT NULL,
    speaker TEXT,
    frontend TEXT NOT NULL,
    submitter TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    link TEXT,
    submitted_at TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_at TEXT,
    CHECK (status != 'approved' OR conference_slug IS NOT NULL)
);
CREATE INDEX community_nuggets_queue ON community_nuggets(status, id);
CREATE INDEX community_nuggets_by_conference ON community_nuggets(conference_slug, status);
CREATE INDEX community_nuggets_by_submitter
    ON community_nuggets(frontend, submitter, submitted_at);
CREATE UNIQUE INDEX community_nuggets_once ON community_nuggets(normalised)
    WHERE status IN ('pending', 'approved')
"""
