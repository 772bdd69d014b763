"""The web console's aiohttp application, and serving it beside the chat front ends.

`build_app` wires the pages (each module's `add_routes`), the personal calendar feeds
(bot/frontends/agenda_feed.py, at their secret URLs, open without a session), the style
sheet, the guard middleware (bot/frontends/web/auth.py) and the security headers of every
response, and tells the core where the feeds are served (`Core.calendar_base`: the
console's address, CONFBOT_WEB_URL else http://HOST:PORT), so the links /agenda calendar
gives on every platform are this console's; `serve` listens on
CONFBOT_WEB_HOST:CONFBOT_WEB_PORT until cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.clock import Clock
from bot.config import WebSettings
from bot.frontends.agenda_feed import feed_routes
from bot.frontends.base import StartError
from bot.frontends.web import auth, nuggets, pages, programme, public, subscriptions
from bot.frontends.web.context import CONTEXT, WebContext
from bot.frontends.web.render import SECURITY_HEADERS, STATIC, environment
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("confbot.web")


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def build_app(
    core: Core,
    db: Database,
    settings: WebSettings,
    *,
    clock: Clock,
    frontends: Sequence[str] = (),
    grace: timedelta = timedelta(hours=6),
) -> web.Application:
    app = web.Application(middlewares=[auth.guard], client_max_size=64 * 1024)
    app[CONTEXT] = WebContext(
        core=core,
        db=db,
        clock=clock,
        settings=settings,
        templates=environment(),
        frontends=tuple(frontends),
        grace=grace,
    )
    app.on_response_prepare.append(_headers)
    app.add_routes(feed_routes(db, clock))
    core.calendar_base = settings.url
    auth.add_routes(app)
    pages.add_routes(app)
    subscriptions.add_routes(app)
    programme.add_routes(app)
    nuggets.add_routes(app)
    if settings.public:
        public.add_routes(app)
    app.router.add_static("/static/", STATIC, follow_symlinks=False)
    return app


async def serve(app: web.Application, settings: WebSettings) -> None:
    """Serve `app` (from `build_app`) until cancelled; StartError when the address cannot be
    had."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as error:
            raise StartError(
                f"the web console cannot listen on {settings.host}:{settings.port}: "
                f"{error.strerror or error}"
            ) from None
        public = " (public pages on)" if settings.public else ""
        log.info("web console on %s%s", settings.url, public)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
