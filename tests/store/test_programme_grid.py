"""The programme grid's read (bot/store/programme_grid.py): the same talks, order, times,
rooms and speakers as the full `day_talks`, in one statement over one covering index that
migrations 16 and 17 add (a database made at migration 15 or 16 gets it on open), with the
speakers that migration 17's triggers keep on each talk row right after every write."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.records import Conference, Speaker, Talk
from bot.store.content import replace_conferences
from bot.store.db import Database
from bot.store.imports import import_conference
from bot.store.programme import day_talks
from bot.store.programme_grid import _DAY, grid_talks
from bot.store.rows import utc_text
from tests.store.test_migrations import make_version

DAY = date(2024, 5, 1)
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
BOUNDS = utc_text(T0.replace(hour=0)) or "", utc_text(T0.replace(hour=0) + timedelta(days=1)) or ""


def talk(slug: str, minutes: int, room: str | None, *names: str, filed: bool = True) -> Talk:
    start = T0 + timedelta(minutes=minutes)
    return Talk(
        slug=slug,
        title=slug.replace("-", " ").title(),
        speakers=tuple(Speaker(name) for name in names),
        summary="",
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        room=room,
        schedule_day=DAY if filed else None,
    )


# Filed under the day and not (read by start), a talk after midnight filed under the day
# before, speakers in their order (not by name), none, two talks at one time in one room,
# no room (before the rooms at one time), and talks of other days that must not show.
TALKS = (
    talk("keynote", 0, "Main", "Zoe", "Ada", "Mo"),
    talk("late-night", 15 * 60 + 15, "Main", "Ada"),
    talk("no-speaker", 60, "Main"),
    talk("twin-a", 60, "Side", "Bo"),
    talk("twin-b", 60, "Side", "Cy", "Bo"),
    talk("roomless", 60, None, "Di"),
    talk("unfiled", 180, "Side", "Ed", filed=False),
    talk("unfiled-tomorrow", 24 * 60 + 180, "Side", "Ed", filed=False),
    replace(talk("filed-tomorrow", 24 * 60, "Main", "Fa"), schedule_day=DAY + timedelta(days=1)),
)
ORDER = ["keynote", "roomless", "no-speaker", "twin-a", "twin-b", "unfiled", "late-night"]


def conference() -> Conference:
    return Conference(slug="gridcon", name="GridCon", talks=TALKS, timezone="UTC")


async def read(db: Database, limit: int = 100) -> list[tuple[object, ...]]:
    return [
        tuple(t)
        for t in await grid_talks(
            db,
            conference="gridcon",
            day=DAY.isoformat(),
            starts_after=BOUNDS[0],
            starts_before=BOUNDS[1],
            limit=limit,
        )
    ]


async def full(db: Database, limit: int = 100) -> list[tuple[object, ...]]:
    return [
        (v.conference_slug, v.slug, v.title, v.starts_at, v.ends_at, v.room, v.speakers)
        for v in await day_talks(
            db,
            day=DAY.isoformat(),
            starts_after=BOUNDS[0],
            starts_before=BOUNDS[1],
            conference="gridcon",
            limit=limit,
        )
    ]


async def test_the_grid_reads_what_day_talks_reads(db: Database) -> None:
    await replace_conferences(db, [conference()], origin="import")
    grid = await read(db)
    assert grid == await full(db)
    assert [row[1] for row in grid] == ORDER
    speakers = {row[1]: row[6] for row in grid}
    assert speakers["keynote"] == ("Zoe", "Ada", "Mo")
    assert speakers["twin-b"] == ("Cy", "Bo") and speakers["no-speaker"] == ()
    assert await read(db, limit=3) == grid[:3] == await full(db, limit=3)


async def test_the_day_is_read_from_one_index_without_a_sort(db: Database) -> None:
    await replace_conferences(db, [conference()], origin="import")
    plan = " | ".join(
        str(row[3]) for row in await db.fetch_all(f"EXPLAIN QUERY PLAN {_DAY}", ("", "", "", "", 1))
    )
    assert plan.count("COVERING INDEX talks_by_day_and_start") == 2, plan
    assert "talk_speakers" not in plan and "TEMP B-TREE" not in plan, plan


async def upgraded_from(tmp_path: Path, version: int) -> Database:
    """A database with the programme as the confbot of `version` stored it, opened (and so
    migrated) by today's."""
    path = tmp_path / f"v{version}.sqlite3"
    make_version(path, version)
    old = await Database.open(path, migrate=False)
    try:
        await replace_conferences(old, [conference()], origin="import")
    finally:
        await old.close()
    return await Database.open(path)


def integrity(db: Database) -> tuple[object, ...]:
    with sqlite3.connect(db.path) as connection:
        return tuple(connection.execute("PRAGMA integrity_check").fetchone())


async def test_a_database_of_migration_15_gets_the_grid_index(tmp_path: Path) -> None:
    db = await upgraded_from(tmp_path, 15)
    try:
        indexes = {str(row[0]) for row in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert {"talks_by_day_and_start", "talk_speakers_in_order"} <= indexes
        assert "talks_by_schedule_day" not in indexes
        assert [row[1] for row in await read(db)] == ORDER
        assert await read(db) == await full(db)
        assert integrity(db) == ("ok",)
    finally:
        await db.close()


async def test_the_speakers_on_the_talk_row_follow_every_later_write(db: Database) -> None:
    """Migration 17 keeps each talk's joined speakers on its row by triggers: a re-import
    that reorders, adds and drops speakers, deletes a talk and adds one, and a renamed
    speaker, all read back as `day_talks` (which joins them afresh) reads them."""
    await import_conference(db, conference(), origin="import:gridcon")
    keynote, late, *rest = TALKS
    again = replace(
        conference(),
        talks=(
            replace(keynote, speakers=(Speaker("Mo"), Speaker("Zoe"), Speaker("Quinn"))),
            replace(late, speakers=()),
            *[t for t in rest if t.slug != "twin-a"],
            talk("newcomer", 120, "Main", "Ada", "Ed"),
        ),
    )
    await import_conference(db, again, origin="import:gridcon")
    speakers = {row[1]: row[6] for row in await read(db)}
    assert speakers["keynote"] == ("Mo", "Zoe", "Quinn")
    assert speakers["late-night"] == () and "twin-a" not in speakers
    assert speakers["newcomer"] == ("Ada", "Ed")
    assert await read(db) == await full(db)

    async with db.transaction() as connection:
        await connection.execute("UPDATE speakers SET name = 'Zoë' WHERE name = 'Zoe'")
    assert {row[1]: row[6] for row in await read(db)}["keynote"] == ("Mo", "Zoë", "Quinn")
    assert await read(db) == await full(db)


async def test_a_database_of_migration_16_gets_its_speakers_on_the_talk_rows(
    tmp_path: Path,
) -> None:
    db = await upgraded_from(tmp_path, 16)
    try:
        assert await read(db) == await full(db)
        assert {row[1]: row[6] for row in await read(db)}["keynote"] == ("Zoe", "Ada", "Mo")
        assert integrity(db) == ("ok",)
    finally:
        await db.close()
