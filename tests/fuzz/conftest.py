"""One real database for the whole fuzz suite, built once per module: the bundled data plus a
talk whose every text tries to ping everyone, the CCCamp 2019 schedule (timed talks, rooms)
and a real SRT transcript (timed cues), so every command has something to find.

Hypothesis runs examples in a plain (sync) test, so the fixture owns an `asyncio.Runner`
and the tests run each call on it.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.sources.detect import load_schedule
from bot.sources.transcripts import cues_to_text, parse_transcript
from bot.store.content import attach_transcript, load_data_dir, replace_conferences
from bot.store.db import Database
from tests.conftest import BUNDLED_DATA, SHARED

T = TypeVar("T")

CAMP = SHARED / "samples" / "frab-camp2019.json"
SRT = SHARED / "samples" / "bornhack2021-how-to-open-source-your-code-properly.srt"
DURING_CAMP = datetime(2019, 8, 21, 11, 10, tzinfo=ZoneInfo("Europe/Berlin"))

PINGING_TALK = '''title = "@everyone <!channel> look at this"
speakers = ["Eve @here <@U0123> Ryan"]
kind = "talk"
summary = """Hey @everyone and @here and <!everyone>: <@123456789012345678> is not pinged, \
<#C0123|general> is not a link, **this** is not bold."""
source = "a test file <!here>"

[[nuggets]]
text = "@everyone: ship it <!channel>."
speaker = "Eve @here <@U0123> Ryan"
source = "a test file"
'''


@dataclass
class World:
    """The fuzz suite's database and core, and the runner that drives them."""

    runner: asyncio.Runner
    db: Database
    core: Core
    moment: list[datetime] = field(default_factory=lambda: [DURING_CAMP])

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await make()

        return self.runner.run(call())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("fuzz")
    data = folder / "data"
    shutil.copytree(BUNDLED_DATA, data)
    (data / "normconf-2022" / "ping-everyone.toml").write_text(PINGING_TALK)
    runner = asyncio.Runner()
    db = runner.run(_build(folder / "fuzz.sqlite3", data))
    moment = [DURING_CAMP]
    core = Core(db, rng=random.Random(10), clock=_CellClock(moment))
    try:
        yield World(runner, db, core, moment)
    finally:
        runner.run(db.close())
        runner.close()


async def _build(path: Path, data: Path) -> Database:
    db = await Database.open(path)
    await load_data_dir(db, data)
    await replace_conferences(db, [load_schedule(CAMP)], origin="import")
    cues = parse_transcript(SRT)
    await attach_transcript(
        db, "normconf-2022/datas-desire-paths", cues, cues_to_text(cues), SRT.name
    )
    return db


class _CellClock:
    """A clock that reads the moment a test keeps in a one-item list (World.moment)."""

    def __init__(self, cell: list[datetime]) -> None:
        self.cell = cell

    def now(self) -> datetime:
        return self.cell[0]
