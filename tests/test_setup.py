"""The two set-up commands: `make run` installs what running needs, `make test` adds the tools.

Checked with `make -n` (print, do not run) against a throw-away VENV, so nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEV_TOOLS = ("pytest", "ruff", "mypy")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _plan(target: str, venv: Path) -> str:
    """What `make TARGET` would run with this VENV, as text."""
    done = subprocess.run(
        ["make", "-n", f"VENV={venv}", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return done.stdout


def _installs(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "pip install" in line]


def _touch_in_order(*paths: Path) -> None:
    """Create the files with strictly increasing times, all newer than pyproject.toml."""
    start = (REPO / "pyproject.toml").stat().st_mtime + 10
    for step, path in enumerate(paths):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (start + step, start + step))


def test_make_run_installs_the_package_without_the_dev_tools(tmp_path: Path) -> None:
    installs = _installs(_plan("run", tmp_path / "venv"))
    project = [line for line in installs if " -e " in line]
    assert project, installs
    assert all("[dev]" not in line for line in project), project


def test_make_test_installs_the_dev_tools(tmp_path: Path) -> None:
    assert any("-e '.[dev]'" in line for line in _installs(_plan("test", tmp_path / "venv")))


def test_the_stamps_do_not_fight(tmp_path: Path) -> None:
    """run, then test, then run: the second `make run` installs nothing."""
    venv = tmp_path / "venv"
    _touch_in_order(venv / "bin" / "python", venv / ".installed-run", venv / ".installed-dev")
    assert _installs(_plan("run", venv)) == []
    assert _installs(_plan("test", venv)) == []


def test_after_make_run_make_test_adds_only_the_dev_tools(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _touch_in_order(venv / "bin" / "python", venv / ".installed-run")
    installs = _installs(_plan("test", venv))
    assert len(installs) == 1 and "[dev]" in installs[0], installs


def test_the_runtime_dependencies_hold_no_dev_tool() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert not [tool for tool in DEV_TOOLS if tool in runtime]
    assert all(
        any(tool in dep for dep in project["optional-dependencies"]["dev"]) for tool in DEV_TOOLS
    )


def test_the_install_uses_no_deprecated_setuptools_feature() -> None:
    """`compat` editable installs and a `license` table each print a long setuptools warning."""
    assert "compat" not in (REPO / "Makefile").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert isinstance(project["license"], str)


def test_make_test_installs_chromium_with_apt_only_when_it_is_missing(tmp_path: Path) -> None:
    def plan(chromium: Path) -> str:
        return subprocess.run(
            ["make", "-n", f"VENV={tmp_path / 'venv'}", f"CHROMIUM={chromium}", "test"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "MAKEFLAGS": ""},
        ).stdout

    missing = plan(tmp_path / "no-chromium")
    assert "DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver" in (
        missing
    )
    assert "playwright install" not in missing  # never a browser download
    present = tmp_path / "chromium"
    present.touch()
    assert "apt-get" not in plan(present)
