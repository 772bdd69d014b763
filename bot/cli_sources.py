"""`confbot source add|list|remove|poll`: follow organisers' live schedule URLs.

The wiring for bot/cli.py: `add_source_commands` declares the subcommand, `run_source_command`
runs it against an open database. URLs are always shown without credentials. The fetcher
(and so aiohttp) is imported only when a source command runs, not at every `confbot` start.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from bot.store.db import Database
from bot.store.sources import Source, list_sources, remove_source

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_source_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    source = commands.add_parser(
        "source",
        help="follow a live schedule URL: add, list, remove, poll",
        description="Follow an organiser's schedule export (pretalx/frab JSON or schedule.xml "
        "URL). `confbot run` polls each source when due with conditional requests and imports "
        "only what changed; a failed or invalid fetch keeps the last good programme.",
    )
    actions = source.add_subparsers(dest="source_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="follow URL (or change its interval)")
    add.add_argument("url", help="the export URL, e.g. https://pretalx.example.org/EV/…/json")
    add.add_argument(
        "--every",
        type=_interval,
        default=timedelta(minutes=2),
        metavar="INTERVAL",
        help="how often to poll: 30s, 2m, 1h or seconds (default 2m, minimum 30s)",
    )
    add.add_argument(
        "--timezone",
        type=_zone,
        default=None,
        help="the IANA zone (e.g. Europe/Brussels) of the export's local times, for exports "
        "that name none and give no UTC offsets (classic Pentabarf)",
    )
    actions.add_parser("list", help="every followed source with its last sync and error")
    remove = actions.add_parser("remove", help="stop following URL (its programme stays)")
    remove.add_argument("url", help="the URL as added, or as `confbot source list` shows it")
    poll = actions.add_parser(
        "poll", help="poll the sources that are due now and print the outcomes (for cron)"
    )
    poll.add_argument("--all", action="store_true", help="poll every source, due or not")


def _zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {text!r}") from None
    return text


def _interval(text: str) -> timedelta:
    from bot.sources.follow import IntervalError, parse_interval

    try:
        return parse_interval(text)
    except IntervalError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


async def run_source_command(db: Database, args: argparse.Namespace, now: datetime) -> int:
    """Run `confbot source ACTION`; the exit status."""
    from bot.sources.fetch import redact_url
    from bot.sources.follow import IntervalError, describe_interval, follow, poll_due

    action = args.source_command
    if action == "add":
        try:
            new = await follow(db, args.url, args.every, now, timezone=args.timezone)
        except IntervalError as error:
            print(f"confbot: {error}", file=sys.stderr)
            return EXIT_USAGE
        verb = "following" if new else "now polling"
        print(
            f"{verb} {redact_url(args.url)} every {describe_interval(args.every)}; "
            "`confbot run` polls it, or `confbot source poll` now"
        )
        return EXIT_OK
    if action == "remove":
        return await _remove(db, args.url)
    if action == "poll":
        outcomes = await poll_due(db, now, everything=args.all)
        for outcome in outcomes:
            print(outcome.describe())
        if not outcomes:
            print("no source is due; `confbot source poll --all` polls them anyway")
        return EXIT_FAILURE if any(o.result == "failed" for o in outcomes) else EXIT_OK
    sources = await list_sources(db)
    print(f"{len(sources)} followed source(s)" + (":" if sources else ""))
    for source in sources:
        print(_describe(source, now))
    return EXIT_OK


async def _remove(db: Database, url: str) -> int:
    from bot.sources.fetch import redact_url

    matches = [s.url for s in await list_sources(db) if url in (s.url, redact_url(s.url))]
    if len(matches) > 1:
        print(
            f"confbot: {url} names {len(matches)} sources; give the URL as it was added",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not matches or not await remove_source(db, matches[0]):
        print(
            f"confbot: no followed source {redact_url(url)}; see `confbot source list`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(f"stopped following {redact_url(matches[0])}; its programme stays imported")
    return EXIT_OK


def _describe(source: Source, now: datetime) -> str:
    from bot.sources.fetch import redact_url
    from bot.sources.follow import describe_interval

    synced = (
        f"{_when(source.last_success_at)} ({_ago(now - source.last_success_at)})"
        if source.last_success_at
        else "never"
    )
    lines = [
        redact_url(source.url),
        f"  every {describe_interval(source.interval)}; conference "
        f"{source.conference_slug or '(none yet)'}; last sync {synced}; "
        f"next poll {_when(source.next_poll_at)}",
    ]
    if source.last_error:
        lines.append(f"  last error: {source.last_error} ({source.failures} in a row)")
    return "\n".join(lines)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _ago(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 0:
        return "in the future"
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
