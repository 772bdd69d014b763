"""Shared fixtures (a real SQLite database in a temp dir, loaded with the bundled data) and the
`samples` marker.

Tests that need a real file from `../shared/` (the samples and seeds that live beside the
clone, not in it) say so with `@pytest.mark.samples("samples/frab-camp2019.json", ...)`, each
name a path (or glob) relative to `../shared/`. Without those files such a test is skipped with
a reason naming them, so a clone of the public repository runs everything else standalone. In
CI (`CI` set) or with `CONFBOT_REQUIRE_SAMPLES=1` they are required: the run fails when
`../shared/` is missing, when a marked test is skipped or deselected, or when a whole-suite run
collected none.
"""

from __future__ import annotations

import os
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
SAMPLES_MARK = "samples"


def samples_required() -> bool:
    """CI must run every samples test; elsewhere they may be skipped."""
    ci = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
    return ci or os.environ.get("CONFBOT_REQUIRE_SAMPLES") == "1"


def shared_bytes(name: str) -> bytes:
    """A file of ../shared/ read at import time, or b"" when it is missing (the tests that use
    it carry the samples marker, so they are skipped then and never see the b"")."""
    path = SHARED / name
    return path.read_bytes() if path.is_file() else b""


def missing_shared(names: tuple[str, ...]) -> list[str]:
    """The names (paths or globs relative to ../shared/) that match no file."""
    return [name for name in names if not any(path.is_file() for path in SHARED.glob(name))]


def _needs(item: pytest.Item) -> tuple[str, ...]:
    names: list[str] = []
    for mark in item.iter_markers(SAMPLES_MARK):
        if not mark.args or not all(isinstance(arg, str) for arg in mark.args):
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.samples must name the files it needs, "
                'e.g. @pytest.mark.samples("samples/frab-camp2019.json")'
            )
        names.extend(mark.args)
    return tuple(names)


def _where(names: list[str]) -> str:
    return ", ".join(f"../shared/{name}" for name in names)


class _SamplesRequired:
    """Where the samples are required: every samples test must be collected, run, not skip."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.not_run: list[str] = []

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not SHARED.is_dir():
            raise pytest.UsageError(
                f"the samples are required here (CI or CONFBOT_REQUIRE_SAMPLES=1) but {SHARED} "
                "is missing: put shared/ beside the clone"
            )

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.not_run.extend(f"{item.nodeid} (deselected)" for item in items if _needs(item))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        whole_suite = self.config.args_source == pytest.Config.ArgsSource.TESTPATHS
        if whole_suite and not any(_needs(item) for item in session.items):
            self.not_run.append("no samples test was collected")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        missing = missing_shared(_needs(item))
        if missing:
            pytest.fail(
                f"needs {_where(missing)}, which must be here (CI or CONFBOT_REQUIRE_SAMPLES=1)"
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and SAMPLES_MARK in report.keywords:
            self.not_run.append(f"{report.nodeid} (skipped)")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.not_run:
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "the samples tests must run here (CI or CONFBOT_REQUIRE_SAMPLES=1), but:", red=True
            )
            for line in dict.fromkeys(self.not_run):
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    if samples_required():
        config.pluginmanager.register(_SamplesRequired(config), "confbot-samples-required")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if samples_required():
        return
    for item in items:
        missing = missing_shared(_needs(item))
        if missing:
            item.add_marker(
                pytest.mark.skip(reason=f"needs {_where(missing)} (not beside this clone)")
            )


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
