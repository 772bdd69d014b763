"""`confbot load|import|transcript`, and the load before serving: the data commands of
bot/cli.py against an open database. Each prints one report line (or errors to stderr) and
returns the exit code; the loaders are imported only when the command runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.records import RecordError
from bot.store.db import Database

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

log = logging.getLogger("confbot")


async def load(db: Database, data_dir: Path, *, force: bool) -> int:
    from bot.store.content import load_data_dir

    try:
        report = await load_data_dir(db, data_dir, force=force)
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        print("confbot: nothing was loaded; the database is unchanged.", file=sys.stderr)
        return EXIT_FAILURE
    print(report.describe())
    return EXIT_OK


async def import_file(
    db: Database, source: str, settings: Settings, zone: str | None = None
) -> int:
    from bot.sources.detect import load_schedule, parse_schedule
    from bot.sources.fetch import Failed, Fetched, fetch_source, redact_url
    from bot.sources.files import MAX_MB_SETTING, ImportLimits, read_bytes, too_large
    from bot.store.imports import export_digest, import_conference, unchanged_import

    limits = ImportLimits(
        max_bytes=settings.import_max_mb * 1_000_000, max_events=settings.import_max_events
    )
    path = Path(source)
    try:
        if source.startswith(("https://", "http://")):
            fetched = await fetch_source(source, max_bytes=limits.max_bytes)
            if isinstance(fetched, Failed):
                shown = redact_url(source)
                reason = fetched.reason
                if reason.startswith("larger than"):
                    reason = too_large(limits.max_bytes, MAX_MB_SETTING)
                print(f"confbot: {shown} {reason}; nothing was imported", file=sys.stderr)
                return EXIT_FAILURE
            assert isinstance(fetched, Fetched)  # no validators sent: a 304 is Failed too
            conference = parse_schedule(
                fetched.text, origin_file=redact_url(source), limits=limits, timezone=zone
            )
            path = Path(urlsplit(source).path.rsplit("/", 1)[-1] or "schedule")
            digest: str | None = export_digest(fetched.text.encode())
        else:
            try:
                digest = export_digest(read_bytes(path, max_bytes=limits.max_bytes))
            except RecordError:
                digest = None  # load_schedule says what is wrong with the file
            known = digest and await unchanged_import(db, digest)
            if known:
                print(known.describe())
                return EXIT_OK
            conference = load_schedule(path, limits, timezone=zone)
        report = await import_conference(
            db, conference, origin=f"import:{path.name}", digest=digest
        )
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        print("confbot: nothing was imported; the database is unchanged.", file=sys.stderr)
        return EXIT_FAILURE
    print(report.describe())
    return EXIT_OK


async def attach_transcript_file(db: Database, talk: str, path: Path, source: str) -> int:
    from bot.sources.transcripts import cues_to_text, parse_transcript
    from bot.store.content import attach_transcript

    try:
        cues = parse_transcript(path)
        title = await attach_transcript(db, talk, cues, cues_to_text(cues), source or path.name)
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except LookupError as error:
        print(f"confbot: {error.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"confbot: cannot read {path}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"attached {len(cues)} cue(s) to “{title}”")
    return EXIT_OK


async def ensure_loaded(db: Database, data_dir: Path) -> bool:
    """Load the data folder when the database is new or older than it.

    A bad data file is reported; when the database already holds data the bot goes on with
    it (the database is unchanged), otherwise there is nothing to serve.
    """
    from bot.store.content import load_data_dir
    from bot.store.queries import counts

    try:
        report = await load_data_dir(db, data_dir)  # a no-op when the fingerprint matches
        if report.changed:
            log.info("%s from %s", report.describe(), data_dir)
        return True
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        if (await counts(db))["talks"]:
            print("confbot: keeping the data already loaded.", file=sys.stderr)
            return True
        print("confbot: no data loaded; fix the file and try again.", file=sys.stderr)
        return False
