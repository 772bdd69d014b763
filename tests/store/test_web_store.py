"""The web console's tables (migration 12) on a database made by the version before, and
their store modules: links used once and only in time, sessions that end, the audit trail."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import audit, web_auth
from bot.store.db import Database
from bot.store.schema import MIGRATIONS, WEB_CONSOLE_V12

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


async def test_migration_12_adds_the_web_tables_to_the_version_before(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    mine = next(index for index, (_, script) in enumerate(MIGRATIONS) if script is WEB_CONSOLE_V12)
    with sqlite3.connect(path) as old:
        for _, script in MIGRATIONS[:mine]:
            old.executescript(script)
        old.execute(f"PRAGMA user_version={MIGRATIONS[mine - 1][0]}")
        old.execute(
            "INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by, "
            "created_at, updated_at, post_time, zone, start_date, seed) VALUES ('wisdom', "
            "'discord', 'G1', 'C1', 'ada', 'x', 'x', '09:00', 'UTC', '2026-12-02', 1)"
        )
    async with await Database.open(path) as db:
        assert MIGRATIONS[mine][0] == 12
        assert await db.schema_version() == MIGRATIONS[-1][0]
        row = await db.fetch_one("SELECT count(*) FROM subscriptions")
        assert row is not None and row[0] == 1  # state is kept
        await web_auth.add_login_link(db, "h" * 64, "ada", T0, T0 + timedelta(minutes=10))
        assert await web_auth.use_login_link(db, "h" * 64, T0) == "ada"


async def test_a_link_is_used_once_and_only_before_it_expires(db: Database) -> None:
    await web_auth.add_login_link(db, "a" * 64, "ada", T0, T0 + timedelta(minutes=10))
    await web_auth.add_login_link(db, "b" * 64, "bob", T0, T0 + timedelta(minutes=10))
    assert await web_auth.use_login_link(db, "a" * 64, T0 + timedelta(minutes=1)) == "ada"
    assert await web_auth.use_login_link(db, "a" * 64, T0 + timedelta(minutes=2)) is None
    assert await web_auth.use_login_link(db, "b" * 64, T0 + timedelta(minutes=10)) is None
    assert await web_auth.use_login_link(db, "c" * 64, T0) is None


async def test_sessions_end_when_they_expire_or_are_ended(db: Database) -> None:
    await web_auth.add_session(db, "s1", "ada", "csrf1", T0, T0 + timedelta(hours=1))
    await web_auth.add_session(db, "s2", "bob", "csrf2", T0, T0 + timedelta(hours=1))
    found = await web_auth.session(db, "s1", T0)
    assert found is not None and (found.user, found.csrf_token) == ("ada", "csrf1")
    assert await web_auth.session(db, "s1", T0 + timedelta(hours=1)) is None
    await web_auth.end_session(db, "s2")
    assert await web_auth.session(db, "s2", T0) is None
    later = T0 + timedelta(hours=2)
    await web_auth.add_session(db, "s3", "ada", "csrf3", later, later + timedelta(hours=1))
    rows = await db.fetch_all("SELECT token_hash FROM web_sessions")
    assert [row[0] for row in rows] == ["s3"]  # the expired ones are swept


async def test_the_audit_trail_keeps_who_did_what_newest_first(db: Database) -> None:
    await audit.record(db, at=T0, user="ada", action="logged in", remote="127.0.0.1")
    await audit.record(db, at=T0 + timedelta(minutes=1), user="ada", action="/wisdom subscribe")
    entries = await audit.recent(db)
    assert [(e.user, e.action, e.remote) for e in entries] == [
        ("ada", "/wisdom subscribe", ""),
        ("ada", "logged in", "127.0.0.1"),
    ]
    assert entries[1].at == T0
