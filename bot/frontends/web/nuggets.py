"""The Nuggets page: the pool with search, and (coming) the review queue of nuggets the
community submits.

REVIEW QUEUE SEAM: the submission queue (`/nugget submit`, "Save as nugget") is being built
in its own store module by another change. When its API is on main, `review_queue` below
returns the pending submissions and the page shows approve / edit / reject forms for each,
posting to /nuggets/review/{id}/{approve|edit|reject} (each a CSRF-checked form, audited like
every other action). Until then the page says the queue is not there yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from bot.frontends.web.context import WebContext, context
from bot.frontends.web.render import html
from bot.store.catalog import counts
from bot.store.nugget_pool import pool_page

MAX_WORDS_LENGTH = 200


async def review_queue(ctx: WebContext) -> Sequence[object] | None:
    """The pending submissions, or None while the queue does not exist (see the module
    docstring)."""
    return None


async def page(request: web.Request) -> web.Response:
    ctx = context(request)
    words = request.query.get("q", "")[:MAX_WORDS_LENGTH]
    return html(
        request,
        "nuggets.html",
        title="Nuggets",
        words=words,
        nuggets=await pool_page(ctx.db, words),
        total=(await counts(ctx.db))["nuggets"],
        queue=await review_queue(ctx),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/nuggets", page)
