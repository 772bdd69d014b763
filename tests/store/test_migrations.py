"""Migrations that rebuild a table keep every row: migration 10 widens the kinds of
subscription ('programme', 'agenda') without losing a subscription or a delivery row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store.db import Database, _split_statements
from bot.store.schema import MIGRATIONS

SUBSCRIPTION = (
    "INSERT INTO subscriptions (id, kind, frontend, guild_id, channel_id, created_by,"
    " created_at, updated_at, conference, minutes_before, since_at)"
    " VALUES (7, 'reminder', 'discord', 'g1', 'c1', 'u1', 't', 't', 'normconf-2022', 10, 't')"
)
DELIVERY = (
    "INSERT INTO deliveries (subscription_id, key, status, due_at, end_at, message_id)"
    " VALUES (7, 'r-talk', 'sent', '2022-12-15T10:00', '2022-12-15T10:10', 'm1')"
)


def make_version(path: Path, version: int) -> None:
    """A database file at `version`, as the confbot of that version left it."""
    connection = sqlite3.connect(path, isolation_level=None)
    for number, script in MIGRATIONS:
        if number > version:
            break
        for statement in _split_statements(script):
            connection.execute(statement)
    connection.execute(f"PRAGMA user_version={version}")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(SUBSCRIPTION)
    connection.execute(DELIVERY)
    connection.close()


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        connection.close()


async def test_migration_10_keeps_every_subscription_and_delivery(tmp_path: Path) -> None:
    path = tmp_path / "v9.sqlite3"
    make_version(path, 9)
    before = rows(path, "subscriptions"), rows(path, "deliveries")

    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 10
        await db.execute(
            "INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by,"
            " created_at, updated_at) VALUES ('programme', 'slack', 'T1', 'C1', 'U1', 't', 't')"
        )
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO subscriptions (kind, frontend, guild_id, channel_id, created_by,"
                " created_at, updated_at) VALUES ('other', 'slack', 'T1', 'C2', 'U1', 't', 't')"
            )
    finally:
        await db.close()

    # Later migrations add columns (14: since_batch); what migration 10 kept is unchanged.
    assert rows(path, "subscriptions")[0][: len(before[0][0])] == before[0][0]
    assert rows(path, "deliveries") == before[1]
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        deleted = connection.execute("PRAGMA foreign_keys=ON")
        deleted.execute("DELETE FROM subscriptions WHERE id = 7")
        # The rebuilt log still cascades from its subscription.
        assert connection.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    finally:
        connection.close()


async def test_migration_14_gives_subscriptions_a_batch_to_start_after(tmp_path: Path) -> None:
    path = tmp_path / "v10.sqlite3"
    make_version(path, 10)
    before = rows(path, "subscriptions"), rows(path, "deliveries")

    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 14
        row = await db.fetch_one("SELECT since_batch FROM subscriptions WHERE id = 7")
        assert row is not None and row[0] is None
        columns = {str(r[1]) for r in await db.fetch_all("PRAGMA table_info(programme_changes)")}
        assert {"old_track", "new_track"} <= columns
    finally:
        await db.close()

    assert [r[:-1] for r in rows(path, "subscriptions")] == before[0]
    assert rows(path, "deliveries") == before[1]


def test_a_migration_script_splits_into_whole_statements_triggers_included() -> None:
    script = (
        "CREATE TABLE a (x);\n"
        "CREATE TRIGGER a_added AFTER INSERT ON a BEGIN\n"
        "    UPDATE a SET x = 1 WHERE x IS NULL;\n"
        "    DELETE FROM a WHERE x = 2;\n"
        "END;\n"
        "DROP TABLE b\n"
    )
    statements = _split_statements(script)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    assert statements[2] == "DROP TABLE b"
