"""The programme grid (console and public), the public talk pages and the calendar feeds,
over two imports of the CCCamp 2019 sample: the second moves OpenCodes from 12:00 to 15:00,
puts "Beyond the Pile of Knobs" in Meitner and drops "Hambacher Forst"."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from icalendar import Calendar

from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.test_calendar_feed import categories
from tests.test_schedule_marks import changed_camp
from tests.web.conftest import Console, start_console

pytestmark = pytest.mark.samples("samples/frab-camp2019.json")


def cell(page: str, title: str) -> str:
    """The grid cell holding `title`."""
    found = re.search(r"<td[^>]*>(?:(?!</td>).)*" + re.escape(title) + r".*?</td>", page, re.S)
    assert found is not None, title
    return found[0]


async def test_the_grid_marks_the_changes_of_the_last_import(camp: Console) -> None:
    await camp.log_in()
    status, page = await camp.page("/programme?conference=camp2019&day=2019-08-22")
    assert status == 200
    assert "Thu 2019-08-22" in page and '<th scope="col">Curie</th>' in page
    moved = cell(page, "OpenCodes")
    assert 'class="talk changed"' in moved and "moved from 12:00" in moved
    assert "was in Curie" in cell(page, "Beyond the Pile of Knobs")
    assert page.count('class="talk changed"') == 2  # nothing else is marked
    cancelled = page.split("Cancelled lately", 1)[1]
    assert "Hambacher Forst" in cancelled


async def test_the_grid_lists_every_talk_of_the_day_once(camp: Console) -> None:
    await camp.log_in()
    _, page = await camp.page("/programme?conference=camp2019&day=2019-08-22")
    shown = re.search(r"(\d+) talk\(s\) in (\d+) room\(s\)", page)
    assert shown is not None
    assert page.count('<div class="slot">') == int(shown[1]) > 10


async def test_a_day_outside_the_programme_falls_back_to_one_inside(camp: Console) -> None:
    await camp.log_in()
    status, page = await camp.page("/programme?conference=camp2019&day=1999-01-01")
    assert status == 200 and "2019-08-" in page and '<table class="grid">' in page


async def test_the_public_programme_links_each_talk_to_its_page(camp: Console) -> None:
    status, page = await camp.page("/public/camp2019?day=2019-08-22")
    assert status == 200 and "Log out" not in page
    link = re.search(r'href="(/public/camp2019/talk/[^"]+)">OpenCodes<', page)
    assert link is not None
    status, talk = await camp.page(link[1])
    assert status == 200 and "<h1>OpenCodes</h1>" in talk and "Summary" in talk


async def test_public_pages_are_off_unless_asked_for(bundled_db: Database) -> None:
    async for console in start_console(bundled_db, public=False):
        status, _ = await console.page("/public")
        assert status == 303  # not a public page: the login


async def feed(console: Console, path: str) -> Calendar:
    async with console.http.get(console.url + path) as response:
        assert response.status == 200, path
        assert response.content_type == "text/calendar"
        return Calendar.from_ical(await response.read())


async def test_the_calendar_feeds_parse_back_whole_by_room_and_by_track(camp: Console) -> None:
    everything = await feed(camp, "/public/camp2019.ics")
    events = everything.walk("VEVENT")
    assert len(events) > 50
    assert len({str(event["UID"]) for event in events}) == len(events)
    opencodes = next(e for e in events if str(e["SUMMARY"]) == "OpenCodes")
    assert opencodes.decoded("DTSTART").isoformat() == "2019-08-22T13:00:00+00:00"
    assert str(opencodes["LOCATION"]) == "Curie"
    assert str(opencodes["URL"]).startswith(camp.url + "/public/camp2019/talk/")

    curie = (await feed(camp, "/public/camp2019/room/Curie.ics")).walk("VEVENT")
    assert curie and all(str(event["LOCATION"]) == "Curie" for event in curie)
    assert len(curie) < len(events)

    track = next(categories(e)[0] for e in events if categories(e))
    by_track = (await feed(camp, f"/public/camp2019/track/{quote(track)}.ics")).walk("VEVENT")
    assert by_track and all(categories(e) == [track] for e in by_track)
    assert len(by_track) == sum(1 for e in events if categories(e) == [track])

    async with camp.http.get(camp.url + "/public/camp2019/room/Nowhere.ics") as missing:
        assert missing.status == 404


async def test_a_new_import_shows_at_once_and_marks_fade_after_a_day(camp: Console) -> None:
    await camp.log_in()
    path = "/programme?conference=camp2019&day=2019-08-22"
    _, before = await camp.page(path)
    assert "moved from 12:00" in before
    document = changed_camp()
    rooms = document["schedule"]["conference"]["days"][1]["rooms"]
    opencodes = next(e for e in rooms["Curie"] if e["title"] == "OpenCodes")
    opencodes["start"] = "16:30"
    opencodes["date"] = "2019-08-22T16:30:00+02:00"
    again = camp.clock.now()
    third = Path(camp.db.path).parent / "camp-third.json"
    third.write_text(json.dumps(document))
    await replace_conferences(camp.db, [load_schedule(third)], origin="import", now=again)
    _, after = await camp.page(path)
    assert "moved from 15:00" in cell(after, "OpenCodes")  # not the cached grid
    camp.clock.advance(timedelta(days=1, minutes=2))
    _, later = await camp.page(path)
    assert 'class="talk changed"' not in later
