"""Time a full `confbot load` of a 10,000-talk data folder against reloads after edits.

    python -m bench.data_reload [--talks 10000]

Prints, each beside the full load of the same run (a new database): the reload after
editing one talk file (target: 5 % of the full load or less; only that file is read, parsed
and written, the others are known by their size and modification time), the reload after a
re-save that changes nothing, and a forced reload that parses every file but writes nothing.
It only reports.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.synthetic import write_dataset
from bot.sources.bundled import RACY_NS
from bot.store.content import LoadReport, load_data_dir
from bot.store.db import Database

TARGET_SHARE = 0.05


async def timed_load(db: Database, data: Path, *, force: bool = False) -> tuple[float, LoadReport]:
    started = time.perf_counter()
    report = await load_data_dir(db, data, force=force)
    return time.perf_counter() - started, report


async def run(folder: Path, talks: int) -> None:
    data = folder / "data"
    write_dataset(data, talks=talks)
    # Files written within RACY_NS of a load are read again by the next one whatever their
    # stat says; a folder edited by hand is older than that.
    await asyncio.sleep(RACY_NS / 1e9 + 0.5)
    db = await Database.open(folder / "bench.sqlite3")
    full, report = await timed_load(db, data)
    edited = data / "synthconf-03" / "talk-00003.toml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(
        text.replace("title = ", 'title = "Edited: " + ', 1).replace('" + "', "", 1),
        encoding="utf-8",
    )
    one, one_report = await timed_load(db, data)
    edited.write_text(text + "\n", encoding="utf-8")  # back, plus a blank line: same talk
    same, _ = await timed_load(db, data)
    forced, forced_report = await timed_load(db, data, force=True)
    await db.close()
    verdict = "within" if one <= full * TARGET_SHARE else "OVER"
    print(f"full load of {report.talks} talks, {report.nuggets} nuggets: {full:.3f} s (reference)")
    print(
        f"reload after editing one talk file: {one:.3f} s = {one / full:.1%} of the full load "
        f"(target {TARGET_SHARE:.0%}: {verdict}); {len(one_report.changes)} change(s)"
    )
    print(f"reload after re-saving it with a blank line more: {same:.3f} s = {same / full:.1%}")
    print(
        f"forced reload (every file parsed, nothing written): {forced:.3f} s = "
        f"{forced / full:.1%}; changed: {forced_report.changed}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--talks", type=int, default=10_000, help="talks in the data folder")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder), arguments.talks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
