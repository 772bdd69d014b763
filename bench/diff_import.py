"""Time a first import of a 10,000-event export against re-imports of it.

    python -m bench.diff_import [--events 10000] [--moved 0.01]

Prints, each beside the first import of the same run (parse + load into a new database, as
`confbot import` does): a re-import of the identical file (target: 20 % of the first or less;
its bytes are those of the last import, so it is not even parsed), and a re-import with a share of
the talks moved by 15 minutes (which updates only those). It only reports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.make_pretalx import make_schedule
from bot.sources.detect import load_schedule
from bot.store.db import Database
from bot.store.imports import ImportReport, export_digest, import_conference, unchanged_import

TARGET_SHARE = 0.20


def move_some(schedule: dict[str, Any], share: float, seed: int = 7) -> int:
    """Move `share` of the events 15 minutes later, in place; how many moved."""
    rng = random.Random(seed)
    events = [
        event
        for day in schedule["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for event in room
    ]
    chosen = rng.sample(events, k=max(1, round(len(events) * share)))
    for event in chosen:
        moment = datetime.fromisoformat(event["date"]) + timedelta(minutes=15)
        event["date"] = moment.isoformat()
        event["start"] = moment.strftime("%H:%M")
    return len(chosen)


async def timed_import(db: Database, path: Path) -> tuple[float, ImportReport]:
    """What `confbot import FILE` does: skip an export whose bytes were imported last, else
    parse it and update the conference in place."""
    started = time.perf_counter()
    origin = f"import:{path.name}"
    digest = export_digest(path.read_bytes())  # noqa: ASYNC240 (as the CLI does)
    report = await unchanged_import(db, digest)
    if report is None:
        report = await import_conference(db, load_schedule(path), origin=origin, digest=digest)
    return time.perf_counter() - started, report


async def run(folder: Path, events: int, share: float) -> None:
    schedule = make_schedule(events)
    path = folder / "schedule.json"
    original = json.dumps(schedule)
    moved_count = move_some(schedule, share)
    db = await Database.open(folder / "bench.sqlite3")
    path.write_text(original)
    first, report = await timed_import(db, path)
    again, unchanged = await timed_import(db, path)
    path.write_text(json.dumps(schedule))  # the organisers publish a new version
    changed, moved_report = await timed_import(db, path)
    path.write_text(original)  # and take it back
    parsed, _ = await timed_import(db, path)
    started = time.perf_counter()
    load_schedule(path)
    parse_only = time.perf_counter() - started
    await db.close()
    verdict = "within" if again <= first * TARGET_SHARE else "OVER"
    print(f"first import of {report.talks} events: {first:.3f} s (reference)")
    print(
        f"re-import, identical file: {again:.3f} s = {again / first:.1%} of the first "
        f"(target {TARGET_SHARE:.0%}: {verdict}); {unchanged.describe()}"
    )
    print(
        f"re-import, {moved_count} talks moved: {changed:.3f} s = {changed / first:.1%} of "
        f"the first; {moved_report.describe()}"
    )
    print(
        f"re-import moving them back (parsed, not skipped): {parsed:.3f} s = {parsed / first:.1%}"
    )
    print(f"of which parsing the export alone takes about {parse_only:.3f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000, help="events in the export")
    parser.add_argument("--moved", type=float, default=0.01, help="share of talks moved")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder), arguments.events, arguments.moved))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
