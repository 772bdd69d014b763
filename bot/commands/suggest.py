"""Where a parameter's autocomplete comes from: one function per `Autocomplete` source.

A front end that can suggest (Discord autocomplete; a console could tab-complete) asks
`suggestions` with what is typed and the other arguments already given, so a room list is
narrowed to the conference chosen first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.answer import Choice
from bot.commands.params import Autocomplete, ParamError, Slug, clean_text

if TYPE_CHECKING:
    from bot.core import Core


async def suggestions(
    core: Core, source: Autocomplete, typed: str, given: Mapping[str, str]
) -> list[Choice]:
    conference = _conference(given.get("conference", ""))
    if source == "talks":
        return await core.suggest_talks(typed)
    if source == "speakers":
        return await core.suggest_speakers(typed)
    if source == "conferences":
        typed = clean_text(typed).lower()
        slugs = await core.lookup.conference_slugs()
        return [Choice(slug, "conference", slug) for slug in slugs if typed in slug]
    if source == "scheduled":
        return await core.programme.suggest_conferences(typed)
    if source == "rooms":
        return await core.programme.suggest_rooms(typed, conference)
    return await core.programme.suggest_days(typed, conference)


def _conference(raw: str) -> str | None:
    if not clean_text(raw):
        return None
    try:
        return str(Slug().parse(raw, "conference"))
    except ParamError:
        return None
