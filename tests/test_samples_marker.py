"""A clone without `../shared/` beside it runs standalone; CI must run every samples test.

Each case copies the repository (as `git ls-files` would give it) into a temp dir, with or
without a `shared/` beside it, and runs a small part of the suite there in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED

SUBSET = "tests/sources/test_transcripts.py"  # 8 tests need the BornHack SRT, 13 need nothing
BORNHACK = "samples/bornhack2021-how-to-open-source-your-code-properly.srt"


def _clone(where: Path, *, with_shared: bool) -> Path:
    clone = where / "confbot"
    ignore = shutil.ignore_patterns(".*", "__pycache__", "*.sqlite3*", "build", "*.egg-info")
    for name in ("bot", "data", "tests"):
        shutil.copytree(REPO / name, clone / name, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", clone)
    if with_shared:
        (where / "shared").symlink_to(SHARED, target_is_directory=True)
    return clone


def _pytest(clone: Path, *args: str, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "CONFBOT_REQUIRE_SAMPLES"}}
    if ci:
        env["CI"] = "true"
    env["PYTHONPATH"] = str(clone)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", *args],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_shared_the_samples_tests_skip_naming_the_file(tmp_path: Path) -> None:
    done = _pytest(_clone(tmp_path, with_shared=False), SUBSET, ci=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 passed, 8 skipped" in done.stdout, done.stdout
    # One line per skipped test, the three cut-off cases of one parametrized test on one line.
    assert done.stdout.count(f"needs ../shared/{BORNHACK}") == 6, done.stdout


def test_in_ci_a_missing_shared_folder_fails_the_run(tmp_path: Path) -> None:
    done = _pytest(_clone(tmp_path, with_shared=False), SUBSET, ci=True)
    assert done.returncode != 0
    assert "shared is missing" in done.stdout + done.stderr


@pytest.mark.samples(BORNHACK)
def test_in_ci_the_samples_tests_run(tmp_path: Path) -> None:
    done = _pytest(_clone(tmp_path, with_shared=True), SUBSET, ci=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "21 passed" in done.stdout, done.stdout


@pytest.mark.samples(BORNHACK)
def test_in_ci_deselecting_the_samples_tests_fails_the_run(tmp_path: Path) -> None:
    done = _pytest(_clone(tmp_path, with_shared=True), SUBSET, "-m", "not samples", ci=True)
    assert done.returncode == 1, done.stdout
    assert "test_bornhack_as_text (deselected)" in done.stdout


@pytest.mark.samples(BORNHACK)
def test_in_ci_a_whole_suite_without_samples_tests_fails(tmp_path: Path) -> None:
    """A whole-suite run (no paths given) that collected no samples test lost them."""
    clone = _clone(tmp_path, with_shared=True)
    for test in (clone / "tests").rglob("test_*.py"):
        test.unlink()
    (clone / "tests" / "test_alone.py").write_text("def test_alone() -> None:\n    pass\n")
    done = _pytest(clone, ci=True)
    assert done.returncode == 1, done.stdout
    assert "no samples test was collected" in done.stdout


def test_a_samples_mark_must_name_its_files(tmp_path: Path) -> None:
    clone = _clone(tmp_path, with_shared=False)
    probe = clone / "tests" / "test_probe.py"
    probe.write_text("import pytest\n\n\n@pytest.mark.samples\ndef test_x() -> None:\n    pass\n")
    done = _pytest(clone, "tests/test_probe.py", ci=False)
    assert done.returncode != 0
    assert "must name the files it needs" in done.stdout + done.stderr
