"""The composition root: the one place the bot is put together.

`App` holds what every front end shares (the settings, the open database, the command core);
`build_core` makes the core, `serve` runs the configured front ends (`bot.frontends.registry`)
side by side over them, and the followed sources' poll loop (`follow_sources`) beside them,
which wakes the front ends' change announcements after an import (`announce_now`).
`settle_heap` (what `confbot run` calls once its front ends have started) takes what
start-up made out of the cyclic garbage collector's sight.
The CLI opens the database, builds the `App` and calls `serve`; nothing
is built at import time, and a front end gets what it needs passed in (as discord.py's
`examples/advanced_startup.py` passes in the pool and the session).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.core import Core
from bot.delivery.runner import Runner
from bot.delivery.sources import SourceService
from bot.frontends.base import Frontend, StartError
from bot.frontends.registry import configured
from bot.store.db import Database


@dataclass(frozen=True)
class App:
    """What every front end shares. `clock` is the one clock of the process: the system
    clock, or a rehearsal clock (`confbot run --at … --speed …`) that answers and posts move
    on together."""

    settings: Settings
    db: Database
    core: Core
    clock: Clock = SYSTEM_CLOCK

    @property
    def wisdom_grace(self) -> timedelta:
        return timedelta(hours=self.settings.wisdom_grace_hours)


def build_core(db: Database, *, clock: Clock = SYSTEM_CLOCK) -> Core:
    """The command core over `db`, answering /now, /next and /schedule on `clock`."""
    return Core(db, clock=clock)


def settle_heap() -> None:
    """Collect, then freeze (`gc.freeze`) every object alive: the modules, the settings, the
    core and what the front ends built to serve with stay for the life of the process, and
    each full collection of the cyclic collector walked them all again (tens of
    milliseconds, landing in whichever request was running: the p99 of a programme page).
    Later garbage is collected as before; bench.web calls this at the same point."""
    gc.collect()
    gc.freeze()


async def serve(
    app: App,
    frontends: Sequence[Frontend] | None = None,
    *,
    started: Callable[[], None] | None = None,
) -> list[StartError]:
    """Serve `frontends` (default: the configured ones) in this process until all have
    stopped; the start errors of those that could not start (each one line; the others are
    stopped with them). Cancelled (Ctrl-C), it stops them all. `started` is called once
    each front end has run to its first wait (its modules imported, its app built)."""
    try:
        chosen = list(frontends) if frontends is not None else configured(app.settings)
    except StartError as half_configured:
        return [half_configured]
    tasks = [asyncio.create_task(f.serve(app), name=f"serve-{f.name}") for f in chosen]
    follower = asyncio.create_task(follow_sources(app).run(), name="follow-sources")
    try:
        if started is not None:
            await asyncio.sleep(0)  # one turn of the loop: each task runs to its first wait
            started()
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        await _stop([*tasks, follower])
    failed: list[StartError] = []
    for task in tasks:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, StartError):
            failed.append(error)
        elif error is not None:
            raise error
    return failed


def follow_sources(app: App) -> Runner:
    """The runner that polls the followed schedule sources (`confbot source add`) on the
    app's clock, whichever front ends serve; one per process, so two front ends in one
    process never poll a source twice. An import that changed the programme wakes every
    front end's announcements at once (`announce_now`)."""
    service = SourceService(app.db, app.clock, after_changes=lambda: announce_now(app.core))
    return Runner([service], clock=app.clock)


def announce_now(core: Core) -> None:
    """Wake the post loop of every front end that announces programme changes (each
    registered its `AnnouncementService` on the core); a change imported by hand
    (`confbot import`) is found at their next tick instead."""
    for delivery in core.delivery.values():
        if delivery.programme is not None:
            delivery.programme.wake()


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel every task still running, and again each second while one goes on: Python
    3.11's `asyncio.wait_for` loses a cancellation that comes just as what it waits for is
    done (discord.py's gateway connect waits so), and Ctrl-C must still stop the bot."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
