"""Loading records: atomic, idempotent, versioned and indexed; a bad file changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.records import Conference, RecordError, Speaker, Talk
from bot.store.content import load_data_dir, needs_load, replace_conferences
from bot.store.db import Database, StoreError
from bot.store.queries import counts
from bot.store.schema import MIGRATIONS
from tests.conftest import BUNDLED_DATA


def dump(path: Path) -> list[str]:
    """Every row of every table, for before/after comparisons."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


async def test_first_load_fills_every_table_and_the_search_index(db: Database) -> None:
    report = await load_data_dir(db, BUNDLED_DATA)
    assert report.changed and report.conferences == 2
    numbers = await counts(db)
    assert numbers["talks"] == report.talks == 15
    assert numbers["nuggets"] == report.nuggets
    indexed = await db.fetch_one("SELECT count(*) FROM talk_search")
    assert indexed is not None and indexed[0] == 15


async def test_loading_the_same_data_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    await load_data_dir(db, BUNDLED_DATA)
    before = dump(tmp_path / "confbot.sqlite3")
    again = await load_data_dir(db, BUNDLED_DATA)
    assert not again.changed
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_a_bad_file_leaves_the_working_database_exactly_as_it_was(
    db: Database, tmp_path: Path, data_copy: Path
) -> None:
    await load_data_dir(db, data_copy)
    before = dump(tmp_path / "confbot.sqlite3")
    (data_copy / "normconf-2022/new-talk.toml").write_text('title = "New"\nspeakers = [1]\n')
    assert await needs_load(db, data_copy)
    with pytest.raises(RecordError) as caught:
        await load_data_dir(db, data_copy)
    assert "new-talk.toml:2:" in str(caught.value)
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_a_failure_inside_the_transaction_rolls_everything_back(
    db: Database, tmp_path: Path
) -> None:
    await load_data_dir(db, BUNDLED_DATA)
    before = dump(tmp_path / "confbot.sqlite3")
    clash = Talk(slug="same", title="A", speakers=(Speaker("X"),), summary="s")
    broken = Conference(slug="broken", name="Broken", talks=(clash, clash))
    with pytest.raises(sqlite3.IntegrityError):
        await replace_conferences(db, [broken], origin="import")
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_a_removed_conference_folder_is_removed_and_imports_stay(
    db: Database, data_copy: Path
) -> None:
    await load_data_dir(db, data_copy)
    imported = Conference(
        slug="imported",
        name="Imported",
        talks=(Talk("t", "T", (Speaker("Y"),), "s"),),
        origin="import",
    )
    await replace_conferences(db, [imported], origin="import")
    for path in (data_copy / "tumocon-2023").iterdir():
        path.unlink()
    (data_copy / "tumocon-2023").rmdir()
    report = await load_data_dir(db, data_copy)
    assert report.removed == ("tumocon-2023",)
    rows = await db.fetch_all("SELECT slug FROM conferences ORDER BY slug")
    assert [r[0] for r in rows] == ["imported", "normconf-2022"]
    orphans = await db.fetch_one(
        "SELECT count(*) FROM speakers WHERE id NOT IN (SELECT speaker_id FROM talk_speakers)"
    )
    assert orphans is not None and orphans[0] == 0


async def test_nugget_keys_survive_a_reload(db: Database, data_copy: Path) -> None:
    await load_data_dir(db, data_copy)
    keys = {r[0] for r in await db.fetch_all("SELECT key FROM nuggets")}
    await load_data_dir(db, data_copy, force=True)
    assert {r[0] for r in await db.fetch_all("SELECT key FROM nuggets")} == keys


async def test_the_database_carries_its_schema_version_and_pragmas(db: Database) -> None:
    assert await db.schema_version() == MIGRATIONS[-1][0]
    mode = await db.fetch_one("PRAGMA journal_mode")
    keys = await db.fetch_one("PRAGMA foreign_keys")
    assert mode is not None and mode[0] == "wal"
    assert keys is not None and keys[0] == 1


async def test_a_database_from_a_newer_confbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version={MIGRATIONS[-1][0] + 1}")
    with pytest.raises(StoreError, match="newer than this confbot"):
        await Database.open(path)


async def test_migrations_resume_from_an_older_version(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    first = await Database.open(path, migrate=False)
    async with first.transaction() as connection:
        for statement in MIGRATIONS[0][1].split(";\n"):
            if statement.strip():
                await connection.execute(statement)
        await connection.execute("PRAGMA user_version=1")
    await first.close()
    reopened = await Database.open(path)
    assert await reopened.schema_version() == MIGRATIONS[-1][0]
    await reopened.close()


async def test_talk_ids_survive_a_reload_and_are_never_reused(
    db: Database, data_copy: Path
) -> None:
    await load_data_dir(db, data_copy)
    first = {int(r[0]) for r in await db.fetch_all("SELECT id FROM talks")}
    await load_data_dir(db, data_copy, force=True)
    assert {int(r[0]) for r in await db.fetch_all("SELECT id FROM talks")} == first
    folder = data_copy / "normconf-2022"
    (folder / "its-all-about-cost.toml").rename(folder / "its-all-about-money.toml")
    await load_data_dir(db, data_copy)
    row = await db.fetch_one("SELECT id FROM talks WHERE slug = 'its-all-about-money'")
    assert row is not None and int(row[0]) not in first


async def test_speakers_are_one_person_whatever_the_case_in_any_script(db: Database) -> None:
    talks = (
        Talk("a", "A", (Speaker("Émile Zola"),), "s"),
        Talk("b", "B", (Speaker("ÉMILE ZOLA"),), "s"),
    )
    await replace_conferences(db, [Conference("c", "C", talks=talks)], origin="import")
    rows = await db.fetch_all("SELECT name FROM speakers")
    assert [r[0] for r in rows] == ["Émile Zola"]
    linked = await db.fetch_one("SELECT count(DISTINCT speaker_id) FROM talk_speakers")
    assert linked is not None and linked[0] == 1
