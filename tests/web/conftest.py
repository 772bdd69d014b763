"""A running web console for the tests: the real aiohttp app on 127.0.0.1 (an ephemeral
port) over a real SQLite database with the bundled data, a `FakeClock`, and daily wisdom,
talk reminders and programme-change announcements for a "discord" platform that post
through the `FakePoster`; and an HTTP client with its own cookie jar."""

from __future__ import annotations

import random
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.commands.delivery import Delivery
from bot.config import WebSettings
from bot.core import Core
from bot.delivery.announce_service import AnnouncementService
from bot.delivery.reminder_service import ReminderService
from bot.delivery.wisdom_service import WisdomService
from bot.frontends.web.credentials import make_login_link
from bot.frontends.web.server import build_app
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster
from tests.test_schedule_marks import IMPORTED, two_imports

START = datetime(2019, 8, 22, 10, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Console:
    url: str
    db: Database
    core: Core
    clock: FakeClock
    poster: FakePoster
    http: aiohttp.ClientSession

    async def login_link(self, user: str = "ada") -> str:
        return await make_login_link(self.db, user, self.clock.now(), self.url)

    async def csrf_of(self, path: str) -> str:
        async with self.http.get(self.url + path) as response:
            found = CSRF.search(await response.text())
        assert found is not None, f"no form on {path}"
        return found[1]

    async def log_in(self, user: str = "ada") -> None:
        """Log in through a one-time link, as a browser does: open it, press the button."""
        link = await self.login_link(user)
        token = link.rsplit("/", 1)[1]
        csrf = await self.csrf_of(link.removeprefix(self.url))
        async with self.http.post(
            self.url + "/login/link", data={"csrf": csrf, "token": token}, allow_redirects=False
        ) as response:
            assert response.status == 303, await response.text()

    async def page(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.url + path, allow_redirects=False) as response:
            return response.status, await response.text()

    async def post(self, path: str, **form: str) -> tuple[int, str, str]:
        """POST a form (with this session's CSRF token unless `csrf` is given); the status,
        the Location and the body."""
        if "csrf" not in form:
            form["csrf"] = await self.csrf_of("/subscriptions")
        async with self.http.post(self.url + path, data=form, allow_redirects=False) as response:
            return response.status, response.headers.get("Location", ""), await response.text()


async def start_console(
    db: Database, *, public: bool = True, trust_proxy: bool = False, clock: FakeClock | None = None
) -> AsyncIterator[Console]:
    """The console on a socket bound first, so its settings know their own address."""
    clock = clock or FakeClock(START)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    core = Core(db, rng=random.Random(7), clock=clock)
    poster = FakePoster(clock)
    core.delivery["discord"] = Delivery(
        WisdomService(db, poster, frontend="discord", clock=clock),
        ReminderService(db, poster, frontend="discord", clock=clock),
        AnnouncementService(db, poster, frontend="discord", clock=clock),
    )
    settings = WebSettings(port=port, public=public, trust_proxy=trust_proxy)
    app = build_app(core, db, settings, clock=clock, frontends=["discord"])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    url = settings.url
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address (127.0.0.1)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        try:
            yield Console(url, db, core, clock, poster, http)
        finally:
            await runner.cleanup()


@pytest.fixture
async def console(bundled_db: Database) -> AsyncIterator[Console]:
    async for running in start_console(bundled_db):
        yield running


@pytest.fixture
async def camp(bundled_db: Database, tmp_path: Path) -> AsyncIterator[Console]:
    """The console two hours after two imports of the CCCamp 2019 sample, the second with
    changes (tests.test_schedule_marks.two_imports); its tests carry the samples marker."""
    await two_imports(bundled_db, tmp_path)
    clock = FakeClock(IMPORTED + timedelta(hours=2))
    async for running in start_console(bundled_db, clock=clock):
        yield running
