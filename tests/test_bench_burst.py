"""`bench.discord_burst` runs end to end and prints confbot's share of discord.py's ceiling
(figures are printed, never asserted)."""

from __future__ import annotations

import pstats
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def burst(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench.discord_burst ARGS --rounds 1`, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.discord_burst", *args, "--rounds", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_tiny_burst_prints_every_bot_and_both_ratios() -> None:
    done = burst("--count", "20", "--warmup", "2", "--concurrency", "4", "--mix", "talk")
    assert done.stdout.count("answered 20/20 (0 failed)") == 3, done.stdout
    assert "the trivial discord.py bot" in done.stdout
    assert "of public ceiling" in done.stdout and "of lean ceiling" in done.stdout
    assert done.stdout.count("median over the rounds") == 2


def test_the_fake_can_be_profiled_for_each_bot(tmp_path: Path) -> None:
    profile = tmp_path / "fake.prof"
    tiny = ["--count", "10", "--warmup", "2", "--concurrency", "2"]
    done = burst(*tiny, "--mix", "talk", "--profile-fake", str(profile))
    assert done.stdout.count("answered 10/10 (0 failed)") == 3, done.stdout
    for path in (profile, tmp_path / "fake.prof.trivial", tmp_path / "fake.prof.trivial-lean"):
        stats = pstats.Stats(str(path))
        handled = [f for f in stats.stats if f[2] == "_interaction_callback"]  # type: ignore[attr-defined]
        assert handled, path
