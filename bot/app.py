"""The composition root: the one place the bot is put together.

`App` holds what every front end shares (the settings, the open database, the command core);
`build_core` makes the core, `serve` runs the configured front ends (`bot.frontends.registry`)
side by side over them. The CLI opens the database, builds the `App` and calls `serve`; nothing
is built at import time, and a front end gets what it needs passed in (as discord.py's
`examples/advanced_startup.py` passes in the pool and the session).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core import Core
from bot.frontends.base import Frontend, StartError
from bot.frontends.registry import configured
from bot.schedule import system_clock
from bot.store.db import Database


@dataclass(frozen=True)
class App:
    settings: Settings
    db: Database
    core: Core

    @property
    def wisdom_grace(self) -> timedelta:
        return timedelta(hours=self.settings.wisdom_grace_hours)


def build_core(db: Database, *, at: datetime | None = None) -> Core:
    """The command core over `db`; `at` rehearses: /now, /next and /schedule answer as if it
    were that moment."""
    return Core(db, clock=(lambda: at) if at else system_clock)


async def serve(app: App, frontends: Sequence[Frontend] | None = None) -> list[StartError]:
    """Serve `frontends` (default: the configured ones) in this process until all have
    stopped; the start errors of those that could not start (each one line; the others are
    stopped with them)."""
    try:
        chosen = list(frontends) if frontends is not None else configured(app.settings)
    except StartError as error:
        return [error]
    failed: list[StartError] = []
    try:
        async with asyncio.TaskGroup() as group:
            for frontend in chosen:
                group.create_task(frontend.serve(app), name=f"serve-{frontend.name}")
    except* StartError as failures:
        failed.extend(error for error in failures.exceptions if isinstance(error, StartError))
    return failed
