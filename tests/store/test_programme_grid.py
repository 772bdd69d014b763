"""The programme grid's read (bot/store/programme_grid.py): the same talks, order, times,
rooms and speakers as the full `day_talks`, in one statement over one covering index that
migration 16 adds (a database made at migration 15 gets it on open)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.records import Conference, Speaker, Talk
from bot.store.content import replace_conferences
from bot.store.db import Database
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
    assert "talk_speakers_in_order" in plan and "TEMP B-TREE" not in plan, plan


async def test_a_database_of_migration_15_gets_the_grid_index(tmp_path: Path) -> None:
    path = tmp_path / "v15.sqlite3"
    make_version(path, 15)
    old = await Database.open(path, migrate=False)  # the programme as confbot 15 stored it
    try:
        await replace_conferences(old, [conference()], origin="import")
    finally:
        await old.close()
    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 16
        indexes = {str(row[0]) for row in await db.fetch_all("SELECT name FROM sqlite_master")}
        assert {"talks_by_day_and_start", "talk_speakers_in_order"} <= indexes
        assert "talks_by_schedule_day" not in indexes
        assert [row[1] for row in await read(db)] == ORDER
        assert await read(db) == await full(db)
    finally:
        await db.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
