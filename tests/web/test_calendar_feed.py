"""The personal calendar feed served by the running web console: `/agenda calendar` (asked on
any platform) gives a link at the console's own address, a calendar app fetches it over real
HTTP without a session, `icalendar` parses it back; a reset or made-up token is a 404."""

from __future__ import annotations

import aiohttp
from icalendar import Calendar

from bot.answer import strip_highlights
from bot.commands.registry import Caller
from bot.config import Settings
from bot.core import Core
from bot.frontends.web.server import build_app
from bot.store.content import replace_conferences
from tests.commands.conftest import walk_conference
from tests.web.conftest import Console

GRACE = Caller("discord", "4242", "G1", "C1")


def link(answer_text: str) -> str:
    return next(w for w in strip_highlights(answer_text).split() if w.startswith("http"))


async def test_the_agenda_link_is_served_by_the_console_and_a_reset_revokes_it(
    console: Console,
) -> None:
    await replace_conferences(console.db, [walk_conference()], origin="import")
    followed = await console.core.ask("/follow talk Data talk 2 in Hall A", GRACE)
    assert followed.found, followed.text
    url = link((await console.core.ask("/agenda calendar", GRACE)).text)
    assert url.startswith(console.url + "/agenda/calendar/") and url.endswith(".ics")
    async with aiohttp.ClientSession() as calendar_app:  # no session cookie, as a calendar app
        async with calendar_app.get(url, allow_redirects=False) as response:
            assert response.status == 200 and response.content_type == "text/calendar"
            calendar = Calendar.from_ical(await response.text())
        (event,) = calendar.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Data talk 2 in Hall A"
        assert event.decoded("DTEND") > event.decoded("DTSTART")

        fresh = link((await console.core.ask("/agenda calendar reset", GRACE)).text)
        assert fresh != url and fresh.startswith(console.url)
        async with calendar_app.get(url, allow_redirects=False) as revoked:
            assert revoked.status == 404 and "4242" not in await revoked.text()
        async with calendar_app.get(fresh, allow_redirects=False) as response:
            assert response.status == 200
            assert len(Calendar.from_ical(await response.text()).walk("VEVENT")) == 1
        made_up = f"{console.url}/agenda/calendar/made-up.ics"
        async with calendar_app.get(made_up, allow_redirects=False) as unknown:
            assert unknown.status == 404


async def test_the_feed_links_name_the_web_url_else_host_and_port(console: Console) -> None:
    for env, base in (
        ({"CONFBOT_WEB_URL": "https://confbot.example.org/"}, "https://confbot.example.org"),
        ({"CONFBOT_WEB_HOST": "0.0.0.0"}, "http://0.0.0.0:8080"),
        ({}, "http://127.0.0.1:8080"),
    ):
        web = Settings.from_env({"CONFBOT_WEB_PORT": "8080", **env}, dotenv=False).web
        assert web is not None
        core = Core(console.db, clock=console.clock)
        build_app(core, console.db, web, clock=console.clock)
        assert core.calendar_base == base, env
