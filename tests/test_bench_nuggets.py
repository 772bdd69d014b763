"""`bench.nuggets` runs end to end on a tiny store and prints each figure beside its
reference (figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_a_tiny_run_prints_every_figure_beside_the_plain_insert() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.nuggets", "--talks", "40", "--count", "10"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "40 talks, 400 nuggets in the pool" in done.stdout
    for label in ("submit (queued)", "duplicate of the pool", "/nugget review", "approve"):
        assert label in done.stdout, done.stdout
    assert done.stdout.count("plain INSERT p50") == 4
