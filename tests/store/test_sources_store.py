"""The sources table: its migration onto an existing database, and plain persistence."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import sources as store
from bot.store.db import Database
from bot.store.schema import MIGRATIONS, SOURCES_V5

T0 = datetime(2026, 12, 1, 20, 0, 0, 250_000, tzinfo=UTC)
EVERY = timedelta(minutes=2)


async def test_the_migration_adds_sources_to_a_database_that_predates_it(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    mine = next(index for index, (_, script) in enumerate(MIGRATIONS) if script is SOURCES_V5)
    with sqlite3.connect(path) as old:
        for _, script in MIGRATIONS[:mine]:
            old.executescript(script)
        old.execute(f"PRAGMA user_version={MIGRATIONS[mine - 1][0]}")
        old.execute("INSERT INTO meta(key, value) VALUES ('data_version', '7')")
    async with await Database.open(path) as db:
        assert await db.schema_version() == MIGRATIONS[-1][0]
        assert await store.add_source(db, "https://example.org/s.json", EVERY, T0)
        row = await db.fetch_one("SELECT value FROM meta WHERE key = 'data_version'")
        assert row is not None and row[0] == "7"


async def test_adding_again_changes_the_interval_and_keeps_the_state(db: Database) -> None:
    url = "https://example.org/s.json"
    assert await store.add_source(db, url, EVERY, T0)
    (source,) = await store.list_sources(db)
    assert (source.url, source.interval, source.next_poll_at, source.added_at) == (
        url,
        EVERY,
        T0,
        T0,
    )
    await store.record_failure(db, source.id, T0 + EVERY, failures=1, error="answered HTTP 503")
    assert not await store.add_source(db, url, timedelta(minutes=5), T0 + EVERY)
    (again,) = await store.list_sources(db)
    assert again.interval == timedelta(minutes=5)
    assert (again.failures, again.last_error, again.added_at) == (1, "answered HTTP 503", T0)
    assert await store.remove_source(db, url)
    assert not await store.remove_source(db, url)
    assert await store.list_sources(db) == []


async def test_due_sources_come_in_order_and_a_claim_is_taken_once(db: Database) -> None:
    await store.add_source(db, "https://b.example.org/s.json", EVERY, T0)
    await store.add_source(db, "https://a.example.org/s.json", EVERY, T0 + timedelta(seconds=1))
    await store.add_source(db, "https://c.example.org/s.json", EVERY, T0 + timedelta(hours=1))
    due = await store.due_sources(db, T0 + timedelta(seconds=1))
    assert [s.url for s in due] == ["https://b.example.org/s.json", "https://a.example.org/s.json"]
    hold = T0 + timedelta(minutes=1)
    assert await store.claim_poll(db, due[0], T0, hold)
    assert not await store.claim_poll(db, due[0], T0, hold)  # a second poller loses
    assert [s.url for s in await store.due_sources(db, T0 + timedelta(seconds=1))] == [
        "https://a.example.org/s.json"
    ]


async def test_a_confirmation_keeps_the_validators_and_an_import_replaces_them(
    db: Database,
) -> None:
    await store.add_source(db, "https://example.org/s.json", EVERY, T0)
    (source,) = await store.list_sources(db)
    await store.record_success(
        db,
        source.id,
        T0,
        T0 + EVERY,
        etag='"abc"',
        last_modified="Thu, 01 Jan 2026 00:00:01 GMT",
        body_hash="f" * 64,
        conference_slug="democon",
    )
    await store.record_success(
        db, source.id, T0 + EVERY, T0 + EVERY * 2, etag=None, last_modified=None
    )
    (fed,) = await store.sources_of_conference(db, "democon")
    assert (fed.etag, fed.last_modified, fed.body_hash) == (
        '"abc"',
        "Thu, 01 Jan 2026 00:00:01 GMT",
        "f" * 64,
    )
    assert (fed.last_import_at, fed.last_success_at, fed.next_poll_at) == (
        T0,
        T0 + EVERY,
        T0 + EVERY * 2,
    )
    assert await store.sources_of_conference(db, "other") == []
    await store.record_success(  # a new body without validators: the old ones are void
        db,
        source.id,
        T0 + EVERY * 3,
        T0 + EVERY * 4,
        etag=None,
        last_modified=None,
        body_hash="e" * 64,
        conference_slug="democon",
    )
    (renewed,) = await store.list_sources(db)
    assert (renewed.etag, renewed.last_modified, renewed.body_hash) == (None, None, "e" * 64)
    assert renewed.last_import_at == T0 + EVERY * 3
