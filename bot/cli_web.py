"""`confbot web-login` and `confbot web-password`: let an organiser into the web console.

The wiring for bot/cli.py: `add_web_commands` declares both subcommands, `run_web_command`
runs one against an open database. `web-login` prints a link that logs its user in once,
within 10 minutes; `web-password` stores a scrypt hash of a password (asked twice on a
terminal, or read from standard input with --password-stdin), never the password itself.
No web library is loaded (bot/frontends/web/credentials.py is plain Python).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from bot.config import Settings
from bot.frontends.web.credentials import (
    DEFAULT_USER,
    LINK_LIFETIME,
    CredentialError,
    make_login_link,
    set_password,
)
from bot.store.db import Database

EXIT_OK = 0
EXIT_USAGE = 2


def add_web_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = commands.add_parser(
        "web-login",
        help="print a one-time link into the web console (valid 10 minutes)",
        description="Print a link that logs USER into the web console once, within 10 "
        "minutes. The console's address is CONFBOT_WEB_URL, else http://CONFBOT_WEB_HOST:"
        "CONFBOT_WEB_PORT.",
    )
    login.add_argument("--user", default=DEFAULT_USER, help=f"who logs in (default {DEFAULT_USER})")
    password = commands.add_parser(
        "web-password",
        help="set a web console password (stored as a scrypt hash)",
        description="Set USER's password for the web console's login form. Only a salted "
        "scrypt hash is stored.",
    )
    password.add_argument("--user", default=DEFAULT_USER, help=f"whose (default {DEFAULT_USER})")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input instead of asking",
    )


async def run_web_command(
    db: Database, args: argparse.Namespace, settings: Settings, now: datetime
) -> int:
    try:
        if args.command == "web-login":
            if settings.web is None:
                print(
                    "confbot: set CONFBOT_WEB_PORT (and run `confbot run`) to serve the web "
                    "console first",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            link = await make_login_link(db, args.user, now, settings.web.url)
            minutes = int(LINK_LIFETIME.total_seconds() // 60)
            print(f"{link}\n(logs {args.user} in once, within {minutes} minutes)")
            return EXIT_OK
        password = _read_password(args.password_stdin)
        if password is None:
            print("confbot: the two passwords differ; nothing was changed", file=sys.stderr)
            return EXIT_USAGE
        await set_password(db, args.user, password, now)
    except CredentialError as error:
        print(f"confbot: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"password set for {args.user}")
    return EXIT_OK


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New web console password: ")
    again = getpass.getpass("Again: ")
    return first if first == again else None
