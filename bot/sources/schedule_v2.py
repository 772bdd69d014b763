"""c3voc schedule JSON version 2 (https://c3voc.de/schema/schedule2), turned into version 1.

Version 2 keeps one flat `schedule.events` list (each event with `start` and `end` instants, a
`room` reference by guid, `participants`, a `track` reference by slug, texts that may be
localised maps) and days without rooms. `version_1_document` files each event under the day
whose `start`..`end` holds it (else the day of its date), in a room named after the
conference's `rooms` list, so `schedule_document` maps both versions by the same rules.

Left out on purpose: BREAK and META items (a lunch break is not a talk) and events whose
`state` says they will not happen (CANCELED, WITHDRAWN, DELETED, REJECTED).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from bot.sources.files import MAX_EVENTS_SETTING
from bot.sources.schedule_fields import FieldReader

_NOT_TALKS = frozenset({"BREAK", "META"})
_NOT_HAPPENING = frozenset({"CANCELED", "CANCELLED", "WITHDRAWN", "DELETED", "REJECTED"})
_ISO_DURATION = re.compile(r"^PT(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:\d{1,6}(?:\.\d+)?S)?$")
# Event keys that mean the same in both versions.
_SAME_KEYS = ("guid", "code", "id", "title", "subtitle", "slug", "url", "language", "links")


def is_version_2(document: Mapping[str, object]) -> bool:
    """True for a version 2 document: its events are one list beside the conference."""
    schedule = document.get("schedule")
    return isinstance(schedule, Mapping) and isinstance(schedule.get("events"), list)


def version_1_document(
    document: Mapping[str, object], *, origin_file: str, raw_text: str, max_events: int | None
) -> dict[str, object]:
    """The version 1 shape of a version 2 document; RecordError (file, line, field) for what
    cannot be placed, and for more than `max_events` events before anything is built."""
    reader = FieldReader(origin_file, raw_text)
    schedule = reader.mapping(document, "schedule", field="schedule", anchor='"schedule"')
    conference = reader.mapping(schedule, "conference", field="conference", anchor='"conference"')
    events = reader.listing(schedule, "events", field="events", anchor='"events"')
    if max_events is not None and len(events) > max_events:
        raise reader.error(
            f"the export holds {len(events)} events, more than the {max_events} accepted (raise"
            f" {MAX_EVENTS_SETTING} to accept it)",
            field="events",
            anchor='"events"',
        )
    language = _default_language(conference)
    rooms = _names(reader.listing(conference, "rooms", field="conference.rooms", anchor=None))
    tracks = _names(
        reader.listing(conference, "tracks", field="conference.tracks", anchor=None), key="slug"
    )
    days: list[dict[str, object]] = []
    for day in reader.listing(conference, "days", field="conference.days", anchor='"days"'):
        if not isinstance(day, Mapping):
            raise reader.error("each day must be an object", field="conference.days")
        days.append(
            {
                "index": day.get("index"),
                "date": day.get("date"),
                "day_start": day.get("start"),
                "day_end": day.get("end"),
                "rooms": {},
            }
        )
    for event in events:
        if not isinstance(event, Mapping):
            raise reader.error("each event must be an object", field="events", anchor='"events"')
        if event.get("type") in _NOT_TALKS or event.get("state") in _NOT_HAPPENING:
            continue
        converted = _event(event, rooms, tracks, language)
        room = converted.get("room")
        filed = _day_of(days, event.get("start"))
        day_rooms = filed["rooms"]
        assert isinstance(day_rooms, dict)
        day_rooms.setdefault(room if isinstance(room, str) else "", []).append(converted)
    version_1 = dict(conference)
    version_1["days"] = days
    version_1["description"] = _text(conference.get("description"), language)
    return {**document, "schedule": {**schedule, "conference": version_1}}


def _event(
    event: Mapping[str, object],
    rooms: Mapping[str, str],
    tracks: Mapping[str, str],
    language: str | None,
) -> dict[str, object]:
    converted: dict[str, object] = {key: event[key] for key in _SAME_KEYS if key in event}
    converted["date"] = event.get("start")
    converted["end"] = event.get("end")
    duration = event.get("duration")
    if event.get("end") is None and isinstance(duration, str):
        converted["duration"] = _hours_minutes(duration)
    room = event.get("room")
    if isinstance(room, Mapping):
        name = room.get("name")
        guid = room.get("guid")
        slug = room.get("slug")
        room = name if isinstance(name, str) and name.strip() else None
        room = room or (rooms.get(guid) if isinstance(guid, str) else None)
        room = room or (slug if isinstance(slug, str) else None)
    converted["room"] = room if isinstance(room, str) else ""
    track = event.get("track")
    if isinstance(track, Mapping):
        slug = track.get("slug")
        track = tracks.get(slug, slug) if isinstance(slug, str) else None
    converted["track"] = track if isinstance(track, str) else None
    kind = event.get("type")
    converted["type"] = kind.replace("_", " ").lower() if isinstance(kind, str) else kind
    converted["abstract"] = _text(event.get("abstract"), language)
    converted["description"] = _text(event.get("description"), language)
    converted["persons"] = event.get("participants")
    return converted


def _day_of(days: list[dict[str, object]], start: object) -> dict[str, object]:
    """The day whose start..end holds `start`, else the day of its date, else a new day."""
    moment = _instant(start)
    if moment is not None:
        for day in days:
            begins, ends = _instant(day["day_start"]), _instant(day["day_end"])
            if begins is not None and ends is not None and begins <= moment <= ends:
                return day
    on = start[:10] if isinstance(start, str) else ""
    for day in days:
        if day["date"] == on:
            return day
    day = {"index": len(days) + 1, "date": on or None, "rooms": {}}
    days.append(day)
    return day


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _names(items: list[object], key: str = "guid") -> dict[str, str]:
    """{guid (or slug): name} for the conference's rooms (or tracks)."""
    names: dict[str, str] = {}
    for item in items:
        if isinstance(item, Mapping):
            ident, name = item.get(key), item.get("name")
            if isinstance(ident, str) and isinstance(name, str) and name.strip():
                names[ident] = name
    return names


def _default_language(conference: Mapping[str, object]) -> str | None:
    defaults = conference.get("defaults")
    language = defaults.get("language") if isinstance(defaults, Mapping) else None
    return language if isinstance(language, str) else None


def _text(value: object, language: str | None) -> object:
    """A localisable string: itself, or from a {language: text} map the default language's
    text, else English, else the first."""
    if not isinstance(value, Mapping):
        return value
    for wanted in (language, "en"):
        if wanted is not None and isinstance(value.get(wanted), str):
            return value[wanted]
    return next((text for text in value.values() if isinstance(text, str)), None)


def _hours_minutes(duration: str) -> str:
    """'PT1H30M' -> '1:30' (what version 1 writes); anything else is passed on as it is, to
    be refused with its line."""
    match = _ISO_DURATION.match(duration.strip())
    if not match or not (match[1] or match[2]):
        return duration
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    return f"{minutes // 60}:{minutes % 60:02d}"
