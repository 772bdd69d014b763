"""An export that keeps a cancelled event and marks it (c3voc schedule JSON version 2: its
`state`, the only explicit field among the formats we read) is a cancellation: the import
classifies it as cancelled, /now no longer lists it as running, and the channel is told."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime
from pathlib import Path

from bot.core import Core
from bot.delivery.announce_service import AnnouncementService
from bot.sources.detect import load_schedule
from bot.store.db import Database
from bot.store.imports import import_conference
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster
from tests.sources.test_schedule_v2 import version_2_document

# "Soldering Workshop" runs 11:00 to 13:00 (+01:00) on 2 May 2026.
DURING = datetime(2026, 5, 2, 10, 30, tzinfo=UTC)


def export(tmp_path: Path, *, workshop_state: str | None) -> Path:
    document = version_2_document()
    for event in document["schedule"]["events"]:
        if event.get("title") == "Soldering Workshop" and workshop_state is not None:
            event["state"] = workshop_state
    path = tmp_path / f"schedule-{workshop_state}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def now_text(db: Database) -> str:
    core = Core(db, rng=random.Random(1), clock=FakeClock(DURING))
    answer = await core.ask("/now --conference dvcon2026")
    return " ".join([answer.text, *(f"{f.name} {f.value}" for f in answer.fields)])


async def test_a_talk_marked_cancelled_is_a_cancellation_announced_once(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(DURING)
    poster = FakePoster(clock)
    announcer = AnnouncementService(
        db, poster, frontend="slack", clock=clock, log=logging.getLogger("test")
    )
    await import_conference(db, load_schedule(export(tmp_path, workshop_state=None)), origin="x")
    assert "Soldering Workshop" in await now_text(db)
    await announcer.subscribe(
        guild_id="T1",
        channel_id="C1",
        conferences=["dvcon2026"],
        filter_kind="all",
        filter_value="",
        created_by="admin",
    )

    marked = load_schedule(export(tmp_path, workshop_state="CANCELED"))
    report = await import_conference(db, marked, origin="x", now=clock.now())
    assert [(c.kind, c.title) for c in report.changes] == [("cancelled", "Soldering Workshop")]
    assert "Soldering Workshop" not in await now_text(db)

    assert [r.kind for r in await announcer.run_due()] == ["sent"]
    (message,) = poster.delivered
    assert [(f.name, f.value.split("\x03")[0].lstrip("\x02")) for f in message.answer.fields] == [
        ("Cancelled", "Soldering Workshop")
    ]
    again = await import_conference(db, marked, origin="x", now=clock.now())
    assert again.batch_id is None
    assert await announcer.run_due() == []
