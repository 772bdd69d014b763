"""The personal calendar feed over HTTP: an aiohttp route the web console mounts.

`GET /agenda/calendar/{token}.ics` answers the agenda of the person whose secret token it is
(`/agenda calendar` gives the link, `/agenda calendar reset` revokes it) as `text/calendar`;
an unknown or revoked token is a plain 404 that says nothing about who exists. No SQL here:
the store (`bot.store.agenda`) finds the person and their follows, the planner's rules pick
the talks (`bot.delivery.agenda_plan.followed`), `bot.agenda_ical` writes the feed. The token
never reaches a log line (aiohttp's access log is the web console's to configure).
"""

from __future__ import annotations

from aiohttp import web

from bot.agenda_ical import agenda_calendar
from bot.clock import SYSTEM_CLOCK, Clock
from bot.delivery.agenda_plan import followed
from bot.store import agenda
from bot.store.db import Database

ROUTE = "/agenda/calendar/{token}.ics"
"""Matches `bot.commands.agenda.CALENDAR_PATH`."""


def feed_routes(db: Database, clock: Clock = SYSTEM_CLOCK) -> web.RouteTableDef:
    """The feed's route, to add to the web console's application (`app.add_routes`)."""
    routes = web.RouteTableDef()

    @routes.get(ROUTE)
    async def feed(request: web.Request) -> web.Response:
        person = await agenda.person_by_token(db, request.match_info["token"])
        if person is None:
            raise web.HTTPNotFound(text="No such calendar.")
        follows = await agenda.follows_of(db, person.id)
        talks = followed(follows, await agenda.followed_talks(db, follows))
        ends = await agenda.talk_ends(db, [talk.ref for talk in talks])
        body = agenda_calendar(talks, ends, clock.now())
        return web.Response(
            text=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    return routes


def feed_app(db: Database, clock: Clock = SYSTEM_CLOCK) -> web.Application:
    """A stand-alone application serving only the feed (tests; the web console mounts the
    routes instead)."""
    app = web.Application()
    app.add_routes(feed_routes(db, clock))
    return app
