"""`bench.discord_burst` runs end to end and prints confbot's share of discord.py's ceiling
(figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_a_tiny_burst_prints_both_bots_and_the_ratio() -> None:
    tiny = ["--count", "20", "--warmup", "2", "--concurrency", "4", "--rounds", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.discord_burst", *tiny, "--mix", "talk"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("answered 20/20 (0 failed)") == 2, done.stdout
    assert "the trivial discord.py bot" in done.stdout
    assert "of discord.py's ceiling" in done.stdout and "median over the rounds" in done.stdout
