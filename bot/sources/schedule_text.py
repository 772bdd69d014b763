"""Helpers for schedule exports that need no file position: durations, event types, markup
in text fields (`clean_markup`, from bot.sources.markup), which tool made the export and how
many events it holds.

Both importers (JSON and XML) go through `schedule_document`, which uses these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from bot.sources.markup import clean_markup

_HOURS_MINUTES = re.compile(r"^(\d{1,9}):([0-5]\d)$")
_DAYS_HOURS_MINUTES = re.compile(r"^(\d{1,9}):([01]\d|2[0-3]):([0-5]\d)$")

__all__ = [
    "MAX_DURATION",
    "clean_markup",
    "count_events",
    "generator_name",
    "parse_duration",
    "talk_kind",
]

# The longest event a schedule may hold: a camp's permanent installation runs for days; a
# year is a typo, and makes every "what's on now" scan cover that year.
MAX_DURATION = timedelta(days=31)

# Keyword in the lowercased event type -> Talk.kind; the first match wins, so "LightningTalk"
# is a lightning talk, not a talk.
_KIND_KEYWORDS = (
    ("keynote", "keynote"),
    ("lightning", "lightning"),
    ("workshop", "workshop"),
    ("hands-on", "workshop"),
    ("unconference", "unconference"),
    ("closing", "closing"),
    ("lecture", "talk"),
    ("talk", "talk"),
    ("vortrag", "talk"),
)


def parse_duration(text: str) -> timedelta:
    """'0:30', '01:30', '26:00' (hours:minutes) or '1:02:30' (days:hours:minutes), at most
    MAX_DURATION.

    The JSON schema allows only H:MM; the XSD also allows three parts, which CCCamp 2023's
    export used for days:hours:minutes (EventFahrplan reads it the same way).
    """
    text = text.strip()
    if match := _HOURS_MINUTES.match(text):
        duration = timedelta(hours=int(match[1]), minutes=int(match[2]))
    elif match := _DAYS_HOURS_MINUTES.match(text):
        duration = timedelta(days=int(match[1]), hours=int(match[2]), minutes=int(match[3]))
    else:
        raise ValueError(f"bad duration {text[:40]!r}; expected H:MM or D:HH:MM")
    if duration > MAX_DURATION:
        raise ValueError(f"duration {text!r} is longer than {MAX_DURATION.days} days")
    return duration


def talk_kind(event_type: str | None) -> str:
    """Map a schedule event type ('lecture', 'Talk 30 min', 'Workshop 110min', ...) to a kind."""
    lowered = (event_type or "").lower()
    for keyword, kind in _KIND_KEYWORDS:
        if keyword in lowered:
            return kind
    return "other"


def generator_name(
    document: Mapping[str, object], schedule: Mapping[str, object], days: list[object]
) -> str:
    """The exporting tool: the document's `generator.name`, else 'pretalx' when the export
    looks like pretalx's (pretalx URL, person or event codes), else 'frab'."""
    generator = document.get("generator")
    if isinstance(generator, Mapping):
        name = generator.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    base_url = schedule.get("base_url")
    if isinstance(base_url, str) and "pretalx" in base_url:
        return "pretalx"
    first_event = _first_event(days)
    if first_event is not None:
        persons = first_event.get("persons")
        if "code" in first_event or "answers" in first_event:
            return "pretalx"
        if isinstance(persons, list) and any(
            isinstance(person, Mapping) and "code" in person for person in persons
        ):
            return "pretalx"
    return "frab"


def count_events(days: list[object]) -> int:
    """How many events the days hold (what is not a list of events is counted as none)."""
    count = 0
    for day in days:
        rooms = day.get("rooms") if isinstance(day, Mapping) else None
        if isinstance(rooms, Mapping):
            count += sum(len(events) for events in rooms.values() if isinstance(events, list))
    return count


def _first_event(days: list[object]) -> Mapping[str, object] | None:
    for day in days:
        rooms = day.get("rooms") if isinstance(day, Mapping) else None
        if not isinstance(rooms, Mapping):
            continue
        for events in rooms.values():
            if isinstance(events, list) and events and isinstance(events[0], Mapping):
                return events[0]
    return None
