"""/source add URL [--every 2m], /source list, /source remove URL (admins): follow an
organiser's live schedule from chat, as `confbot source` does from the shell.

The work is `bot.sources.follow`'s (`follow`, the store's `list_sources` and
`remove_source`); URLs are always shown redacted (`redact_url`: no credentials, no token in
the query). `confbot run` polls them (`bot.delivery.sources`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.answer import Answer, Choice, Field
from bot.commands.invocation import Invocation
from bot.commands.lookup import MAX_CHOICES
from bot.commands.params import Param, Text
from bot.commands.registry import Call, Command
from bot.sources.fetch import redact_url
from bot.sources.follow import (
    DEFAULT_INTERVAL,
    IntervalError,
    describe_interval,
    follow,
    parse_interval,
)
from bot.store.sources import Source, list_sources, remove_source

if TYPE_CHECKING:
    from bot.core import Core

LIST = Invocation.of("source list")


def _url(text: str) -> str:
    """The URL as typed; Slack wraps links in <…> (and may add |label)."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].partition("|")[0]
    return text


def _line(title: str, text: str, *, found: bool = True) -> Answer:
    return Answer(
        kind="sources",
        title=title,
        text=text,
        found=found,
        actions=(Choice("Followed sources", "source list", "", invocation=LIST),),
        ephemeral=True,
    )


async def add(core: Core, call: Call) -> Answer:
    url = _url(call.text("url"))
    try:
        every = parse_interval(call.text("every")) if call.text("every") else DEFAULT_INTERVAL
        new = await follow(core.db, url, every, core.programme.clock.now())
    except IntervalError as error:
        return _line("/source add", f"{str(error)[:1].upper()}{str(error)[1:]}.", found=False)
    verb = "Following" if new else "Now polling"
    return _line("/source add", f"{verb} {redact_url(url)} every {describe_interval(every)}.")


def _describe(source: Source, now: datetime) -> str:
    synced = (
        f"last confirmed {source.last_success_at:%Y-%m-%d %H:%M} UTC"
        if source.last_success_at
        else "not fetched yet"
    )
    parts = [f"every {describe_interval(source.interval)}", synced]
    if source.conference_slug:
        parts.append(f"feeds {source.conference_slug}")
    if source.last_error:
        parts.append(f"{source.failures} failure(s): {source.last_error}")
    return "; ".join(parts)


async def list_all(core: Core, call: Call) -> Answer:
    now = core.programme.clock.now()
    sources = await list_sources(core.db)
    return Answer(
        kind="sources",
        title="Followed sources",
        text=f"{len(sources)} followed source(s)."
        + ("" if sources else " An admin adds one with /source add URL."),
        fields=tuple(Field(redact_url(s.url), _describe(s, now)) for s in sources),
        choices=tuple(
            Choice(f"Stop following {redact_url(s.url)}"[:100], "source remove", redact_url(s.url))
            for s in sources[:MAX_CHOICES]
        ),
        actions=(Choice("Refresh", "source list", "", invocation=LIST),),
        ephemeral=True,
    )


async def remove(core: Core, call: Call) -> Answer:
    url = _url(call.text("url"))
    matches = [s.url for s in await list_sources(core.db) if url in (s.url, redact_url(s.url))]
    if len(matches) > 1:
        return _line(
            "/source remove",
            f"{redact_url(url)} names {len(matches)} sources; give the URL as it was added.",
            found=False,
        )
    if not matches or not await remove_source(core.db, matches[0]):
        return _line("/source remove", f"No followed source {redact_url(url)}.", found=False)
    return _line(
        "/source remove",
        f"Stopped following {redact_url(matches[0])}; its programme stays imported.",
    )


URL = Param(
    "url",
    Text(200),
    "The schedule export's URL (pretalx/frab JSON or schedule.xml)",
    required=True,
    positional=True,
)
EVERY = Param("every", Text(12), "How often to poll: 30s, 2m, 1h (default 2m)", metavar="INTERVAL")
SOURCE = Command(
    "source",
    "Follow an organiser's live schedule URL (admins)",
    (),
    list_all,
    admin=True,
    help="/source add URL [--every 2m] | list | remove URL: follow a live schedule (admins).",
    subcommands=(
        Command("add", "Follow a schedule URL", (URL, EVERY), add, help="Follow URL."),
        Command("list", "Every followed source", (), list_all, help="The followed sources."),
        Command(
            "remove",
            "Stop following a URL",
            (Param("url", Text(200), "The URL, as /source list shows it", True, True),),
            remove,
            help="Stop following URL.",
        ),
    ),
)
