"""Community nuggets in the store (migration 11): the queue, approval into the content
tables, and approved nuggets surviving `confbot load`, re-imports and the upgrade."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.delivery.wisdom_service import WisdomService
from bot.records import Conference, Speaker, Talk
from bot.store import community_nuggets as store
from bot.store.community_nuggets import DuplicateNugget, TalkRef
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from bot.store.schema import MIGRATIONS
from tests.conftest import BUNDLED_DATA
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

AT = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
FAIRYTALE = TalkRef("normconf-2022", "an-ml-fairytale", None)
QUOTE = "Counting things is the heart of the true work of machine learning."


async def queue(db: Database, text: str = QUOTE, talk: TalkRef | None = FAIRYTALE) -> int:
    return await store.add(
        db,
        text=text,
        speaker="Vicki Boykis",
        talk=talk,
        frontend="discord",
        submitter="42",
        submitted_by="ada (42)",
        link="https://discord.com/channels/1/2/3",
        at=AT,
    )


async def pool_texts(db: Database, talk_slug: str) -> list[str]:
    rows = await db.fetch_all(
        "SELECT n.text FROM nuggets n JOIN talks t ON t.id = n.talk_id WHERE t.slug = ? "
        "ORDER BY n.position",
        (talk_slug,),
    )
    return [str(row[0]) for row in rows]


async def test_the_migration_adds_the_table_to_a_database_of_the_version_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    mine = next(i for i, (_, script) in enumerate(MIGRATIONS) if "community_nuggets" in script)
    with sqlite3.connect(path) as old:
        for _, script in MIGRATIONS[:mine]:
            old.executescript(script)
        old.execute(f"PRAGMA user_version={MIGRATIONS[mine - 1][0]}")
    async with await Database.open(path) as db:
        assert MIGRATIONS[mine][0] == 11
        assert await db.schema_version() == MIGRATIONS[-1][0]
        await load_data_dir(db, BUNDLED_DATA)
        assert (await store.get(db, await queue(db))) is not None


async def test_a_submission_waits_in_the_queue_and_is_not_in_the_pool(bundled_db: Database) -> None:
    submission_id = await queue(bundled_db)
    found = await store.get(bundled_db, submission_id)
    assert found is not None and found.status == "pending" and found.talk_id is not None
    assert found.talk == TalkRef("normconf-2022", "an-ml-fairytale", None, "An ML Fairytale")
    assert (found.submitted_by, found.link, found.submitted_at) == (
        "ada (42)",
        "https://discord.com/channels/1/2/3",
        AT,
    )
    assert QUOTE not in await pool_texts(bundled_db, "an-ml-fairytale")
    pending, total = await store.listed(bundled_db)
    assert [s.id for s in pending] == [submission_id] and total == 1


async def test_the_same_words_twice_are_refused_against_the_queue_and_the_pool(
    bundled_db: Database,
) -> None:
    await queue(bundled_db)
    with pytest.raises(DuplicateNugget):
        await queue(
            bundled_db,
            "counting things, is the HEART of the -- um -- true work of ML!".replace(
                "ML", "machine learning"
            ),
        )
    with pytest.raises(DuplicateNugget):  # a nugget of the bundled data
        await queue(bundled_db, "Airflow is basically... fancy crontab")
    assert (await store.listed(bundled_db))[1] == 1


async def test_an_approved_nugget_is_in_the_pool_at_once(bundled_db: Database) -> None:
    before = await pool_texts(bundled_db, "an-ml-fairytale")
    submission_id = await queue(bundled_db)
    assert await store.approve(bundled_db, submission_id, by="admin (1)", at=AT)
    assert await pool_texts(bundled_db, "an-ml-fairytale") == [*before, QUOTE]
    hits = await store.search_pool(bundled_db, "heart true work")
    assert [hit.text for hit in hits] == [QUOTE]
    assert hits[0].source == "Community submission (Discord)"
    assert not await store.approve(bundled_db, submission_id, by="admin (1)", at=AT)
    assert not await store.reject(bundled_db, submission_id, by="admin (1)", at=AT)


async def test_a_rejected_nugget_never_reaches_the_pool(bundled_db: Database) -> None:
    submission_id = await queue(bundled_db)
    assert await store.reject(bundled_db, submission_id, by="admin (1)", at=AT)
    assert QUOTE not in await pool_texts(bundled_db, "an-ml-fairytale")
    assert (await store.listed(bundled_db, "rejected"))[1] == 1
    await queue(bundled_db)  # rejected words may be submitted again


async def test_approved_nuggets_survive_a_full_reload_and_a_changed_talk_file(
    db: Database, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data)
    await load_data_dir(db, data)
    await store.approve(db, await queue(db), by="admin (1)", at=AT)
    expected = await pool_texts(db, "an-ml-fairytale")

    await load_data_dir(db, data, force=True)  # every conference compared again
    assert await pool_texts(db, "an-ml-fairytale") == expected
    talk = data / "normconf-2022" / "an-ml-fairytale.toml"
    talk.write_text(talk.read_text().replace('kind = "keynote"', 'kind = "talk"'))
    await load_data_dir(db, data)  # the talk file re-read and rewritten
    assert await pool_texts(db, "an-ml-fairytale") == expected
    shutil.rmtree(data / "normconf-2022")
    await load_data_dir(db, data)  # the conference is gone, and with it the nugget
    shutil.copytree(BUNDLED_DATA / "normconf-2022", data / "normconf-2022")
    await load_data_dir(db, data)  # back: a fresh insert, the nugget attached again
    assert await pool_texts(db, "an-ml-fairytale") == expected


def camp(*, slug: str = "opening", title: str = "Opening") -> Conference:
    talk = Talk(
        slug=slug,
        title=title,
        speakers=(Speaker("Grace"),),
        summary="The camp opens.",
        guid="guid-opening",
        starts_at=datetime(2026, 8, 1, 10, tzinfo=UTC),
        ends_at=datetime(2026, 8, 1, 11, tzinfo=UTC),
    )
    return Conference("camp-2026", "Camp", (talk,), origin="import:camp.json")


async def test_approved_nuggets_follow_their_talk_through_re_imports_by_guid(
    db: Database,
) -> None:
    await replace_conferences(db, [camp()], origin="import:camp.json")
    row = await db.fetch_one("SELECT id FROM talks WHERE slug = 'opening'")
    assert row is not None
    ref = await store.talk_ref(db, int(row[0]))
    assert ref == TalkRef("camp-2026", "opening", "guid-opening", "Opening")
    await store.approve(db, await queue(db, talk=ref), by="admin (1)", at=AT)

    unchanged = await replace_conferences(db, [camp()], origin="import:camp.json")
    assert not unchanged.changed  # the merged nugget is no change
    renamed = await replace_conferences(
        db, [camp(slug="grand-opening", title="Grand opening")], origin="import:camp.json"
    )
    assert renamed.changed
    assert await pool_texts(db, "grand-opening") == [QUOTE]
    await db.execute("DELETE FROM conferences")  # a reload that re-creates every talk
    await replace_conferences(db, [camp()], origin="import:camp.json")
    assert await pool_texts(db, "opening") == [QUOTE]


async def test_only_an_approved_nugget_reaches_daily_wisdom(db: Database) -> None:
    clock = FakeClock(AT)
    await replace_conferences(db, [camp()], origin="import:camp.json")  # no nuggets of its own
    service = WisdomService(db, FakePoster(clock), frontend="discord", clock=clock)
    await service.subscribe(
        guild_id="G1",
        channel_id="C1",
        post_time="09:00",
        zone="UTC",
        created_by="root",
        can_post=True,
    )
    ref = TalkRef("camp-2026", "opening", "guid-opening")
    pending = await queue(db, talk=ref)
    assert await service.preview("C1") is None  # queued is not in the pool
    assert await store.approve(db, pending, by="root (1)", at=AT)
    post = await service.preview("C1")
    assert post is not None and post.text == QUOTE and post.speaker == "Vicki Boykis"
