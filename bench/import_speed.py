"""Time `load_schedule` on a synthetic 10,000-event pretalx schedule JSON.

    python -m bench.import_speed [--events 10000] [--runs 3]

Prints the best and the median of the runs; the target is 2 s or less for 10,000 events.
It only reports: a slow machine must not fail a build.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.make_pretalx import write_schedule
from bot.sources.detect import load_schedule

TARGET_SECONDS = 2.0


def time_import(path: Path, runs: int) -> list[float]:
    """Seconds per `load_schedule(path)` call, one entry per run."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        load_schedule(path)
        timings.append(time.perf_counter() - started)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000, help="events in the schedule")
    parser.add_argument("--runs", type=int, default=3, help="timed imports")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pretalx-bench.json"
        write_schedule(path, arguments.events)
        size_mb = path.stat().st_size / 1_000_000
        talks = len(load_schedule(path).talks)
        timings = time_import(path, arguments.runs)
    best, median = min(timings), statistics.median(timings)
    verdict = "within" if best <= TARGET_SECONDS else "OVER"
    print(f"load_schedule: {talks} events, {size_mb:.1f} MB of JSON, {arguments.runs} runs")
    print(f"  best   {best:.3f} s")
    print(f"  median {median:.3f} s")
    print(f"  target {TARGET_SECONDS:.1f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
