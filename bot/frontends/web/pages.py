"""The console's read pages: Overview (conferences, followed sources, front ends, the next
posts due, the latest actions) and Deliveries (what was posted where and when, the failures,
and the disabled subscriptions with a button that turns each back on).

Everything is read through store functions and the delivery layer's planners; the buttons
post to bot/frontends/web/subscriptions.py, which goes through the chat commands.
"""

from __future__ import annotations

from aiohttp import web

from bot.delivery.upcoming import next_posts
from bot.frontends.web.context import context
from bot.frontends.web.render import html
from bot.sources.fetch import redact_url
from bot.store import audit, delivery_views
from bot.store.communities import listed_conferences
from bot.store.sources import list_sources


async def overview(request: web.Request) -> web.Response:
    ctx = context(request)
    now = ctx.now()
    sources = [(redact_url(source.url), source) for source in await list_sources(ctx.db)]
    frontends = [
        {
            "name": name,
            "posts": name in ctx.core.delivery,
            "wisdom": ctx.core.delivery[name].wisdom is not None
            if name in ctx.core.delivery
            else False,
            "reminders": ctx.core.delivery[name].reminders is not None
            if name in ctx.core.delivery
            else False,
        }
        for name in ctx.frontends
    ]
    return html(
        request,
        "overview.html",
        title="Overview",
        now=now,
        conferences=await listed_conferences(ctx.db),
        sources=sources,
        frontends=frontends,
        next_posts=await next_posts(ctx.db, now, grace=ctx.grace, limit=10),
        actions=await audit.recent(ctx.db, limit=10),
    )


async def deliveries(request: web.Request) -> web.Response:
    ctx = context(request)
    return html(
        request,
        "deliveries.html",
        title="Deliveries",
        recent=await delivery_views.recent_deliveries(ctx.db, limit=100),
        problems=await delivery_views.recent_deliveries(ctx.db, limit=50, problems_only=True),
        disabled=await delivery_views.subscriptions(ctx.db, enabled=False),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", overview)
    app.router.add_get("/deliveries", deliveries)
