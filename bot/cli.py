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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs
from bot.cli_data import attach_transcript_file, ensure_loaded, import_file, load
from bot.cli_nuggets import add_nugget_commands, run_nugget_command
from bot.cli_sources import add_source_commands, run_source_command
from bot.cli_web import add_web_commands, run_web_command
from bot.clock import SYSTEM_CLOCK, Clock, RehearsalClock
from bot.config import SETTINGS_HELP, Settings, SettingsError
from bot.store.db import Database, StoreError

if TYPE_CHECKING:
    from bot.app import App

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

    run = commands.add_parser(
        "run",
        help="start the bot: Discord and/or Slack when configured, else the console",
        description="Start the bot. With --at (and --speed) the whole bot, answers, daily "
        "wisdom and reminders, runs on a simulated clock: a rehearsal of a conference day.",
    )
    run.add_argument(
        "--at",
        type=_moment,
        metavar="WHEN",
        help="rehearse: start the clock at WHEN (ISO 8601 with offset, e.g. "
        "2019-08-21T09:55+02:00)",
    )
    run.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        metavar="N",
        help="rehearse: the simulated clock runs N times faster (default 1)",
    )
    load = commands.add_parser("load", help="validate the data folder and load it")
    load.add_argument("--force", action="store_true", help="reload even if nothing changed")
    from bot.commands.table import usage_text

    ask = commands.add_parser(
        "ask",
        help='answer one command, e.g. confbot ask "/talk keynote"',
        description="Answer one command line and exit; quote it, options included: "
        'confbot ask "/search data --conference normconf-2022". Exit status 0 for any '
        "answer (a 'no match' is an answer), 2 for a usage error.",
        epilog=usage_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ask.add_argument("line", nargs="+", help="the command, e.g. /talk keynote")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    console = commands.add_parser("console", help="interactive prompt with the same commands")
    wisdom = commands.add_parser(
        "wisdom",
        help="list daily-wisdom subscriptions and simulate the next days' posts",
        description="List every daily-wisdom subscription and show the posts of the next DAYS "
        "days (local time, UTC and which nugget) as the rotation would make them. Nothing is "
        "posted or consumed. Subscribe channels from Discord or Slack with /wisdom subscribe.",
    )
    wisdom.add_argument("--days", type=int, default=7, help="how many days (default 7)")
    wisdom.add_argument("--at", type=_moment, metavar="WHEN", help="simulate from WHEN")
    reminders = commands.add_parser(
        "reminders",
        help="list talk-reminder subscriptions and the next reminders due",
        description="List every talk-reminder subscription and the next reminders due. "
        "Subscribe channels from Discord or Slack with /remind subscribe.",
    )
    reminders.add_argument("--at", type=_moment, metavar="WHEN", help="as if it were WHEN")
    sync = commands.add_parser(
        "sync",
        help="register the Discord slash commands (to a dev guild, or globally)",
        description="Register confbot's slash commands with Discord. Do this once after "
        "installing or upgrading, not on every start. Guild commands appear at once; global "
        "ones can take up to an hour.",
    )
    target = sync.add_mutually_exclusive_group()
    target.add_argument("--guild", type=int, help="guild id (default DISCORD_DEV_GUILD)")
    target.add_argument("--global", dest="everywhere", action="store_true", help="globally")
    invite = commands.add_parser(
        "invite-url", help="print the URL that adds the bot to a Discord server"
    )
    invite.add_argument(
        "--application-id",
        type=int,
        help="the application id (default: asked from Discord with DISCORD_TOKEN)",
    )
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
        help="import a pretalx/frab schedule (JSON or schedule.xml, file or URL)",
        description="Import a schedule export: pretalx or frab schedule JSON (c3voc versions 1 "
        "and 2), or frab/pretalx/Pentabarf schedule.xml. Re-importing the same conference "
        "replaces it: moved talks move, cancelled talks disappear. Nothing is written unless "
        "the whole file is valid.",
    )
    imports.add_argument("file", help="the export file, or an https:// URL of it")
    imports.add_argument(
        "--timezone",
        default=None,
        help="the IANA zone (e.g. Europe/Brussels) of the export's local times, for exports "
        "that name none and give no UTC offsets (classic Pentabarf)",
    )
    transcript = commands.add_parser(
        "transcript",
        help="attach a WebVTT or SRT transcript to a talk",
        description="Attach a transcript (.vtt or .srt) to a talk, so /search finds its words "
        "and says where in the talk they are. It is kept across reloads and re-imports.",
    )
    transcript.add_argument("talk", help="the talk as conference/slug (as /talk shows it)")
    transcript.add_argument("file", type=Path, help="the .vtt or .srt file")
    transcript.add_argument("--source", default="", help="how it was made (default: file name)")
    add_source_commands(commands)
    add_nugget_commands(commands)
    add_web_commands(commands)
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
    logs.setup(level, settings.secrets())
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
    if args.command in {"sync", "invite-url"}:
        return await _discord_admin(args, settings)
    budget = settings.query_budget_ms / 1000
    async with await Database.open(db_path, query_budget=budget) as db:
        if args.command == "wisdom":
            from bot.delivery.reports import wisdom_report

            grace = timedelta(hours=settings.wisdom_grace_hours)
            now = args.at or datetime.now(UTC)
            print(await wisdom_report(db, max(1, min(args.days, 366)), now, grace=grace))
            return EXIT_OK
        if args.command == "reminders":
            from bot.delivery.reports import reminders_report

            print(await reminders_report(db, args.at or datetime.now(UTC)))
            return EXIT_OK
        if args.command == "load":
            return await load(db, data_dir, force=args.force)
        if args.command == "import":
            return await import_file(db, args.file, settings, args.timezone)
        if args.command == "transcript":
            return await attach_transcript_file(db, args.talk, args.file, args.source)
        if args.command == "source":
            return await run_source_command(db, args, datetime.now(UTC))
        if args.command == "nuggets":
            return await run_nugget_command(db, args)
        if args.command in {"web-login", "web-password"}:
            return await run_web_command(db, args, settings, datetime.now(UTC))
        if not await ensure_loaded(db, data_dir):
            return EXIT_FAILURE
        from bot.app import App, build_core

        clock = _clock(args)
        core = build_core(db, clock=clock)
        if args.command == "ask":
            return await _ask(core, " ".join(args.line), as_json=args.json)
        if args.command == "console":
            from bot.frontends.console import run_console

            await run_console(core)
            return EXIT_OK
        if args.command == "run":
            return await _run(App(settings, db, core, clock))
    return EXIT_USAGE


