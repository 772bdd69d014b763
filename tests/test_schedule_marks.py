"""Marks of recent changes and the staleness footer in /now, /next and /schedule, on the
console's core, over two imports of the CCCamp 2019 sample: the second moves OpenCodes from
12:00 to 15:00, puts "Beyond the Pile of Knobs" in Meitner and drops "Hambacher Forst"."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.answer import Answer
from bot.core import Core
from bot.schedule_marks import Marks
from bot.sources.detect import load_schedule
from bot.store import sources
from bot.store.changes import ProgrammeChange, TalkSnapshot
from bot.store.content import replace_conferences
from bot.store.db import Database
from bot.store.programme_grid import DayTalk
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock

CAMP = SHARED / "samples" / "frab-camp2019.json"
BERLIN = ZoneInfo("Europe/Berlin")
IMPORTED = datetime(2019, 8, 22, 9, 0, tzinfo=BERLIN)


def changed_camp() -> dict[str, Any]:
    """The sample with one talk moved, one re-roomed and one removed (Thursday)."""
    document: dict[str, Any] = copy.deepcopy(json.loads(CAMP.read_text()))
    rooms = document["schedule"]["conference"]["days"][1]["rooms"]
    opencodes = next(e for e in rooms["Curie"] if e["title"] == "OpenCodes")
    opencodes["start"] = "15:00"
    opencodes["date"] = "2019-08-22T15:00:00+02:00"
    knobs = next(e for e in rooms["Curie"] if e["title"] == "Beyond the Pile of Knobs")
    rooms["Curie"].remove(knobs)
    knobs["room"] = "Meitner"
    rooms["Meitner"].append(knobs)
    rooms["Meitner"] = [e for e in rooms["Meitner"] if not e["title"].startswith("Hambacher")]
    return document


async def two_imports(db: Database, tmp: Any) -> None:
    await replace_conferences(db, [load_schedule(CAMP)], origin="import", now=IMPORTED)
    changed = tmp / "camp-changed.json"
    changed.write_text(json.dumps(changed_camp()))
    later = IMPORTED + timedelta(hours=1)
    await replace_conferences(db, [load_schedule(changed)], origin="import", now=later)


def core_at(db: Database, moment: datetime) -> Core:
    return Core(db, rng=random.Random(7), clock=FakeClock(moment))


def lines(answer: Answer) -> list[str]:
    return [f"{f.name} | {f.value}" for f in answer.fields]


def line(answer: Answer, title: str) -> str:
    return next(text for text in lines(answer) if title in text)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_schedule_marks_the_moved_the_re_roomed_and_the_cancelled(
    db: Database, tmp_path: Any
) -> None:
    await two_imports(db, tmp_path)
    core = core_at(db, datetime(2019, 8, 22, 11, 30, tzinfo=BERLIN))

    day = await core.ask("/schedule thursday --conference camp2019")

    assert line(day, "OpenCodes").startswith("Thu 15:00")
    assert "(moved from 12:00)" in line(day, "OpenCodes")
    assert "Meitner" in line(day, "Beyond the Pile") and "(was in Curie)" in line(
        day, "Beyond the Pile"
    )
    assert line(day, "Hambacher Forst") == (
        "Thu 11:00 · Meitner | Hambacher Forst #hambibleibt — cancelled"
    )
    assert "moved" not in line(day, "Automated security testing")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_and_next_mark_a_moved_talk(db: Database, tmp_path: Any) -> None:
    await two_imports(db, tmp_path)

    now = await core_at(db, datetime(2019, 8, 22, 15, 10, tzinfo=BERLIN)).ask("/now curie")
    upcoming = await core_at(db, datetime(2019, 8, 22, 12, 50, tzinfo=BERLIN)).ask("/next")

    assert "(moved from 12:00)" in line(now, "OpenCodes")
    assert "(was in Curie)" in line(upcoming, "Beyond the Pile")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_marks_fade_a_day_after_the_change(db: Database, tmp_path: Any) -> None:
    await two_imports(db, tmp_path)
    core = core_at(db, IMPORTED + timedelta(days=1, hours=2))

    day = await core.ask("/schedule thursday --conference camp2019")

    assert "moved" not in line(day, "OpenCodes")
    assert not any("Hambacher" in text for text in lines(day))


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_and_schedule_say_when_a_followed_programme_is_stale(db: Database) -> None:
    await replace_conferences(db, [load_schedule(CAMP)], origin="import", now=IMPORTED)
    url = "https://user:secret@example.org/camp.json"
    await sources.add_source(db, url, timedelta(minutes=2), IMPORTED)
    source = (await sources.list_sources(db))[0]
    await sources.record_success(
        db,
        source.id,
        IMPORTED,
        IMPORTED + timedelta(minutes=2),
        etag=None,
        last_modified=None,
        conference_slug="camp2019",
    )
    fresh = core_at(db, IMPORTED + timedelta(minutes=3))
    stale = core_at(db, datetime(2019, 8, 22, 11, 30, tzinfo=BERLIN))

    assert "out of date" not in (await fresh.ask("/now")).footer
    now = await stale.ask("/now")
    day = await stale.ask("/schedule")
    nxt = await stale.ask("/next")

    for answer in (now, day):
        assert "Programme last confirmed 2 h ago" in answer.footer
        assert "it may be out of date" in answer.footer
        assert "secret" not in answer.footer
    assert "out of date" not in nxt.footer


async def test_an_unknown_conference_is_named_with_the_known_ones(core: Core) -> None:
    known = await core.lookup.conference_slugs()
    for line_ in (
        "/search data --conference nosuch",
        "/now --conference nosuch",
        "/talk keynote --conference nosuch",
    ):
        answer = await core.ask(line_)
        assert answer.ephemeral and not answer.found
        assert answer.text == f"No conference `nosuch`; known: {', '.join(known)}."
    assert "normconf-2022" in known


def test_a_talk_finds_its_changes_by_key_or_by_its_new_title_and_start() -> None:
    """Marks look a talk's changes up (by key, and by the new side's title and start for a
    talk keyed by its guid) instead of reading every change per talk: the same marks as
    that reading (`reference`), in the order the changes came."""

    def snapshot(title: str, hour: int, room: str) -> TalkSnapshot:
        return TalkSnapshot(title, datetime(2019, 8, 22, hour, tzinfo=BERLIN), None, room, ())

    def change(
        key: str,
        kind: str,
        old: TalkSnapshot | None,
        new: TalkSnapshot | None,
        conference: str = "camp",
    ) -> ProgrammeChange:
        return ProgrammeChange(conference, key, kind, old, new, 1, IMPORTED)

    changes = (
        change("camp/a", "moved", snapshot("A", 10, "R1"), snapshot("A", 12, "R1")),
        change("guid-b", "room", snapshot("B", 11, "R1"), snapshot("B", 11, "R2")),
        change("guid-b", "room", snapshot("B", 11, "R2"), snapshot("B", 11, "R3")),
        change("guid-b", "moved", snapshot("B", 9, "R3"), snapshot("B", 11, "R3")),
        change("camp/c", "new", None, snapshot("C", 13, "R1")),
        change("camp/d", "title", snapshot("D", 14, "R1"), snapshot("D2", 14, "R1")),
        change("other/a", "room", snapshot("A", 12, "R9"), snapshot("A", 12, "R1"), "other"),
        change("camp/e", "cancelled", snapshot("E", 15, "R1"), None),
        change("guid-a", "moved", snapshot("A", 8, "R1"), snapshot("A", 12, "R1")),  # A again
    )
    marks = Marks(changes, BERLIN)
    talks = [
        DayTalk("camp", slug, title, datetime(2019, 8, 22, hour, tzinfo=BERLIN), None, "R1", ())
        for slug, title, hour in (
            ("a", "A", 12),
            ("b", "B", 11),
            ("c", "C", 13),
            ("d", "D2", 14),
            ("e", "E", 15),
            ("x", "B", 12),
            ("y", "A", 12),
        )
    ]

    def reference(talk: DayTalk) -> list[ProgrammeChange]:
        return [
            c
            for c in changes
            if c.conference == talk.conference_slug
            and (
                c.talk_key == f"{talk.conference_slug}/{talk.slug}"
                or (
                    c.new is not None
                    and (c.new.title, c.new.starts_at) == (talk.title, talk.starts_at)
                )
            )
        ]

    for talk in talks:
        assert marks.kinds(talk) == frozenset(c.kind for c in reference(talk)), talk.slug
    assert [marks.of(talk) for talk in talks] == [
        "moved from 08:00",  # the later of its two moves
        "moved from 09:00; was in R2",
        "",
        "",
        "",
        "",
        "moved from 08:00",  # 'y' has A's new title and start: A's changes are marked on it too
    ]
    assert marks.kinds(talks[2]) == {"new"} and marks.kinds(talks[5]) == frozenset()
