"""The community_conferences table (migration 9) and its store module."""

from __future__ import annotations

from bot.store.communities import community_pool, conferences_of, set_conferences
from bot.store.db import Database
from bot.store.schema import COMMUNITY_CONFERENCES_V9, MIGRATIONS


async def test_migration_9_adds_community_conferences(db: Database) -> None:
    assert (9, COMMUNITY_CONFERENCES_V9) in MIGRATIONS
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


async def test_the_daily_pool_of_a_community_is_its_conferences_nuggets(
    bundled_db: Database,
) -> None:
    every = [str(r[0]) for r in await bundled_db.fetch_all("SELECT key FROM nuggets")]
    tumocon = {
        str(r[0])
        for r in await bundled_db.fetch_all(
            "SELECT n.key FROM nuggets n JOIN talks t ON t.id = n.talk_id "
            "JOIN conferences c ON c.id = t.conference_id WHERE c.slug = 'tumocon-2023'"
        )
    }
    await set_conferences(bundled_db, "slack", "T1", ["tumocon-2023"])
    await set_conferences(bundled_db, "slack", "T2", ["gone-2019"])

    assert 0 < len(tumocon) < len(every)
    assert set(await community_pool(bundled_db, "slack", "T1", every)) == tumocon
    assert await community_pool(bundled_db, "discord", "T1", every) == every  # not its say
    assert await community_pool(bundled_db, "slack", "T2", every) == every  # none loaded
    assert await community_pool(bundled_db, "slack", "", every) == every
