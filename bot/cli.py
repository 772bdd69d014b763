"""The `confbot` command line: load data, ask questions, run the console or the bots.

`confbot run` is the main job: it loads the bundled data into a local SQLite file when needed
and starts Discord and/or Slack when their tokens are configured, or the console when none is.
Platform libraries are imported only by the subcommands that need them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import SETTINGS_HELP, Settings, SettingsError
from bot.records import RecordError
from bot.store.db import Database, StoreError

log = logging.getLogger("confbot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

EPILOG = "settings (environment or .env):\n" + "\n".join(
    f"  {name:<28} {meaning}" for name, meaning in SETTINGS_HELP.items()
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="confbot",
        description="A conference companion bot: talks, speakers, nuggets of wisdom and a daily "
        "wisdom post, on Discord, Slack or in this terminal.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, help="SQLite file (overrides CONFBOT_DB)")
    parser.add_argument("--data", type=Path, help="data folder (overrides CONFBOT_DATA)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser(
        "run",
        help="start the bot: Discord and/or Slack when configured, else the console",
    )
    load = commands.add_parser("load", help="validate the data folder and load it")
    load.add_argument("--force", action="store_true", help="reload even if nothing changed")
    ask = commands.add_parser(
        "ask",
        help='answer one command, e.g. confbot ask "/talk keynote"',
        description="Answer one command and exit: /talk QUERY, /speaker NAME, "
        "/nugget [WHO OR WHAT], /search TEXT [--page N], /help. Exit status 0 for any "
        "answer (a 'no match' is an answer), 2 for a usage error.",
    )
    ask.add_argument("line", nargs="+", help="the command, e.g. /talk keynote")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    console = commands.add_parser("console", help="interactive prompt with the same commands")
    for sub in (ask, console):
        sub.add_argument(
            "--at",
            type=_moment,
            metavar="WHEN",
            help="rehearse: answer /now, /next and /schedule as if it were WHEN "
            "(ISO 8601 with offset, e.g. 2019-08-21T11:10+02:00)",
        )
    imports = commands.add_parser(
        "import",
        help="import a pretalx/frab schedule (JSON or schedule.xml) as a conference",
        description="Import a schedule export: pretalx or frab schedule JSON, or frab/Pentabarf "
        "schedule.xml. Re-importing the same conference replaces it: moved talks move, "
        "cancelled talks disappear. Nothing is written unless the whole file is valid.",
    )
    imports.add_argument("file", type=Path, help="the export file")
    transcript = commands.add_parser(
        "transcript",
        help="attach a WebVTT or SRT transcript to a talk",
        description="Attach a transcript (.vtt or .srt) to a talk, so /search finds its words "
        "and says where in the talk they are. It is kept across reloads and re-imports.",
    )
    transcript.add_argument("talk", help="the talk as conference/slug (as /talk shows it)")
    transcript.add_argument("file", type=Path, help="the .vtt or .srt file")
    transcript.add_argument("--source", default="", help="how it was made (default: file name)")
    return parser


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2019-08-21T11:10+02:00")
    return moment


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_USAGE
    quiet = args.command in {"ask", "console"}
    level = "DEBUG" if args.verbose else ("WARNING" if quiet else settings.log_level)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    db_path = args.db or settings.db_path
    data_dir = args.data or settings.data_dir
    try:
        return asyncio.run(_dispatch(args, settings, db_path, data_dir))
    except KeyboardInterrupt:
        return EXIT_OK
    except StoreError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_FAILURE


async def _dispatch(
    args: argparse.Namespace, settings: Settings, db_path: Path, data_dir: Path
) -> int:
    async with await Database.open(db_path) as db:
        if args.command == "load":
            return await _load(db, data_dir, force=args.force)
        if args.command == "import":
            return await _import(db, args.file)
        if args.command == "transcript":
            return await _attach_transcript(db, args.talk, args.file, args.source)
        if not await _ensure_loaded(db, data_dir):
            return EXIT_FAILURE
        from bot.core import Core
        from bot.schedule import system_clock

        rehearsal: datetime | None = getattr(args, "at", None)
        core = Core(db, clock=(lambda: rehearsal) if rehearsal else system_clock)
        if args.command == "ask":
            return await _ask(core, " ".join(args.line), as_json=args.json)
        if args.command == "console":
            from bot.frontends.console import run_console

            await run_console(core)
            return EXIT_OK
        if args.command == "run":
            return await _run(core, settings)
    return EXIT_USAGE


async def _load(db: Database, data_dir: Path, *, force: bool) -> int:
    from bot.store.content import load_data_dir

    try:
        report = await load_data_dir(db, data_dir, force=force)
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        print("confbot: nothing was loaded; the database is unchanged.", file=sys.stderr)
        return EXIT_FAILURE
    print(report.describe())
    return EXIT_OK


async def _import(db: Database, path: Path) -> int:
    from bot.sources.detect import load_schedule
    from bot.store.content import replace_conferences

    try:
        conference = load_schedule(path)
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        print("confbot: nothing was imported; the database is unchanged.", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as error:
        print(f"confbot: cannot read {path}: {error.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    before = {
        str(row[0])
        for row in await db.fetch_all(
            "SELECT t.guid FROM talks t JOIN conferences c ON c.id = t.conference_id "
            "WHERE c.slug = ? AND t.guid IS NOT NULL",
            (conference.slug,),
        )
    }
    await replace_conferences(db, [conference], origin=f"import:{path.name}")
    after = {talk.guid for talk in conference.talks if talk.guid}
    removed = len(before - after)
    added = len(after - before)
    print(
        f"imported {conference.name} ({conference.slug}): {len(conference.talks)} talk(s)"
        + (f", {added} new, {removed} removed since the last import" if before else "")
    )
    return EXIT_OK


async def _attach_transcript(db: Database, talk: str, path: Path, source: str) -> int:
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


async def _ensure_loaded(db: Database, data_dir: Path) -> bool:
    """Load the data folder when the database is new or older than it.

    A bad data file is reported; when the database already holds data the bot goes on with
    it (the database is unchanged), otherwise there is nothing to serve.
    """
    from bot.store.content import load_data_dir, needs_load
    from bot.store.queries import counts

    if not await needs_load(db, data_dir):
        return True
    try:
        report = await load_data_dir(db, data_dir)
        log.info("%s from %s", report.describe(), data_dir)
        return True
    except RecordError as error:
        print(f"confbot: {error}", file=sys.stderr)
        if (await counts(db))["talks"]:
            print("confbot: keeping the data already loaded.", file=sys.stderr)
            return True
        print("confbot: no data loaded; fix the file and try again.", file=sys.stderr)
        return False


async def _ask(core: object, line: str, *, as_json: bool) -> int:
    from bot.core import Core
    from bot.frontends.console import render_json, render_text

    assert isinstance(core, Core)
    answer = await core.ask(line)
    sys.stdout.write(render_json(answer) if as_json else render_text(answer))
    return EXIT_USAGE if answer.kind == "usage" else EXIT_OK


async def _run(core: object, settings: Settings) -> int:
    from bot.core import Core

    assert isinstance(core, Core)
    if settings.discord is None and settings.slack is None:
        from bot.frontends.console import run_console

        log.info("no DISCORD_TOKEN or SLACK_BOT_TOKEN configured: starting the console")
        await run_console(core)
        return EXIT_OK
    print("confbot: platform front ends are not available in this build yet", file=sys.stderr)
    return EXIT_FAILURE
