"""Import exports at the size limit, then time cold `confbot ask` on the big database.

    python -m bench.big_import [--events 20000] [--copies 5] [--runs 3]

Writes a synthetic pretalx export of EVENTS events (the default is CONFBOT_IMPORT_MAX_EVENTS'
default), imports it COPIES times under different acronyms with `confbot import` (wall time
and peak RSS of each child process), shows how long an export over the limit takes to be
refused, and prints the median of RUNS cold `confbot ask` processes per command, beside the
same commands on a database holding only the bundled data. It only reports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.make_pretalx import write_schedule
from bot.sources.detect import load_schedule

COMMANDS = ("/talk keynote", "/talk {ref}", "/speaker zzzqqq", "/search dockr", "/talk zzzqqq")


# A small parent for each confbot process, so its peak RSS is its own and not the pages it
# would share with this (large) process after a fork.
_MEASURE = (
    "import resource, subprocess, sys;"
    "code = subprocess.call([sys.executable, '-m', 'bot', *sys.argv[1:]],"
    " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)


def run(args: Sequence[str], env: Mapping[str, str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit status) of one `confbot` process."""
    started = time.perf_counter()
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak_kb, code = measured.stdout.split()
    return seconds, int(peak_kb) / 1024, int(code)


def report(label: str, outcome: tuple[float, float, int]) -> None:
    seconds, rss, status = outcome
    print(f"{label}: {seconds:.2f} s, peak RSS {rss:.0f} MB, exit {status}")


def ask_seconds(command: str, env: Mapping[str, str]) -> float:
    """Wall time of one cold `confbot ask` process (no measuring parent in between)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "ask", command],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started


def cold_asks(env: Mapping[str, str], ref: str, runs: int) -> dict[str, float]:
    run(["load"], env)
    return {
        command: statistics.median(ask_seconds(command.format(ref=ref), env) for _ in range(runs))
        for command in COMMANDS
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events per export")
    parser.add_argument("--copies", type=int, default=5, help="imports under other acronyms")
    parser.add_argument("--runs", type=int, default=3, help="cold asks per command")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        base = {key: value for key, value in os.environ.items() if not key.startswith("CONFBOT_")}
        big = {**base, "CONFBOT_DB": f"{folder}/big.sqlite3"}
        small = {**base, "CONFBOT_DB": f"{folder}/small.sqlite3"}
        export = Path(folder) / "export.json"
        write_schedule(export, arguments.events)
        text = export.read_text(encoding="utf-8")
        size_mb = len(text.encode()) / 1_000_000
        print(f"export: {arguments.events} events, {size_mb:.1f} MB")
        for copy in range(arguments.copies):
            path = Path(folder) / f"export-{copy}.json"
            path.write_text(text.replace('"bench-2025"', f'"bench-{copy}"', 1), encoding="utf-8")
            report(f"confbot import #{copy + 1}", run(["import", str(path)], big))
        over = {**big, "CONFBOT_IMPORT_MAX_EVENTS": str(arguments.events - 1)}
        report("over the event limit", run(["import", str(export)], over))
        tight = {**big, "CONFBOT_IMPORT_MAX_MB": str(max(1, int(size_mb) - 1))}
        report("over the size limit", run(["import", str(export)], tight))
        ref = "bench-0/" + load_schedule(export).talks[0].slug
        large = cold_asks(big, ref, arguments.runs)
        bundled = cold_asks(small, "normconf-2022/an-ml-fairytale", arguments.runs)
    talks = arguments.events * arguments.copies
    print(f"cold confbot ask, median of {arguments.runs}: {talks} imported talks vs bundled only")
    for command in COMMANDS:
        print(f"  {command:<18} {large[command]:.2f} s vs {bundled[command]:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
