"""The composition root: one `App` (settings, database, core) handed to every configured front
end; adding a front end is implementing `Frontend` and one line in the registry."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from dataclasses import dataclass, field

import pytest

import bot.app
from bot import cli
from bot.app import App, build_core, serve, settle_heap
from bot.config import Settings
from bot.core import Core
from bot.frontends import registry
from bot.frontends.base import Frontend, StartError
from bot.frontends.registry import ConsoleFrontend, DiscordFrontend, SlackFrontend, configured
from bot.store.db import Database

BOTH = {"DISCORD_TOKEN": "d-token-1234", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}


@dataclass
class Probe:
    """A front end as a new one would be written: a name and `serve(app)`."""

    name: str = "probe"
    served: list[App] = field(default_factory=list)
    fail: str | None = None
    forever: bool = False

    async def serve(self, app: App) -> None:
        self.served.append(app)
        if self.fail:
            raise StartError(self.fail)
        if self.forever:
            await asyncio.Event().wait()


def test_no_platform_configured_is_the_console() -> None:
    assert [f.name for f in configured(Settings.from_env({}))] == ["console"]
    assert isinstance(configured(Settings.from_env({}))[0], ConsoleFrontend)


def test_each_configured_platform_is_served() -> None:
    chosen = configured(Settings.from_env(BOTH))
    assert [type(f) for f in chosen] == [DiscordFrontend, SlackFrontend]


def test_half_a_slack_configuration_refuses_to_start() -> None:
    with pytest.raises(StartError, match="SLACK_APP_TOKEN"):
        configured(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}))


async def test_a_new_front_end_is_one_line_of_registration(
    bundled_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Probe()
    monkeypatch.setattr(registry, "FRONTENDS", [*registry.FRONTENDS, lambda _settings: probe])
    app = App(Settings.from_env({}), bundled_db, build_core(bundled_db))

    assert await serve(app) == []
    assert probe.served == [app]  # the one database and core, passed in
    assert isinstance(probe.served[0].core, Core)


async def test_a_front_end_that_cannot_start_stops_the_others_and_says_why(
    bundled_db: Database,
) -> None:
    app = App(Settings.from_env({}), bundled_db, build_core(bundled_db))
    waiting = Probe(name="waiting", forever=True)
    frontends: list[Frontend] = [waiting, Probe(fail="the token was refused")]

    failed = await asyncio.wait_for(serve(app, frontends), 10)

    assert [str(error) for error in failed] == ["the token was refused"]
    assert waiting.served == [app]


async def test_ctrl_c_stops_a_front_end_that_missed_the_first_cancellation(
    bundled_db: Database,
) -> None:
    """As discord.py's connect does under Python 3.11 when Ctrl-C comes just as the gateway
    answers: the first cancellation is lost."""
    stopped = asyncio.Event()

    @dataclass
    class Deaf:
        name: str = "deaf"

        async def serve(self, app: App) -> None:
            with contextlib.suppress(asyncio.CancelledError):  # lost, as wait_for loses it
                await asyncio.Event().wait()
            try:
                await asyncio.Event().wait()
            finally:
                stopped.set()

    app = App(Settings.from_env({}), bundled_db, build_core(bundled_db))
    serving = asyncio.create_task(serve(app, [Deaf()]))
    await asyncio.sleep(0.1)
    serving.cancel()
    done, _ = await asyncio.wait({serving}, timeout=10)
    assert done == {serving} and serving.cancelled()
    assert stopped.is_set()


async def test_started_is_called_once_the_front_ends_have_begun(bundled_db: Database) -> None:
    probe = Probe(forever=True)
    seen: list[int] = []
    app = App(Settings.from_env({}), bundled_db, build_core(bundled_db))
    serving = asyncio.create_task(
        serve(app, [probe], started=lambda: seen.append(len(probe.served)))
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert seen == [1]  # once, after the front end's serve had begun
    serving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await serving


def test_settle_heap_takes_start_up_out_of_the_collectors_sight() -> None:
    made_at_start_up: list[object] = [[]]
    made_at_start_up.append(made_at_start_up)  # a cycle, as modules and caches are
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is made_at_start_up for o in gc.get_objects())
        later: list[object] = []
        assert any(o is later for o in gc.get_objects())  # what comes after is still seen
    finally:
        gc.unfreeze()  # back to the oldest generation, as for the rest of the test session
    assert any(o is made_at_start_up for o in gc.get_objects())


async def test_confbot_run_settles_the_heap_once_started(
    bundled_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    async def fake_serve(app: App, *, started: object = None) -> list[StartError]:
        calls.append(started)
        return []

    monkeypatch.setattr(bot.app, "serve", fake_serve)
    app = App(Settings.from_env({}), bundled_db, build_core(bundled_db))
    assert await cli._run(app) == cli.EXIT_OK
    assert calls == [settle_heap]
