"""What real exports say reaches the answers: descriptions beside abstracts, the schedule day
a talk after midnight is filed under, and a room named exactly as asked."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.answer import Answer
from bot.core import Core
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock

DEMOCON = SHARED / "samples" / "pretalx-democon.json"


@pytest.fixture
async def democon(db: Database) -> Core:
    await replace_conferences(db, [load_schedule(DEMOCON)], origin="import")
    return Core(db, rng=random.Random(7))


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_words_only_in_the_description_are_found(democon: Core) -> None:
    answer = await democon.ask("/search region beautiful")
    assert answer.found, answer.text
    described = next(
        t for t in load_schedule(DEMOCON).talks if "region beautiful" in (t.description or "")
    )
    assert described.title in {choice.label for choice in answer.choices} | {
        field.name for field in answer.fields
    }


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_the_talk_answer_shows_the_description_beside_the_abstract(democon: Core) -> None:
    conference = load_schedule(DEMOCON)
    talk = next(
        t for t in conference.talks if t.description and "region beautiful" in t.description
    )
    assert talk.summary and "region beautiful" not in talk.summary
    answer = await democon.ask(f"/talk {talk.title}")
    assert talk.summary in answer.text
    assert "Toward region beautiful language blood." in answer.text


def _event(guid: str, title: str, room: str, when: str, start: str) -> dict[str, object]:
    return {
        "guid": guid,
        "id": 1,
        "title": title,
        "room": room,
        "date": when,
        "start": start,
        "duration": "00:30",
        "type": "Talk",
        "persons": [],
    }


def _night_export() -> dict[str, object]:
    """Two pretalx-style days (04:00 to 03:59), rooms "One" and "Stonewall"; the late talk
    at 00:15 on Saturday is filed under Friday, day 1."""
    day_one = {
        "index": 1,
        "date": "2026-05-01",
        "day_start": "2026-05-01T04:00:00+02:00",
        "day_end": "2026-05-02T03:59:00+02:00",
        "rooms": {
            "One": [
                _event("a1", "Opening in One", "One", "2026-05-01T10:00:00+02:00", "10:00"),
                _event("a2", "Late night in One", "One", "2026-05-02T00:15:00+02:00", "00:15"),
            ],
            "Stonewall": [
                _event("b1", "Stonewall talk", "Stonewall", "2026-05-01T11:00:00+02:00", "11:00"),
                _event("b2", "Stonewall later", "Stonewall", "2026-05-01T13:00:00+02:00", "13:00"),
            ],
        },
    }
    day_two = {
        "index": 2,
        "date": "2026-05-02",
        "day_start": "2026-05-02T04:00:00+02:00",
        "day_end": "2026-05-03T03:59:00+02:00",
        "rooms": {
            "One": [_event("c1", "Saturday in One", "One", "2026-05-02T10:00:00+02:00", "10:00")]
        },
    }
    return {
        "schedule": {
            "version": "1",
            "conference": {
                "acronym": "nightcon",
                "title": "NightCon",
                "start": "2026-05-01",
                "end": "2026-05-02",
                "time_zone_name": "Europe/Berlin",
                "days": [day_one, day_two],
            },
        }
    }


@pytest.fixture
async def nightcon(db: Database, tmp_path: Path) -> Core:
    path = tmp_path / "nightcon.json"
    path.write_text(json.dumps(_night_export()))
    await replace_conferences(db, [load_schedule(path)], origin="import")
    friday_noon = datetime(2026, 5, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    return Core(db, rng=random.Random(7), clock=FakeClock(friday_noon))


def _titles(answer: Answer) -> list[str]:
    return [field.value.split(" — ")[0] for field in answer.fields]


async def test_a_talk_after_midnight_is_listed_under_the_day_it_is_filed_under(
    nightcon: Core,
) -> None:
    day_one = await nightcon.ask("/schedule day 1")
    assert _titles(day_one) == [
        "Opening in One",
        "Stonewall talk",
        "Stonewall later",
        "Late night in One",
    ]
    day_two = await nightcon.ask("/schedule day 2")
    assert _titles(day_two) == ["Saturday in One"]
    assert _titles(await nightcon.ask("/schedule friday")) == _titles(day_one)
    assert _titles(await nightcon.ask("/schedule saturday")) == ["Saturday in One"]


async def test_a_room_named_exactly_wins_over_rooms_containing_the_name(nightcon: Core) -> None:
    answer = await nightcon.ask("/schedule day 1 one")
    assert _titles(answer) == ["Opening in One", "Late night in One"]
    assert _titles(await nightcon.ask("/schedule day 1 ONE")) == _titles(answer)
    # A part of a name still finds every room containing it.
    assert _titles(await nightcon.ask("/schedule day 1 ton")) == [
        "Stonewall talk",
        "Stonewall later",
    ]
    assert _titles(await nightcon.ask("/next one")) == ["Late night in One"]
    assert _titles(await nightcon.ask("/next ton")) == ["Stonewall later"]


async def test_past_midnight_today_is_the_schedule_day_still_running(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "nightcon.json"
    path.write_text(json.dumps(_night_export()))
    await replace_conferences(db, [load_schedule(path)], origin="import")
    berlin = ZoneInfo("Europe/Berlin")
    during_the_late_talk = datetime(2026, 5, 2, 0, 20, tzinfo=berlin)
    core = Core(db, rng=random.Random(7), clock=FakeClock(during_the_late_talk))
    assert "Friday 01 May" in (await core.ask("/schedule")).title
    assert "Friday 01 May" in (await core.ask("/schedule today")).title
    assert _titles(await core.ask("/schedule tomorrow")) == ["Saturday in One"]
    after_it = datetime(2026, 5, 2, 9, 0, tzinfo=berlin)
    core = Core(db, rng=random.Random(7), clock=FakeClock(after_it))
    assert _titles(await core.ask("/schedule")) == ["Saturday in One"]


def test_a_day_without_a_readable_date_files_its_talks_by_their_own_date(tmp_path: Path) -> None:
    document = _night_export()
    day_one = document["schedule"]["conference"]["days"][0]  # type: ignore[index]
    day_one["date"] = "Freitag"
    path = tmp_path / "nightcon.json"
    path.write_text(json.dumps(document))
    talks = {t.title: t for t in load_schedule(path).talks}
    assert talks["Late night in One"].schedule_day is None
    assert talks["Saturday in One"].schedule_day is not None
