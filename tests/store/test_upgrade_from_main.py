"""A database made by main before the delivery engine (tests/store/fixtures/main-v4.sql, see
its header) is migrated to the one table pair (`subscriptions`, `deliveries`, migration 5)
and delivery carries on from it: every subscription and log row keeps its meaning, the daily
rotation continues without repeats, a post an earlier process sent before it died is
recovered under the key it was sent with, not sent again, and a sent reminder stays sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.reminder_service import ReminderService
from bot.delivery.wisdom_service import WisdomService, list_subscriptions, post_log
from bot.reminders import ReminderPost
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from bot.store.schema import MIGRATIONS
from bot.wisdom import WisdomPost
from tests.conftest import BUNDLED_DATA
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster
from tests.store.test_reminders_store import CONF as STORE_CONF
from tests.store.test_reminders_store import T0, make_talk

FIXTURE = Path(__file__).parent / "fixtures" / "main-v4.sql"

# What the platforms held when main's processes stopped (printed by make_main_v4.py.txt):
# the claim of 25 April in c1 was delivered before a crash, so was the reminder of epsilon.
DISCORD_HOLDS = {"wisdom-1-20240425": "discord-m7", "r-9fedd93b9b158efa4e94d01": "discord-m12"}


# TestConf of the reminder store tests, with the two later talks the fixture was made with.
CONF = replace(
    STORE_CONF,
    talks=(
        *STORE_CONF.talks,
        make_talk("epsilon", 24 * 60),
        make_talk("zeta", 48 * 60, guid="guid-zeta"),
    ),
)


def restore(path: Path) -> None:
    """Replay the dump statement by statement (the FTS5 tables are written into the schema
    with writable_schema, which executescript does not take in one go)."""
    connection = sqlite3.connect(path, isolation_level=None)
    statement = ""
    for line in FIXTURE.read_text().splitlines(keepends=True):
        if line.startswith("--") and not statement:
            continue
        statement += line
        if sqlite3.complete_statement(statement):
            connection.execute(statement)
            statement = ""
    connection.execute("PRAGMA user_version=4")
    connection.close()


@pytest.fixture
async def upgraded(tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "from-main.sqlite3"
    restore(path)
    async with await Database.open(path) as db:
        await load_data_dir(db, BUNDLED_DATA)
        await replace_conferences(db, [CONF], origin="import")
        yield db


WISDOM_C1, WISDOM_SLACK = 4, 5  # wisdom ids 1..3 follow the reminders' 1..3 after the move


async def test_the_old_tables_are_gone_and_every_row_moved(upgraded: Database) -> None:
    assert await upgraded.schema_version() == MIGRATIONS[-1][0]
    tables = {str(r[0]) for r in await upgraded.fetch_all("SELECT name FROM sqlite_master")}
    assert not tables & {"wisdom_subscriptions", "wisdom_posts", "reminder_subscriptions"}
    assert "reminder_log" not in tables
    kinds = await upgraded.fetch_all(
        "SELECT s.kind, count(DISTINCT s.id), count(d.key) FROM subscriptions s "
        "LEFT JOIN deliveries d ON d.subscription_id = s.id GROUP BY s.kind ORDER BY s.kind"
    )
    assert [tuple(row) for row in kinds] == [("reminder", 3, 9), ("wisdom", 3, 17)]
    keys = await upgraded.fetch_all(
        "SELECT idempotency_key FROM deliveries WHERE subscription_id = ? AND key = ?",
        (WISDOM_C1, "2024-04-25"),
    )
    assert [row[0] for row in keys] == ["wisdom-1-20240425"]  # the key it was sent with


async def test_every_wisdom_subscription_and_post_keeps_its_meaning(upgraded: Database) -> None:
    subs = {sub.id: sub for sub in await list_subscriptions(upgraded)}
    assert [(s.frontend, s.channel_id, s.zone, s.enabled) for s in subs.values()] == [
        ("discord", "c1", "Europe/Amsterdam", True),
        ("slack", "C9", "America/New_York", False),
        ("discord", "c2", "UTC", True),
    ]
    assert subs[WISDOM_SLACK].disabled_reason == "channel_not_found (3 failed attempts in a row)"
    c1 = {r.local_date.isoformat(): r for r in await post_log(upgraded, WISDOM_C1)}
    assert {day: r.status for day, r in c1.items()} == {
        "2024-04-20": "sent",
        "2024-04-21": "sent",
        "2024-04-22": "skipped",
        "2024-04-23": "sent",
        "2024-04-24": "sent",
        "2024-04-25": "claimed",
    }
    assert c1["2024-04-20"].message_id == "discord-m1"
    assert c1["2024-04-25"].error == "rate limited by Discord (429)"
    failed = [r for r in await post_log(upgraded, WISDOM_SLACK) if r.status == "failed"]
    assert len(failed) == 2 and all(r.error for r in failed)


async def test_the_rotation_continues_without_repeats_and_the_crashed_post_is_recovered(
    upgraded: Database,
) -> None:
    sent_before = {r.nugget_key for r in await post_log(upgraded, WISDOM_C1) if r.status == "sent"}
    clock = FakeClock(datetime(2024, 4, 25, 12, 5, tzinfo=UTC))
    poster = FakePoster(clock, already=dict(DISCORD_HOLDS))
    service = WisdomService(upgraded, poster, frontend="discord", clock=clock)

    outcomes = await service.run_due()

    assert [(o.channel_id, o.kind) for o in outcomes] == [("c1", "recovered")]
    assert poster.delivered == []  # 25 April was not posted again
    for day in range(26, 31):
        clock.set(datetime(2024, 4, day, 12, 5, tzinfo=UTC))
        await service.run_due()
    posted = [m.post for m in poster.delivered if m.post.channel_id == "c1"]
    keys = [post.nugget_key for post in posted if isinstance(post, WisdomPost)]
    assert len(keys) == 5
    assert len(set(keys)) == 5 and not set(keys) & sent_before
    recovered = next(r for r in await post_log(upgraded, WISDOM_C1) if r.local_date.day == 25)
    assert (recovered.status, recovered.message_id) == ("sent", "discord-m7")


async def test_a_sent_reminder_is_not_sent_again_and_a_delivered_claim_is_recovered(
    upgraded: Database,
) -> None:
    clock = FakeClock(T0 + timedelta(hours=24, minutes=-8))
    poster = FakePoster(clock, already=dict(DISCORD_HOLDS))
    service = ReminderService(upgraded, poster, frontend="discord", clock=clock)

    outcomes = await service.run_due()

    assert [(o.channel_id, o.talk_key, o.kind) for o in outcomes] == [
        ("c1", "testconf/epsilon", "recovered")
    ]
    assert poster.delivered == []
    statuses = {
        (status.subscription.channel_id, status.subscription.minutes_before): status.counts
        for status in await service.status("c1") + await service.status("c2")
    }
    assert statuses[("c1", 10)] == {"sent": 2, "skipped": 2, "failed": 1}
    assert statuses[("c2", 5)] == {"sent": 1, "skipped": 1}
    # Back at the moment delta's reminder for c2 was sent: it is never sent again.
    clock.set(T0 + timedelta(minutes=177))
    assert await service.run_due() == []
    assert not [m for m in poster.delivered if isinstance(m.post, ReminderPost)]
