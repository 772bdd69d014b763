"""Shared fixtures: a real SQLite database in a temp dir, loaded with the bundled data."""

from __future__ import annotations

import random
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.store.content import load_data_dir
from bot.store.db import Database

REPO = Path(__file__).resolve().parents[1]
BUNDLED_DATA = REPO / "data"
SHARED = REPO.parent / "shared"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """An empty, migrated database file in a temp dir."""
    database = await Database.open(tmp_path / "confbot.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def bundled_db(db: Database) -> Database:
    """The database with the bundled NormConf and TuMoCon data loaded."""
    await load_data_dir(db, BUNDLED_DATA)
    return db


@pytest.fixture
def core(bundled_db: Database) -> Core:
    return Core(bundled_db, rng=random.Random(7))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, target)
    return target
