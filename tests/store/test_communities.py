"""The community_conferences table (migration 8) and its store module."""

from __future__ import annotations

from bot.store.communities import conferences_of, set_conferences
from bot.store.db import Database
from bot.store.schema import MIGRATIONS


async def test_migration_9_adds_community_conferences_last(db: Database) -> None:
    assert MIGRATIONS[-1][0] == 9 and "community_conferences" in MIGRATIONS[-1][1]
    assert await db.schema_version() == 9
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


async def test_a_communitys_conferences_are_read_once_and_forgotten_when_set(
    db: Database,
) -> None:
    await set_conferences(db, "discord", "G2", ["normconf-2022"])
    assert await conferences_of(db, "discord", "G2") == ["normconf-2022"]
    # A row written behind the store's back is not seen at once: the read is kept ...
    await db.execute(
        "INSERT INTO community_conferences(frontend, community, conference_slug, position) "
        "VALUES ('discord', 'G2', 'tumocon-2023', 1)"
    )
    assert await conferences_of(db, "discord", "G2") == ["normconf-2022"]
    # ... and forgotten by /conference use, so a community sees its own change at once.
    await set_conferences(db, "discord", "G2", ["tumocon-2023"])
    assert await conferences_of(db, "discord", "G2") == ["tumocon-2023"]
