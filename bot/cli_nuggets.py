"""`confbot nuggets export|pending|approve|reject`: community nuggets from the terminal.

The wiring for bot/cli.py: `add_nugget_commands` declares the subcommand, `run_nugget_command`
runs it against an open database through the one review queue (bot/commands/nugget_queue.py).
`export CONF` writes the conference, every nugget in its pool included, in the bundled data
format (bot/sources/bundled_writer.py), so an organiser can keep it in git and load it back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.commands.lookup import Lookup
from bot.commands.nugget_queue import NuggetQueue, QueueError
from bot.sources.bundled_writer import write_conference
from bot.store.conference_records import conference_records
from bot.store.db import Database

EXIT_OK = 0
EXIT_FAILURE = 1
BY = "confbot nuggets (terminal)"


def add_nugget_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    nuggets = commands.add_parser(
        "nuggets",
        help="community nuggets: export a conference's, list, approve or reject submissions",
        description="Community nuggets submitted on Discord or Slack wait for review; approved "
        "ones reach /nugget and daily wisdom. `export` writes a conference with all its "
        "nuggets in the bundled data format (see data/README.md) to keep in git.",
    )
    actions = nuggets.add_subparsers(dest="nuggets_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write CONF in the bundled data format")
    export.add_argument("conference", metavar="CONF", help="the conference's short name")
    export.add_argument(
        "--out", type=Path, default=Path("."), help="the folder to write CONF/ into (default .)"
    )
    actions.add_parser("pending", help="the submissions waiting for review")
    for verb in ("approve", "reject"):
        action = actions.add_parser(verb, help=f"{verb} a submitted nugget")
        action.add_argument("id", type=int, help="the submission's number (#12)")


async def run_nugget_command(db: Database, args: argparse.Namespace) -> int:
    queue = NuggetQueue(db, Lookup(db))
    try:
        if args.nuggets_command == "export":
            return await _export(db, args.conference, args.out)
        if args.nuggets_command == "pending":
            page = await queue.pending(size=1000)
            for item in page.items:
                s = item.submission
                talk = s.talk.ref if s.talk else "no talk"
                match = f"; {item.transcript.describe()}" if item.transcript else ""
                print(f"#{s.id} “{s.text}” — {s.speaker or 'unattributed'} ({talk}{match})")
            print(f"{page.total} waiting for review")
            return EXIT_OK
        if args.nuggets_command == "approve":
            await queue.approve(args.id, by=BY)
        else:
            await queue.reject(args.id, by=BY)
    except QueueError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{args.nuggets_command}d #{args.id}")
    return EXIT_OK


async def _export(db: Database, slug: str, out: Path) -> int:
    conference = await conference_records(db, slug)
    if conference is None:
        print(f"confbot: no conference {slug!r} is loaded", file=sys.stderr)
        return EXIT_FAILURE
    folder = write_conference(conference, out)
    count = sum(len(talk.nuggets) for talk in conference.talks)
    print(f"wrote {len(conference.talks)} talk(s) with {count} nugget(s) to {folder}")
    return EXIT_OK
