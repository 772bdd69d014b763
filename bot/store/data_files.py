"""Each data-folder file as last loaded (digest and stat), so a reload reads and parses only
the files that changed."""

from __future__ import annotations

from collections.abc import Mapping

from bot.sources.bundled import KnownFile
from bot.store.db import Database


async def loaded_files(db: Database) -> dict[str, KnownFile]:
    """'folder/name' -> what the last successful load saw of every data file."""
    rows = await db.fetch_all("SELECT path, digest, size, mtime_ns, checked_ns FROM data_files")
    return {
        str(row[0]): KnownFile(str(row[1]), int(row[2]), int(row[3]), int(row[4])) for row in rows
    }


async def keep_files(db: Database, files: Mapping[str, KnownFile]) -> None:
    """Make the table hold exactly `files`, writing only the rows whose digest or stat differ
    (inside the load's transaction): re-reading an unchanged file writes nothing."""
    stored = await loaded_files(db)
    await db.execute_many(
        "DELETE FROM data_files WHERE path = ?", [(p,) for p in stored if p not in files]
    )
    await db.execute_many(
        "INSERT INTO data_files(path, digest, size, mtime_ns, checked_ns) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET digest = excluded.digest, size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, checked_ns = excluded.checked_ns",
        [
            (p, f.digest, f.size, f.mtime_ns, f.checked_ns)
            for p, f in files.items()
            if _seen(stored.get(p)) != _seen(f)
        ],
    )


def _seen(known: KnownFile | None) -> tuple[str, int, int] | None:
    return (known.digest, known.size, known.mtime_ns) if known else None
