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
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import SYSTEM_CLOCK, Clock, RehearsalClock
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
        description="Import a schedule export: pretalx or frab schedule JSON, or frab/Pentabarf "
        "schedule.xml. Re-importing the same conference replaces it: moved talks move, "
        "cancelled talks disappear. Nothing is written unless the whole file is valid.",
    )
    imports.add_argument("file", help="the export file, or an https:// URL of it")
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
    if args.command in {"sync", "invite-url"}:
        return await _discord_admin(args, settings)
    async with await Database.open(db_path) as db:
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
            return await _load(db, data_dir, force=args.force)
        if args.command == "import":
            return await _import(db, args.file)
        if args.command == "transcript":
            return await _attach_transcript(db, args.talk, args.file, args.source)
        if not await _ensure_loaded(db, data_dir):
            return EXIT_FAILURE
        from bot.core import Core

        clock = _clock(args)
        core = Core(db, clock=clock)
        if args.command == "ask":
            return await _ask(core, " ".join(args.line), as_json=args.json)
        if args.command == "console":
            from bot.frontends.console import run_console

            await run_console(core)
            return EXIT_OK
        if args.command == "run":
            return await _run(core, db, settings, clock)
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


async def _import(db: Database, source: str) -> int:
    from bot.sources.detect import load_schedule, parse_schedule
    from bot.store.content import replace_conferences

    path = Path(source)
    try:
        if source.startswith(("https://", "http://")):
            conference = parse_schedule(await _download(source), origin_file=source)
            path = Path(source.rsplit("/", 1)[-1] or "schedule")
        else:
            conference = load_schedule(path)
    except DownloadError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_FAILURE
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


class DownloadError(RuntimeError):
    """A schedule URL that could not be fetched; the message says why."""


MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024


async def _download(url: str) -> str:
    """Fetch a schedule export over HTTP(S): 30 s at most, 50 MB at most, UTF-8 text."""
    import aiohttp

    try:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as reply:
            if reply.status != 200:
                raise DownloadError(f"{url} answered HTTP {reply.status}; nothing was imported")
            body = b""
            async for chunk in reply.content.iter_chunked(1 << 16):
                body += chunk
                if len(body) > MAX_DOWNLOAD_BYTES:
                    break
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DownloadError(
            f"cannot download {url} ({type(error).__name__}); nothing was imported"
        ) from None
    if len(body) > MAX_DOWNLOAD_BYTES:
        raise DownloadError(f"{url} is larger than 50 MB; nothing was imported")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DownloadError(f"{url} is not UTF-8 text; nothing was imported") from None


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


async def _run(core: object, db: Database, settings: Settings, clock: Clock) -> int:
    """Serve every configured platform in this process; the console when none is."""
    from bot.core import Core

    assert isinstance(core, Core)
    if settings.discord is None and settings.slack is None:
        from bot.frontends.console import run_console

        log.info("no DISCORD_TOKEN or SLACK_BOT_TOKEN configured: starting the console")
        await run_console(core)
        return EXIT_OK
    grace = timedelta(hours=settings.wisdom_grace_hours)
    services: list[Coroutine[Any, Any, None]] = []
    if settings.discord is not None:
        from bot.frontends import discord as discord_frontend

        services.append(
            discord_frontend.serve(core, db, settings.discord, clock=clock, wisdom_grace=grace)
        )
    if settings.slack is not None:
        from bot.frontends import slack as slack_frontend

        services.append(slack_frontend.serve(core, db, settings.slack, clock=clock, grace=grace))
    failed: list[BaseException] = []
    try:
        async with asyncio.TaskGroup() as group:
            for service in services:
                group.create_task(service)
    except* _startup_errors() as failures:
        failed.extend(failures.exceptions)
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


def _startup_errors() -> tuple[type[Exception], ...]:
    """The front ends' "could not start" errors (their messages never hold a token)."""
    errors: list[type[Exception]] = []
    if "bot.frontends.discord" in sys.modules:
        from bot.frontends.discord import DiscordStartError

        errors.append(DiscordStartError)
    if "bot.frontends.slack" in sys.modules:
        from bot.frontends.slack import SlackStartupError

        errors.append(SlackStartupError)
    return tuple(errors)


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
