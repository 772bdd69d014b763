"""The community_conferences table (migration 8) and its store module."""

from __future__ import annotations

from bot.store.communities import conferences_of, set_conferences
from bot.store.db import Database
from bot.store.schema import MIGRATIONS


async def test_migration_9_adds_community_conferences(db: Database) -> None:
    assert "community_conferences" in dict(MIGRATIONS)[9]
    assert await db.schema_version() == MIGRATIONS[-1][0]
    row = await db.fetch_one(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'community_conferences'"
    )
    assert row is not None


async def test_each_community_keeps_its_own_conferences_in_order(db: Database) -> None:
    await set_conferences(db, "discord", "G1", ["tumocon-2023", "normconf-2022", "tumocon-2023"])
    await set_conferences(db, "slack", "G1", ["normconf-2022"])

    assert await conferences_of(db, "discord", "G1") == ["tumocon-2023", "normconf-2022"]
    assert await conferences_of(db, "slack", "G1") == ["normconf-2022"]
    assert await conferences_of(db, "discord", "") == []

    await set_conferences(db, "discord", "G1", [])
    assert await conferences_of(db, "discord", "G1") == []
    assert await conferences_of(db, "slack", "G1") == ["normconf-2022"]
