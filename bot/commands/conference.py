"""/conference list (everyone) and /conference use SLUG… (admins): which conferences are
loaded, and which of them this Discord server or Slack workspace is about.

The community comes from the `Caller` (`place`: the guild or the team); the console has none.
Once set, `Registry.run` narrows the commands that take a conference to them when no
`--conference` is given (`community_scope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.answer import Answer, Choice, Field
from bot.commands.invocation import Invocation
from bot.commands.lookup import MAX_CHOICES
from bot.commands.params import MAX_QUERY_LENGTH, Param, ParamError, Slug, Text, known_conference
from bot.commands.registry import Call, Command, community_scope
from bot.store import communities
from bot.store.communities import ListedConference

if TYPE_CHECKING:
    from bot.core import Core


def _dates(conference: ListedConference) -> str:
    if conference.first_start is None or conference.last_end is None:
        return f"{conference.year}, no talk times" if conference.year else "no talk times"
    zone: tzinfo = UTC
    if conference.timezone:
        try:
            zone = ZoneInfo(conference.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
    first = conference.first_start.astimezone(zone)
    last = conference.last_end.astimezone(zone)
    return f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"


async def list_conferences(core: Core, call: Call) -> Answer:
    listed = await communities.listed_conferences(core.db)
    chosen = await community_scope(core, call.caller)
    if not listed:
        return Answer(
            kind="not_found",
            title="No conferences",
            text="No conference is loaded yet.",
            found=False,
            ephemeral=True,
        )
    return Answer(
        kind="conferences",
        title="Conferences",
        text=(f"This community is about {', '.join(chosen)}." if chosen else "")
        or "Narrow any command with --conference SLUG.",
        fields=tuple(Field(f"{c.slug} · {c.name}", _dates(c)) for c in listed),
        # Picking one makes it this community's conference (admins; others are told no).
        choices=tuple(
            Choice(label=c.name, command="conference use", query=c.slug, description=c.slug)
            for c in listed[:MAX_CHOICES]
        ),
        ephemeral=True,
    )


def parse_slugs(text: str, known: Sequence[str]) -> list[str]:
    """'a b,c' -> ['a', 'b', 'c'], each a known conference; ParamError names the first
    that is not."""
    slugs: list[str] = []
    for word in text.replace(",", " ").split():
        slug = str(Slug().parse(word, "SLUG"))
        known_conference(slug, known)
        if slug not in slugs:
            slugs.append(slug)
    return slugs


async def use_conferences(core: Core, call: Call) -> Answer:
    caller = call.caller
    if not caller.place:
        return Answer(
            kind="usage",
            title="/conference use",
            text="Only a Discord server or a Slack workspace can say which conferences it is "
            "about; here, add --conference SLUG to a command.",
            found=False,
            ephemeral=True,
        )
    try:
        slugs = parse_slugs(call.text("slugs"), await core.lookup.conference_slugs())
    except ParamError as error:
        return Answer(
            kind="usage", title="/conference use", text=str(error), found=False, ephemeral=True
        )
    await core.lookup.communities.use(caller.frontend, caller.place, slugs)
    text = (
        f"Commands here now default to {', '.join(slugs)}; --conference still reaches the others."
        if slugs
        else "Commands here no longer default to a conference."
    )
    return Answer(
        kind="conferences",
        title="/conference use",
        text=text,
        actions=(
            Choice("What's on now", "now", "", invocation=Invocation.of("now")),
            Choice(
                "All conferences",
                "conference list",
                "",
                invocation=Invocation.of("conference list"),
            ),
        ),
        ephemeral=True,
    )


SLUGS = Param(
    "slugs",
    Text(MAX_QUERY_LENGTH),
    "The conferences' short names, e.g. normconf-2022 (none: clear)",
    positional=True,
    metavar="SLUG…",
)
LIST = Command(
    "list", "Every conference with its dates", (), list_conferences, help="Every conference."
)
USE = Command(
    "use",
    "Say which conference(s) this server or workspace is about",
    (SLUGS,),
    use_conferences,
    help="Default this server's or workspace's commands to these conferences (admins).",
    admin=True,
)
CONFERENCE = Command(
    "conference",
    "The conferences, and which this community is about",
    (),
    list_conferences,
    help="/conference list: every conference; /conference use SLUG…: default to them (admins).",
    subcommands=(LIST, USE),
)
