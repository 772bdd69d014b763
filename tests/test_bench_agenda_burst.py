"""`bench.agenda_burst` runs end to end on both fakes at their real limits (agenda DMs on
Discord and Slack) and prints its figures beside their references (figures are printed,
never asserted; that Slack opens no DM during the burst is what it is for, so that is)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_a_small_burst_prints_every_platform_and_its_references() -> None:
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
    platforms = ("discord", "slack")
    assert all(f"{name}, real limits and our pacing:" in out for name in platforms), out
    assert out.count("delivered all 20 in") == 2, out
    assert out.count("delivered exactly once 20/20") == 2, out
    assert out.count("429s received") == 2 and out.count("least the limit allows") == 1
    assert out.count("reference, same run, limits and pacing off") == 2
    assert out.count("last DM's margin before the start") == 2
    assert out.count("conversations.open during the burst 0 (target 0)") == 1
