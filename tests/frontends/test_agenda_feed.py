"""The personal calendar feed over real HTTP (aiohttp on 127.0.0.1): the secret link from
/agenda calendar serves the person's followed talks as iCalendar, parsed back with the
`icalendar` package; a reset link revokes the old one, and a made-up token is a plain 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, timedelta

import aiohttp
import pytest
from aiohttp import web
from icalendar import Calendar

from bot.answer import strip_highlights
from bot.commands.registry import Caller
from bot.core import Core
from bot.frontends.agenda_feed import feed_app
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import NOW, walk_conference
from tests.fakes.clock import FakeClock

ADA = Caller("slack", "U0ADA", "T1", "C1")


@pytest.fixture
async def walk_core(db: Database) -> Core:
    await replace_conferences(db, [walk_conference()], origin="import")
    return Core(db, clock=FakeClock(NOW))


@pytest.fixture
async def base(walk_core: Core) -> AsyncIterator[str]:
    runner = web.AppRunner(feed_app(walk_core.db, walk_core.programme.clock))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    walk_core.calendar_base = f"http://127.0.0.1:{port}"
    try:
        yield walk_core.calendar_base
    finally:
        await runner.cleanup()


def link(answer_text: str) -> str:
    return next(w for w in strip_highlights(answer_text).split() if w.startswith("http://"))


async def test_the_secret_link_serves_the_followed_talks_and_a_reset_revokes_it(
    walk_core: Core, base: str
) -> None:
    await walk_core.ask("/follow room Hall B", ADA)
    await walk_core.ask("/follow talk Data talk 2 in Hall A", ADA)
    url = link((await walk_core.ask("/agenda calendar", ADA)).text)
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 200
            assert response.content_type == "text/calendar"
            calendar = Calendar.from_ical(await response.text())
        events = calendar.walk("VEVENT")
        titles = sorted(str(e["SUMMARY"]) for e in events)
        assert titles == sorted(
            ["Data talk 2 in Hall A"] + [f"Data talk {h} in Hall B" for h in range(4)]
        )
        event = next(e for e in events if str(e["SUMMARY"]) == "Data talk 2 in Hall A")
        starts, ends = event.decoded("DTSTART"), event.decoded("DTEND")
        assert starts.astimezone(UTC).hour == 11 and ends - starts == timedelta(minutes=45)
        assert str(event["LOCATION"]) == "Hall A"

        fresh = link((await walk_core.ask("/agenda calendar reset", ADA)).text)
        async with session.get(url) as revoked:
            assert revoked.status == 404
        async with session.get(fresh) as response:
            assert response.status == 200
        async with session.get(f"{base}/agenda/calendar/made-up.ics") as unknown:
            assert unknown.status == 404 and "U0ADA" not in await unknown.text()
