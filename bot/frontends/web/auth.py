"""Who may see the web console: sessions, CSRF tokens, the login pages and the audit trail.

One middleware (`guard`) runs before every handler: it finds the session from its cookie
(HttpOnly, SameSite=Strict, Secure over https, also behind a trusted proxy that says so in
X-Forwarded-Proto), sends a visitor without one to /login (no page of data is ever rendered
for them), and refuses every POST whose form does not carry the session's CSRF token (the
login forms carry a token of their own, from a cookie). Logins by password or one-time link
are rate-limited per address (bot/frontends/web/context.py's `LoginLimiter`); every login,
failed login and action goes to the log and the audit table (`audit`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot.frontends.agenda_feed import ROUTE
from bot.frontends.web.context import context, visit
from bot.frontends.web.credentials import (
    MAX_PASSWORD_LENGTH,
    MAX_USER_LENGTH,
    SESSION_LIFETIME,
    new_token,
    token_digest,
    verify_password,
)
from bot.frontends.web.render import html, refusal, see_other
from bot.store import audit as audit_log
from bot.store import web_auth

log = logging.getLogger("confbot.web")

SESSION_COOKIE = "confbot_session"
CALENDAR_FEEDS = ROUTE.split("{", 1)[0]  # "/agenda/calendar/"
LOGIN_CSRF_COOKIE = "confbot_login_csrf"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _open_path(path: str, public: bool) -> bool:
    """Pages anyone may fetch: the login pages, the style sheet, the personal calendar feeds
    (a calendar app has no session; the secret token in the path is the key), and (when on)
    the public programme."""
    if path == "/login" or path.startswith(("/login/", "/static/", CALENDAR_FEEDS)):
        return True
    return public and (path == "/public" or path.startswith("/public/"))


def is_secure(request: web.Request) -> bool:
    if request.secure:
        return True
    if not context(request).settings.trust_proxy:
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return proto == "https"


def remote_of(request: web.Request) -> str:
    """The client's address: the one the trusted proxy appended last, else the peer's."""
    if context(request).settings.trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()[:64]
    return request.remote or ""


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    ctx = context(request)
    seen = visit(request)
    seen.remote = remote_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        digest = token_digest(token)
        found = await web_auth.session(ctx.db, digest, ctx.now())
        if found is not None:
            seen.user, seen.csrf, seen.session_key = found.user, found.csrf_token, digest
    login_page = request.path == "/login" or request.path.startswith("/login/")
    if not seen.user and not _open_path(request.path, ctx.settings.public):
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    if request.method == "POST":
        form = await request.post()
        seen.form = form
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "") if login_page else seen.csrf
        given = form.get("csrf", "")
        if not (expected and isinstance(given, str) and hmac.compare_digest(given, expected)):
            log.warning("web: refused a %s form without a valid CSRF token", request.path)
            return refusal(
                request,
                403,
                "Refused",
                "This form did not come from this console's current page (its security "
                "token is missing or old). Reload the page and send it again.",
            )
    return await handler(request)


async def audit(request: web.Request, action: str, detail: str = "", *, user: str = "") -> None:
    """Log `action` with who did it and from where, and keep it in the audit table."""
    ctx = context(request)
    who = user or visit(request).user or "anonymous"
    remote = visit(request).remote
    log.info("web: %s by %s from %s%s", action, who, remote, f": {detail}" if detail else "")
    await audit_log.record(
        ctx.db, at=ctx.now(), user=who, action=action, detail=detail[:500], remote=remote
    )


def _next_path(raw: object) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    text = raw if isinstance(raw, str) else ""
    return text if text.startswith("/") and not text.startswith(("//", "/\\")) else "/"


def _login_token(request: web.Request) -> str:
    seen = visit(request)
    existing = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if existing:
        return existing
    seen.new_login_csrf = seen.new_login_csrf or new_token()
    return seen.new_login_csrf


def _with_login_cookie(request: web.Request, response: web.Response) -> web.Response:
    if visit(request).new_login_csrf:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            visit(request).new_login_csrf,
            httponly=True,
            samesite="Strict",
            secure=is_secure(request),
            path="/login",
        )
    return response


async def login_page(request: web.Request) -> web.Response:
    if visit(request).user:
        raise web.HTTPSeeOther(_next_path(request.query.get("next")))
    page = html(
        request,
        "login.html",
        title="Log in",
        login_csrf=_login_token(request),
        next=_next_path(request.query.get("next")),
    )
    return _with_login_cookie(request, page)


async def link_page(request: web.Request) -> web.Response:
    """The page a login link opens: one button that uses the link (a GET never does, so a
    mail scanner or a link preview cannot use it up)."""
    page = html(
        request,
        "login_link.html",
        title="Log in",
        login_csrf=_login_token(request),
        token=request.match_info["token"],
    )
    return _with_login_cookie(request, page)


def _limited(request: web.Request) -> web.Response | None:
    ctx = context(request)
    wait = ctx.limiter.wait(visit(request).remote, ctx.now())
    if not wait:
        return None
    minutes = max(1, round(wait.total_seconds() / 60))
    return refusal(
        request,
        429,
        "Too many attempts",
        f"Too many failed logins from here. Try again in {minutes} minute(s).",
    )


async def password_login(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    if (limited := _limited(request)) is not None:
        return limited
    form = visit(request).form
    user = str(form.get("user", "")).strip()[:MAX_USER_LENGTH]
    password = str(form.get("password", ""))[: MAX_PASSWORD_LENGTH + 1]
    stored = await web_auth.password_hash(ctx.db, user) if user else None
    good = stored is not None and await asyncio.to_thread(verify_password, password, stored)
    if not good:
        ctx.limiter.failed(visit(request).remote, ctx.now())
        await audit(request, "login refused (password)", f"user {user!r}", user="anonymous")
        page = html(
            request,
            "login.html",
            status=401,
            title="Log in",
            login_csrf=_login_token(request),
            next=_next_path(form.get("next")),
            error="That user name and password do not match.",
        )
        return _with_login_cookie(request, page)
    return await _start_session(request, user, "password", _next_path(form.get("next")))


async def link_login(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    if (limited := _limited(request)) is not None:
        return limited
    token = str(visit(request).form.get("token", ""))[:200]
    user = await web_auth.use_login_link(ctx.db, token_digest(token), ctx.now()) if token else None
    if user is None:
        ctx.limiter.failed(visit(request).remote, ctx.now())
        await audit(request, "login refused (link)", user="anonymous")
        return refusal(
            request,
            403,
            "This login link does not work",
            "It was used already, is older than 10 minutes, or was never made. Run "
            "`confbot web-login` for a new one.",
        )
    return await _start_session(request, user, "one-time link", "/")


async def _start_session(
    request: web.Request, user: str, how: str, then: str
) -> web.StreamResponse:
    ctx = context(request)
    ctx.limiter.succeeded(visit(request).remote)
    token, csrf = new_token(), new_token()
    now = ctx.now()
    await web_auth.add_session(ctx.db, token_digest(token), user, csrf, now, now + SESSION_LIFETIME)
    await audit(request, f"logged in ({how})", user=user)
    response = see_other(then)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=is_secure(request),
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await web_auth.end_session(context(request).db, visit(request).session_key)
    await audit(request, "logged out")
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", password_login)
    app.router.add_get("/login/link/{token}", link_page)
    app.router.add_post("/login/link", link_login)
    app.router.add_post("/logout", logout)
