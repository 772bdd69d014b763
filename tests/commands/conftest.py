"""What the command tests share: the bundled talks plus a small timed conference (two rooms,
a talk in each every hour of one day, in UTC), with the clock ten minutes into it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Core
from bot.records import Conference, Speaker, Talk
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from tests.conftest import REPO
from tests.fakes.clock import FakeClock

START = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = START + timedelta(minutes=10)


def walk_conference() -> Conference:
    """Two rooms, a talk in each every hour of one day, in UTC."""
    talks = tuple(
        Talk(
            slug=f"{room.lower().replace(' ', '-')}-{hour}",
            title=f"Data talk {hour} in {room}",
            speakers=(Speaker(f"Speaker {hour}"),),
            summary="About data.",
            starts_at=START + timedelta(hours=hour),
            ends_at=START + timedelta(hours=hour, minutes=45),
            room=room,
        )
        for room in ("Hall A", "Hall B")
        for hour in range(4)
    )
    return Conference("walk-2026", "Walk 2026", talks=talks, timezone="UTC")


@pytest.fixture
async def walk_core(db: Database) -> Core:
    await load_data_dir(db, REPO / "data")
    await replace_conferences(db, [walk_conference()], origin="import")
    return Core(db, rng=random.Random(3), clock=FakeClock(NOW))
