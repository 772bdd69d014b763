"""Pages as HTML: the Jinja2 templates (autoescaped, so user text is always shown as text),
the values every page gets, and the security headers of every response.

Templates live in bot/frontends/web/templates/ and use no JavaScript: every action is a form.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.frontends.web.context import Flash, context, visit
from bot.frontends.web.grid_html import grid_rows

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

# No script runs, nothing is framed, nothing is sent elsewhere; a login link never leaves
# in a Referer.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

NAV = (
    ("/", "Overview"),
    ("/programme", "Programme"),
    ("/subscriptions", "Subscriptions"),
    ("/deliveries", "Deliveries"),
    ("/nuggets", "Nuggets"),
)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["hhmm"] = hhmm
    env.filters["grid_rows"] = grid_rows
    return env


def when(moment: datetime | None, zone: tzinfo | None = None) -> str:
    """'2024-05-06 09:00 UTC' (or in `zone`), '—' for none."""
    if moment is None:
        return "—"
    shown = moment.astimezone(zone) if zone is not None else moment
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname() or ''}".strip()


def hhmm(moment: datetime | None, zone: tzinfo | None = None) -> str:
    if moment is None:
        return ""
    return f"{(moment.astimezone(zone) if zone is not None else moment):%H:%M}"


def html(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    """`template` rendered with `values` and what every page shows (the user, the CSRF
    token for its forms, the navigation, a waiting message)."""
    ctx = context(request)
    seen = visit(request)
    flash: Flash | None = ctx.flashes.pop(seen.session_key, None) if seen.session_key else None
    page = ctx.templates.get_template(template).render(
        user=seen.user,
        csrf=seen.csrf,
        nav=NAV if seen.user else (),
        here=request.path,
        flash=flash,
        public=ctx.settings.public,
        **values,
    )
    response = web.Response(text=page, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def refusal(request: web.Request, status: int, title: str, text: str) -> web.Response:
    """A short page saying what was refused and why."""
    return html(request, "refused.html", status=status, title=title, text=text)


def see_other(location: str) -> web.Response:
    """A 303 to `location` (post, redirect, get)."""
    return web.Response(status=303, headers={"Location": location})
