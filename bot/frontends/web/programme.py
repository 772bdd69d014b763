"""The Programme page of the console: one day of a conference as a grid of rooms × time, the
talks changed by a recent import marked ("moved from 14:00", "new", "was in Room X") and
the talks cancelled lately listed under it. The public programme (bot/frontends/web/public.py)
shows the same grid.

A 1,000-event day is a large table, so the rendered grid (which holds nothing of the
visitor's: no user, no CSRF token) is kept for GRID_SECONDS under the data version: an import
or a load bumps the version, so a change is shown at the next request, and the marks of the
last 24 hours fade within GRID_SECONDS of their time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from markupsafe import Markup

from bot.frontends.web.context import context
from bot.frontends.web.grid import DayView, load_day
from bot.frontends.web.render import html
from bot.store.content import DATA_VERSION_KEY, get_meta

GRID_SECONDS = 60
MAX_GRIDS = 64


@dataclass(frozen=True)
class GridPage:
    view: DayView
    html: Markup
    expires: datetime


async def day_grid(
    request: web.Request, conference: str, day: str, *, base: str, talk_link: bool
) -> GridPage | None:
    """The grid of `conference` on `day` (see `load_day`) as HTML, from the cache when it is
    fresh; None when no conference has a timed programme."""
    ctx = context(request)
    now = ctx.now()
    key = (conference, day, base, talk_link, await get_meta(ctx.db, DATA_VERSION_KEY))
    kept = ctx.grids.get(key)
    if isinstance(kept, GridPage) and now < kept.expires:
        return kept
    view = await load_day(ctx.db, now, conference, day)
    if view is None:
        return None
    fragment = ctx.templates.get_template("grid.html").render(
        view=view, base=base, talk_link=talk_link
    )
    page = GridPage(view, Markup(fragment), now + timedelta(seconds=GRID_SECONDS))
    if len(ctx.grids) >= MAX_GRIDS:
        ctx.grids.pop(next(iter(ctx.grids)))
    ctx.grids[key] = page
    return page


async def page(request: web.Request) -> web.Response:
    grid = await day_grid(
        request,
        request.query.get("conference", "")[:100],
        request.query.get("day", "")[:20],
        base="/programme",
        talk_link=context(request).settings.public,
    )
    return html(request, "programme.html", title="Programme", grid=grid)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/programme", page)
