"""The live programme over a real imported schedule (CCCamp 2019), with the clock held still."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core, split_day
from bot.programme_days import resolve_day
from bot.records import Conference, Speaker, Talk
from bot.schedule import ScheduleAnswers
from bot.sources.detect import load_schedule
from bot.store import queries
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock

CAMP = SHARED / "samples" / "frab-camp2019.json"
BERLIN = ZoneInfo("Europe/Berlin")


def camp_events() -> list[dict[str, object]]:
    schedule = json.loads(CAMP.read_text())["schedule"]
    return [
        event
        for day in schedule["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    ]


@pytest.fixture
async def camp(bundled_db: Database) -> Database:
    await replace_conferences(bundled_db, [load_schedule(CAMP)], origin="import")
    return bundled_db


def answers(db: Database, moment: datetime) -> ScheduleAnswers:
    return ScheduleAnswers(db, clock=FakeClock(moment))


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_lists_what_is_running_in_the_conference_time_zone(camp: Database) -> None:
    moment = datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN)
    answer = await answers(camp, moment).now()
    running = [
        e
        for e in camp_events()
        if datetime.fromisoformat(str(e["date"])) <= moment
        and moment < datetime.fromisoformat(str(e["date"])) + _duration(str(e["duration"]))
    ]
    assert answer.kind == "schedule" and answer.found
    assert len(answer.fields) == len(running) >= 1
    assert answer.fields[0].name.startswith("Wed 11:00–11:30 · Curie")
    assert "Opening Ceremony" in answer.fields[0].value
    assert answer.footer == "As of Wed 21 Aug 11:10 CEST"


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_talk_starting_this_minute_counts_as_on_now(camp: Database) -> None:
    answer = await answers(camp, datetime(2019, 8, 21, 9, 0, tzinfo=UTC)).now()
    assert any("Opening Ceremony" in f.value for f in answer.fields)


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_now_between_talks_says_nothing_is_on_and_what_comes_next(camp: Database) -> None:
    answer = await answers(camp, datetime(2019, 8, 21, 11, 40, tzinfo=BERLIN)).now()
    assert not answer.found
    assert answer.title.startswith("Nothing on right now")
    assert answer.fields[0].name.startswith("Wed 12:00")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_next_gives_the_next_talk_in_each_room(camp: Database) -> None:
    answer = await answers(camp, datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN)).next()
    rooms = [f.name.split(" · ")[1] for f in answer.fields]
    assert len(rooms) == len(set(rooms))
    assert {"Curie", "Meitner"} <= set(rooms)
    only_curie = await answers(camp, datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN)).next("curie")
    assert [f.name.split(" · ")[1] for f in only_curie.fields] == ["Curie"]


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_schedule_for_a_day_and_room_matches_the_file(camp: Database) -> None:
    answer = await answers(camp, datetime(2019, 8, 20, 12, tzinfo=UTC)).schedule("day 2", "curie")
    expected = sorted(
        str(e["start"])
        for e in camp_events()
        if str(e["room"]) == "Curie"
        and datetime.fromisoformat(str(e["date"])).astimezone(BERLIN).date() == date(2019, 8, 22)
    )
    assert [f.name.split(" ")[1].split("–")[0] for f in answer.fields] == expected
    assert (
        answer.title
        == "Chaos Communication Camp 2019: Thursday 22 August 2019, rooms matching “curie”"
    )


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_outside_the_conference_nothing_is_on_and_the_span_is_given(camp: Database) -> None:
    answer = await answers(camp, datetime(2020, 1, 1, tzinfo=UTC)).now(conference="camp2019")
    assert not answer.found
    assert "Wed 21 Aug 2019 to" in answer.text


async def test_without_any_timed_talks_it_explains_how_to_import(bundled_db: Database) -> None:
    answer = await answers(bundled_db, datetime(2022, 12, 15, tzinfo=UTC)).now()
    assert answer.kind == "not_found"
    assert "confbot import" in answer.text


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_unreadable_day_is_a_usage_answer(camp: Database) -> None:
    answer = await answers(camp, datetime(2019, 8, 21, tzinfo=UTC)).schedule("someday")
    assert answer.kind == "usage"


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_core_dispatches_schedule_commands(camp: Database) -> None:
    core = Core(camp, clock=FakeClock(datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN)))
    assert (await core.ask("/now curie")).fields[0].name.endswith("Curie")
    assert (await core.ask("/schedule friday")).title.endswith("Friday 23 August 2019")
    narrowed = await core.ask("/talk opening ceremony --conference camp2019")
    assert narrowed.kind == "talk" and narrowed.title == "Opening Ceremony"


def test_day_words() -> None:
    assert split_day("friday curie") == ("friday", "curie")
    assert split_day("curie") == ("", "curie")
    assert split_day("day 2") == ("day 2", "")
    assert split_day("2019-08-22 Meitner") == ("2019-08-22", "Meitner")


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_resolve_day(camp: Database) -> None:
    conference = (await queries.scheduled_conferences(camp))[0]
    today = date(2019, 8, 22)
    assert resolve_day("", today, conference, BERLIN) == today
    assert resolve_day("", date(2020, 1, 1), conference, BERLIN) == date(2019, 8, 21)
    assert resolve_day("tomorrow", today, conference, BERLIN) == date(2019, 8, 23)
    assert resolve_day("sat", today, conference, BERLIN) == date(2019, 8, 24)
    assert resolve_day("day 1", today, conference, BERLIN) == date(2019, 8, 21)
    assert resolve_day("nonsense", today, conference, BERLIN) is None


def _duration(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


async def test_without_a_zone_the_schedule_keeps_the_offset_it_gave(bundled_db: Database) -> None:
    plus_two = timezone(timedelta(hours=2))

    def talk(slug: str, day: int, hour: int) -> Talk:
        start = datetime(2019, 8, day, hour, 0, tzinfo=plus_two)
        return Talk(
            slug=slug,
            title=slug.title(),
            speakers=(Speaker("Someone"),),
            summary="",
            starts_at=start,
            ends_at=start + timedelta(minutes=45),
            room="Hall",
        )

    zoneless = Conference(
        slug="zoneless",
        name="Zoneless",
        talks=(talk("wednesday-evening", 21, 19), talk("thursday-morning", 22, 10)),
        origin="import",
    )
    await replace_conferences(bundled_db, [zoneless], origin="import")
    # 01:30 on Thursday at +02:00 is still Wednesday in UTC (this machine's zone, or not).
    moment = datetime(2019, 8, 22, 1, 30, tzinfo=plus_two)
    answer = await answers(bundled_db, moment).schedule()
    assert answer.title == "Zoneless: Thursday 22 August 2019"
    assert [f.value.split(" — ")[0] for f in answer.fields] == ["Thursday-Morning"]
    assert answer.fields[0].name.startswith("Thu 10:00")


# -- the edges of the calendar and unbounded arguments (issue 10) -----------------------------

EDGE_MOMENTS = [
    datetime.max.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),  # before year 1 in UTC
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),  # after 9999 in UTC
]


@pytest.mark.parametrize(
    "day", ["9999-12-31", "0001-01-01", "day 99", "day 0", "99", "tomorrow", "yesterday", "sun"]
)
async def test_days_at_the_edge_of_the_calendar_are_answered(camp: Database, day: str) -> None:
    core = Core(camp, clock=FakeClock(datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN)))
    answer = await core.ask(f"/schedule {day}")
    assert answer.kind in ("schedule", "usage")


@pytest.mark.parametrize("moment", EDGE_MOMENTS)
async def test_a_clock_at_the_edge_of_the_calendar_is_answered(
    camp: Database, moment: datetime
) -> None:
    programme = answers(camp, moment)
    for answer in (
        await programme.now(),
        await programme.next(),
        await programme.schedule("tomorrow"),
        await programme.schedule("yesterday"),
        await programme.schedule("9999-12-31"),
        await programme.schedule("0001-01-01"),
    ):
        assert answer.title
    assert await programme.suggest_days("")


@pytest.mark.parametrize("room", ["a" * 50_000, "%" * 50_000, "_" * 50_000, "\\" * 50_000])
async def test_a_huge_room_argument_is_cut_not_refused_by_sqlite(camp: Database, room: str) -> None:
    programme = answers(camp, datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN))
    for answer in (
        await programme.now(room),
        await programme.next(room),
        await programme.schedule("", room),
    ):
        assert not answer.found
        assert len(answer.text) < 1000
    assert await programme.suggest_rooms(room) == []


async def test_like_wildcards_in_a_room_are_literal(camp: Database) -> None:
    programme = answers(camp, datetime(2019, 8, 21, 11, 10, tzinfo=BERLIN))
    assert (await programme.schedule("", "Curie")).found
    for room in ("%", "_urie", "C%"):
        assert not (await programme.schedule("", room)).found
