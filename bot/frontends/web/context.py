"""What every page of the web console shares: the bot's core, database and clock, the web
settings, the templates, the login limiter and the messages waiting for the next page.

Built once by bot/frontends/web/server.py and kept on the aiohttp application under
`CONTEXT`; a handler reads it with `context(request)`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.config import WebSettings
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.core import Core

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Flash:
    """A message for the next page a session sees (the result of a form)."""

    title: str
    text: str
    ok: bool = True


class LoginLimiter:
    """At most MAX_FAILURES failed logins per address within FAILURE_WINDOW; then refused
    until the oldest failure leaves the window. Kept in memory: a restart forgets it, which
    costs a guesser a restart per five tries."""

    def __init__(self, failures: int = MAX_FAILURES, window: timedelta = FAILURE_WINDOW) -> None:
        self.failures = failures
        self.window = window
        self._seen: dict[str, deque[datetime]] = {}

    def wait(self, key: str, now: datetime) -> timedelta:
        """How long `key` must wait before it may try again (zero: it may now)."""
        seen = self._seen.get(key)
        if not seen:
            return timedelta(0)
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) < self.failures:
            return timedelta(0)
        return seen[0] + self.window - now

    def failed(self, key: str, now: datetime) -> None:
        self._seen.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        self._seen.pop(key, None)


@dataclass
class WebContext:
    core: Core
    db: Database
    clock: Clock
    settings: WebSettings
    templates: jinja2.Environment
    frontends: tuple[str, ...] = ()  # the front ends served by this process
    grace: timedelta = timedelta(hours=6)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    flashes: dict[str, Flash] = field(default_factory=dict)
    grids: dict[tuple[object, ...], object] = field(default_factory=dict)  # programme.py's

    def now(self) -> datetime:
        return self.clock.now()


@dataclass
class Visit:
    """What the guard (bot/frontends/web/auth.py) found out about one request: where it
    comes from, whose session it carries (empty: none), that session's CSRF token and key,
    and a POST's form, already read and checked."""

    remote: str = ""
    user: str = ""
    csrf: str = ""
    session_key: str = ""
    form: Mapping[str, object] = field(default_factory=dict)
    new_login_csrf: str = ""


CONTEXT = web.AppKey("confbot_web", WebContext)
VISIT = web.RequestKey("confbot_visit", Visit)


def context(request: web.Request) -> WebContext:
    return request.app[CONTEXT]


def visit(request: web.Request) -> Visit:
    """The request's `Visit` (an empty one before the guard has run)."""
    found = request.get(VISIT)
    if found is None:
        found = request[VISIT] = Visit()
    return found
