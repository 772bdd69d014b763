"""Followed sources in the one runner loop: `SourceService` polls a source served by the
local `ScheduleServer` on a FakeClock, the programme changes, and `confbot run`'s composition
root (`bot.app.serve`) runs it beside the front ends. A database error is logged, not fatal."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator

import pytest

from bot import app as composition
from bot.app import App, build_core, serve
from bot.config import Settings
from bot.delivery import sources as service_module
from bot.delivery.runner import Runner
from bot.delivery.sources import SourceService
from bot.sources.follow import follow
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.schedule_server import ScheduleServer
from tests.sources.test_follow import DEMOCON, EVERY, FIRST_TITLE, T0, retitled, titles


@pytest.fixture
async def server() -> AsyncIterator[ScheduleServer]:
    async with ScheduleServer(DEMOCON) as running:
        yield running


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_the_runner_polls_a_due_source_and_the_programme_changes(
    db: Database, server: ScheduleServer
) -> None:
    clock = FakeClock(T0)
    await follow(db, server.url, EVERY, T0)
    service = SourceService(db, clock)
    runner = Runner([service], clock=clock)

    (first,) = await runner.run_once()
    assert [o.result for o in first] == ["imported"]
    assert FIRST_TITLE in await titles(db)
    assert service.next_wakeup is not None and service.next_wakeup > T0

    server.publish(retitled("Focused sixth generation hardware"))
    (early,) = await runner.run_once()  # not due yet: nothing is asked
    assert list(early) == [] and server.counts.requests == 1
    clock.set(service.next_wakeup)
    (second,) = await runner.run_once()

    assert [o.result for o in second] == ["imported"]
    assert "Focused sixth generation hardware" in await titles(db)
    assert FIRST_TITLE not in await titles(db)


async def test_a_database_error_is_logged_and_the_loop_goes_on(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(service_module, "poll_due", broken)
    service = SourceService(db, FakeClock(T0))
    caplog.set_level(logging.ERROR, logger="confbot.sources")

    assert await service.run_due() == []
    assert await service.run_due() == []
    assert "polling failed" in caplog.text and "database is locked" in caplog.text
    assert service.next_wakeup is None


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_confbot_run_follows_sources_beside_the_front_ends(
    db: Database, server: ScheduleServer
) -> None:
    await follow(db, server.url, EVERY, T0)
    app = App(Settings.from_env({}), db, build_core(db), clock=FakeClock(T0))
    assert isinstance(composition.follow_sources(app).services[0], SourceService)

    class Waiting:
        name = "waiting"

        async def serve(self, app: App) -> None:
            await asyncio.Event().wait()

    serving = asyncio.create_task(serve(app, [Waiting()]))
    try:
        for _ in range(400):
            if FIRST_TITLE in await titles(db):
                break
            await asyncio.sleep(0.05)
        assert FIRST_TITLE in await titles(db)
        assert server.counts.full_bodies == 1
    finally:
        serving.cancel()
        await asyncio.wait({serving}, timeout=10)
    assert serving.done()
