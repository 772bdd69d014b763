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
    commands.add_parser("console", help="interactive prompt with the same commands")
    return parser


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
        if not await _ensure_loaded(db, data_dir):
            return EXIT_FAILURE
        from bot.core import Core

        core = Core(db)
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
