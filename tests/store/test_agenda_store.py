"""The agenda's store (migration 13): follows per person and community, the lead time, the
pause and its once-only notice, the calendar token, and `forget`, which leaves no trace of
the person in a full dump of the database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.delivery.agenda_service import AgendaService
from bot.store import agenda, agenda_runs
from bot.store.agenda import Follow
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import START, walk_conference
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster
from tests.store.test_migrations import make_version, rows

USER = "U0FORGETME42"
T0 = datetime(2026, 5, 1, tzinfo=UTC)


async def test_migration_13_adds_the_agenda_tables_to_a_version_10_database(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v10.sqlite3"
    make_version(path, 10)
    before = rows(path, "subscriptions"), rows(path, "deliveries")
    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 13
        person = await agenda.ensure_person(db, "slack", USER, T0)
        assert await agenda.add_follow(
            db, Follow(person.id, "T1", "room", "Hall A", "", "Hall A", T0)
        )
    finally:
        await db.close()
    # Later migrations may add columns (14: since_batch); what was there is unchanged.
    assert rows(path, "subscriptions")[0][: len(before[0][0])] == before[0][0]
    assert rows(path, "deliveries") == before[1]
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


async def test_follows_are_per_person_and_community(db: Database) -> None:
    ada = await agenda.ensure_person(db, "discord", "1", T0)
    bob = await agenda.ensure_person(db, "discord", "2", T0)
    assert (await agenda.ensure_person(db, "discord", "1", T0)).id == ada.id
    assert ada.minutes_before == agenda.DEFAULT_MINUTES and ada.enabled
    follow = Follow(ada.id, "g1", "speaker", "ada lovelace", "", "Ada Lovelace", T0)
    assert await agenda.add_follow(db, follow)
    assert not await agenda.add_follow(db, follow)  # already
    assert await agenda.add_follow(db, Follow(ada.id, "g2", "room", "Hall A", "", "Hall A", T0))
    assert [f.kind for f in await agenda.follows_of(db, ada.id, "g1")] == ["speaker"]
    assert len(await agenda.follows_of(db, ada.id)) == 2
    assert await agenda.follows_of(db, bob.id) == []
    matching, people = await agenda_runs.follows_matching(db, "discord", {"room": ["hall a"]})
    assert [(f.subscription_id, f.value) for f in matching] == [(ada.id, "Hall A")]
    assert [p.user_id for p in people] == ["1"]
    assert await agenda.remove_follow(db, ada.id, "g1", "speaker", "ada lovelace") == [
        "Ada Lovelace"
    ]
    assert len(await agenda.follows_of(db, ada.id)) == 1


async def test_a_pause_is_told_once_and_resumed(db: Database) -> None:
    ada = await agenda.ensure_person(db, "slack", USER, T0)
    await db.execute(
        "UPDATE subscriptions SET enabled = 0, disabled_reason = 'cannot_dm_bot' WHERE id = ?",
        (ada.id,),
    )
    await agenda.note_paused(db, [ada.id])
    assert await agenda.paused_with_notice(db) == [("slack", USER)]
    assert await agenda.take_notice(db, "slack", USER) == "cannot_dm_bot"
    assert await agenda.take_notice(db, "slack", USER) is None
    assert await agenda.resume(db, ada.id, T0)
    assert not await agenda.resume(db, ada.id, T0)  # not paused any more
    assert (await agenda.person(db, "slack", USER)).enabled  # type: ignore[union-attr]


async def test_a_reset_calendar_token_revokes_the_old_one(db: Database) -> None:
    ada = await agenda.ensure_person(db, "slack", USER, T0)
    first = await agenda.calendar_token(db, ada.id)
    assert await agenda.calendar_token(db, ada.id) == first and len(first) >= 32
    second = await agenda.calendar_token(db, ada.id, reset=True)
    assert second != first
    assert await agenda.person_by_token(db, first) is None
    found = await agenda.person_by_token(db, second)
    assert found is not None and found.user_id == USER


async def test_forget_leaves_no_trace_of_the_person_in_a_full_dump(db: Database) -> None:
    await replace_conferences(db, [walk_conference()], origin="import")
    clock = FakeClock(START + timedelta(hours=1, minutes=-10))
    ada = await agenda.ensure_person(db, "slack", USER, clock.now())
    await agenda.add_follow(
        db, Follow(ada.id, "T1", "room", "Hall A", "walk-2026", "Hall A", clock.now())
    )
    await agenda.calendar_token(db, ada.id)
    await agenda.set_minutes(db, ada.id, 15, clock.now())
    assert await agenda.set_dm_channel(db, "slack", USER, "D0ADASIM")
    poster = FakePoster(clock)
    service = AgendaService(db, poster, frontend="slack", clock=clock)
    assert [r.kind for r in await service.run_due()] == ["sent"]  # a delivery row holds it too
    other = await agenda.ensure_person(db, "slack", "U0KEEPME", clock.now())

    def dump() -> str:
        connection = sqlite3.connect(db.path)  # a second reader sees every commit (WAL)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()

    assert USER in dump()
    assert await agenda.forget(db, "slack", USER)
    assert USER not in dump() and "D0ADASIM" not in dump()
    assert "U0KEEPME" in dump() and await agenda.person(db, "slack", other.user_id) is not None
    assert not await agenda.forget(db, "slack", USER)  # nothing left


async def test_migration_15_gives_people_of_a_version_14_database_a_dm_channel(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v14.sqlite3"
    make_version(path, 14)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(
        "INSERT INTO subscriptions (id, kind, frontend, guild_id, channel_id, created_by,"
        " created_at, updated_at, minutes_before, since_at)"
        " VALUES (8, 'agenda', 'slack', '', ?, 'self', 't', 't', 10, 't')",
        (USER,),
    )
    connection.execute(
        "INSERT INTO agenda_people (subscription_id, calendar_token) VALUES (8, 'k')"
    )
    connection.close()
    db = await Database.open(path)
    try:
        assert await db.schema_version() >= 15
        assert await agenda.dm_channel(db, "slack", USER) is None  # not learned yet
        assert await agenda.set_dm_channel(db, "slack", USER, "D0ADASIM")
        assert await agenda.dm_channel(db, "slack", USER) == "D0ADASIM"
        person = await agenda.person(db, "slack", USER)
        assert person is not None and person.calendar_token == "k"  # kept
    finally:
        await db.close()


async def test_a_dm_channel_is_stored_only_for_a_person_and_can_be_cleared(db: Database) -> None:
    assert not await agenda.set_dm_channel(db, "slack", USER, "D0ADASIM")  # follows nothing
    assert await agenda.dm_channel(db, "slack", USER) is None
    await agenda.ensure_person(db, "slack", USER, T0)
    assert await agenda.set_dm_channel(db, "slack", USER, "D0ADASIM")
    assert await agenda.dm_channel(db, "discord", USER) is None  # per front end
    assert await agenda.set_dm_channel(db, "slack", USER, None)
    assert await agenda.dm_channel(db, "slack", USER) is None