async def _ask(core: object, line: str, *, as_json: bool) -> int:
    from bot.core import Core
    from bot.frontends.console import render_json, render_text

    assert isinstance(core, Core)
    answer = await core.ask(line)
    sys.stdout.write(render_json(answer) if as_json else render_text(answer))
    return EXIT_USAGE if answer.kind == "usage" else EXIT_OK


def _clock(args: argparse.Namespace) -> Clock:
    """The system clock, or a rehearsal clock for --at / --speed (said loudly in the log)."""
    at: datetime | None = getattr(args, "at", None)
    speed: float = getattr(args, "speed", 1.0)
    if at is None and speed == 1.0:
        return SYSTEM_CLOCK
    clock = RehearsalClock(at or datetime.now(UTC), speed)
    if args.command == "run":
        log.warning(
            "REHEARSAL: the clock is simulated: it starts at %s and runs %g times faster than "
            "real time. Daily wisdom and reminders are posted on that clock.",
            clock.start.isoformat(),
            clock.speed,
        )
    return clock


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number, like 60") from None
    if not 0 < speed <= 100_000:
        raise argparse.ArgumentTypeError("the speed must be above 0 and at most 100000")
    return speed


async def _run(app: App) -> int:
    """Serve every configured platform in this process; the console when none is."""
    from bot.app import serve, settle_heap

    failed = await serve(app, started=settle_heap)
    for error in failed:
        print(f"confbot: {error}", file=sys.stderr)
    return EXIT_FAILURE if failed else EXIT_OK


def _bot_id_from_token(token: str) -> int | None:
    """A bot token's first part is the bot user's id in base64; for applications made since
    2019 the application id is the same number, so no network call is needed."""
    import base64
    import binascii

    head = token.split(".", 1)[0]
    try:
        text = base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


async def _discord_admin(args: argparse.Namespace, settings: Settings) -> int:
    """`confbot sync` and `confbot invite-url`."""
    if args.command == "invite-url" and args.application_id:
        from bot.frontends.discord import invite_url

        print(invite_url(args.application_id))
        return EXIT_OK
    if settings.discord is None:
        print("confbot: set DISCORD_TOKEN (in the environment or .env) first", file=sys.stderr)
        return EXIT_USAGE
    from bot.frontends.discord import DiscordStartError, invite_url, sync_commands

    if args.command == "invite-url":
        bot_id = _bot_id_from_token(settings.discord.token.reveal())
        if bot_id is None:
            print(
                "confbot: DISCORD_TOKEN does not look like a bot token; pass "
                "--application-id from the Developer Portal",
                file=sys.stderr,
            )
            return EXIT_USAGE
        print(invite_url(bot_id))
        return EXIT_OK
    try:
        guild = None if args.everywhere else (args.guild or settings.discord.dev_guild)
        names = await sync_commands(settings.discord, guild)
    except DiscordStartError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_FAILURE
    where = f"guild {guild}" if guild else "globally (may take up to an hour to appear)"
    print(f"synced {len(names)} command(s) {where}: {', '.join('/' + n for n in names)}")
    return EXIT_OK
