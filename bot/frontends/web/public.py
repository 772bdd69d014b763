"""The public pages, served only when CONFBOT_WEB_PUBLIC=1: the programme of each
conference as a day grid, each talk (summary, speakers, nuggets, transcript with
timestamps), and iCalendar feeds of a whole programme, one room or one track
(bot/calendar_feed.py builds them). Read-only and without a session: nothing here shows a
subscription, a channel or who runs the bot.
"""

from __future__ import annotations

from aiohttp import web

from bot.calendar_feed import build_feed
from bot.frontends.web.context import context
from bot.frontends.web.programme import day_grid
from bot.frontends.web.render import html
from bot.store.catalog import TalkView
from bot.store.communities import listed_conferences
from bot.store.programme import scheduled_talks
from bot.store.talk_pages import talk_page, transcript_cues, transcript_text

MAX_FEED_TALKS = 20_000
CALENDAR_TYPE = "text/calendar"


async def index(request: web.Request) -> web.Response:
    ctx = context(request)
    return html(
        request,
        "public_index.html",
        title="Programmes",
        conferences=await listed_conferences(ctx.db),
    )


async def programme(request: web.Request) -> web.Response:
    slug = request.match_info["conference"]
    day = request.query.get("day", "")[:20]
    grid = await day_grid(request, slug, day, base=f"/public/{slug}", talk_link=True)
    if grid is None or grid.view.conference.slug != slug:
        raise web.HTTPNotFound(text="No such conference with a timed programme.")
    return html(request, "public_programme.html", title=grid.view.conference.name, grid=grid)


async def talk(request: web.Request) -> web.Response:
    ctx = context(request)
    found = await talk_page(ctx.db, request.match_info["conference"], request.match_info["slug"])
    if found is None:
        raise web.HTTPNotFound(text="No such talk.")
    cues = await transcript_cues(ctx.db, found.id) if found.has_transcript else []
    text = "" if cues or not found.has_transcript else await transcript_text(ctx.db, found.id)
    return html(request, "public_talk.html", title=found.title, talk=found, cues=cues, text=text)


async def _feed(request: web.Request, name: str, talks: list[TalkView]) -> web.Response:
    ctx = context(request)
    base = ctx.settings.url
    body = build_feed(
        talks,
        name=name,
        stamp=ctx.now(),
        link=lambda t: f"{base}/public/{t.conference_slug}/talk/{t.slug}",
    )
    return web.Response(body=body, content_type=CALENDAR_TYPE, charset="utf-8")


async def _talks(request: web.Request, room: str = "") -> list[TalkView]:
    slug = request.match_info["conference"]
    talks = await scheduled_talks(
        context(request).db,
        starts_before="9999",
        conference=slug,
        room=room,
        exact_room=bool(room),
        limit=MAX_FEED_TALKS,
    )
    if not talks:
        raise web.HTTPNotFound(text="No timed talks there.")
    return talks


async def conference_feed(request: web.Request) -> web.Response:
    talks = await _talks(request)
    return await _feed(request, talks[0].conference_name, talks)


async def room_feed(request: web.Request) -> web.Response:
    room = request.match_info["room"]
    talks = await _talks(request, room)
    return await _feed(request, f"{talks[0].conference_name}: {room}", talks)


async def track_feed(request: web.Request) -> web.Response:
    track = request.match_info["track"]
    talks = [t for t in await _talks(request) if (t.track or "").casefold() == track.casefold()]
    if not talks:
        raise web.HTTPNotFound(text="No timed talks in that track.")
    return await _feed(request, f"{talks[0].conference_name}: {track}", talks)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/public", index)
    app.router.add_get("/public/{conference}.ics", conference_feed)
    app.router.add_get("/public/{conference}/room/{room}.ics", room_feed)
    app.router.add_get("/public/{conference}/track/{track}.ics", track_feed)
    app.router.add_get("/public/{conference}/talk/{slug}", talk)
    app.router.add_get("/public/{conference}", programme)
