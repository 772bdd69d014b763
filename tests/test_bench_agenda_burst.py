"""`bench.agenda_burst` runs end to end on both fakes at their real limits and prints its
figures beside their references (figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_a_small_burst_prints_both_platforms_and_their_references() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.agenda_burst", "--followers", "20"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("delivered all 20 in") == 2, out
    assert out.count("delivered exactly once 20/20") == 2, out
    assert out.count("429s received") == 2 and "least the limit allows" in out
    assert out.count("reference, same run, limits and pacing off") == 2
    assert out.count("last reminder's margin before the start") == 2
