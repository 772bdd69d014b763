"""Where a parameter's autocomplete comes from: one function per `Autocomplete` source.

A front end that can suggest (Discord autocomplete; a console could tab-complete) asks
`suggestions` with what is typed and the other arguments already given, so a room list is
narrowed to the conference chosen first.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.answer import Choice
from bot.commands.params import Autocomplete, ParamError, Slug, clean_text
from bot.commands.registry import NOBODY, Caller, community_scope
from bot.store.agenda import track_names

if TYPE_CHECKING:
    from bot.core import Core

MAX_SUGGESTIONS = 25
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
)


async def suggestions(
    core: Core,
    source: Autocomplete,
    typed: str,
    given: Mapping[str, str],
    caller: Caller = NOBODY,
) -> list[Choice]:
    """What to suggest for `typed`: talks, speakers, rooms and days of the conference given
    first, else of the caller's community's conferences (/conference use), else of all."""
    conference = _conference(given.get("conference", ""))
    scope = (conference,) if conference else await community_scope(core, caller)
    if conference is None and len(scope) == 1:
        conference = scope[0]
    if source in ("talks", "speakers"):
        key = (source, typed, scope)
        found, version = await core.suggested.get(key)
        if found is None:
            suggest = core.suggest_talks if source == "talks" else core.suggest_speakers
            found = tuple(await suggest(typed, MAX_SUGGESTIONS, scope))
            core.suggested.keep(version, key, found)
        return list(found)
    if source == "conferences":
        typed = clean_text(typed).lower()
        slugs = await core.lookup.conference_slugs()
        return [Choice(slug, "conference", slug) for slug in slugs if typed in slug]
    if source == "scheduled":
        return await core.programme.suggest_conferences(typed)
    if source == "zones":
        return suggest_zones(typed)
    if source == "rooms":
        return await core.programme.suggest_rooms(typed, conference)
    if source == "tracks":
        typed = clean_text(typed).casefold()
        names = await track_names(core.db, conference)
        return [Choice(n, "track", n) for n in names if typed in n.casefold()][:MAX_SUGGESTIONS]
    return await core.programme.suggest_days(typed, conference)


def _conference(raw: str) -> str | None:
    if not clean_text(raw):
        return None
    try:
        return str(Slug().parse(raw, "conference"))
    except ParamError:
        return None


@functools.cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def suggest_zones(current: str, limit: int = MAX_SUGGESTIONS) -> list[Choice]:
    """IANA zone names for what was typed: exact, then prefix, then city prefix, then
    substring matches; common zones when nothing is typed."""
    wanted = current.strip().replace(" ", "_").casefold()
    if not wanted:
        names = [z for z in COMMON_ZONES if z in zone_names()]
    else:
        ranked: list[tuple[int, str]] = []
        for zone in zone_names():
            folded = zone.casefold()
            city = folded.rsplit("/", 1)[-1]
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif city.startswith(wanted):
                rank = 2
            elif wanted in folded:
                rank = 3
            else:
                continue
            ranked.append((rank, zone))
        names = [zone for _, zone in sorted(ranked)]
    return [Choice(label=name, command="wisdom", query=name) for name in names[:limit]]
