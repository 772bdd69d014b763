"""Map a c3voc schedule document (parsed JSON, or XML turned into the same shape) to records.

The format is the c3voc schedule JSON (https://c3voc.de/schedule/schema.json)::

    {"schedule": {"version": ..., "conference": {"acronym", "title", "start", "end", ...,
        "days": [{"index", "date", "day_start", "day_end",
                  "rooms": {"Room name": [event, ...]}}]}}}

`conference_from_schedule` maps that document shape to records. The XML importer turns a
schedule.xml into the same shape and calls it too, so both formats give the same talks.

Mapping decisions worth knowing:

* Start and end instants and the schedule day a talk is filed under follow the rules in
  `schedule_times` (a talk at 00:15 stays on the day before; local times need a zone).
* Times keep the fixed offsets the file gives; `Conference.timezone` is `time_zone_name` when
  the file names one, else the `timezone` the importer was given, else None.
* A talk's slug is the slugified event `slug` (the title when there is none), made unique
  within the conference by appending -2, -3, ... in file order.
* With `derive_keys` (classic Pentabarf schedule.xml, which has neither): the conference slug
  is the slugified `acronym`, else the slugified title ("FOSDEM 2017" -> "fosdem-2017"); an
  event without a guid gets "<conference slug>:<event id>", the same on every import of the
  same export. JSON exports must carry both, as the c3voc schemas require.
* An abstract and a description are both kept: `summary` is the abstract (the description
  when there is no abstract), `description` the description beside it.

Errors are `RecordError`s naming the file, the best line we can find (by searching the raw
text for the event's guid and the offending value) and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.records import Conference, RecordError, Speaker, Talk, slugify
from bot.sources.files import MAX_EVENTS_SETTING
from bot.sources.markup import MarkupBudget
from bot.sources.schedule_text import (
    clean_markup,
    count_events,
    generator_name,
    talk_kind,
)
from bot.sources.schedule_times import TimeReader, day_anchor


def conference_from_schedule(
    document: Mapping[str, object],
    *,
    origin_file: str,
    raw_text: str = "",
    generator: str | None = None,
    max_events: int | None = None,
    timezone: str | None = None,
    derive_keys: bool = False,
) -> Conference:
    """Map a c3voc schedule document ({"schedule": {...}}) to a Conference (origin "import").

    `raw_text` is the file's text, used only to find line numbers for errors. `generator`
    names the exporting tool for `Talk.source`; when None it is read from the document or
    guessed ("pretalx" or "frab"). A document with more than `max_events` events is refused
    before any talk is built. `timezone` (an IANA name) is the zone of local times when the
    document names none. With `derive_keys` (classic Pentabarf), a missing acronym and missing
    guids are derived (see the module docstring) instead of refused.
    """
    reader = _ScheduleReader(origin_file, raw_text)
    reader.derive_keys = derive_keys
    return reader.conference(document, generator, max_events, timezone)


class _ScheduleReader(TimeReader):
    """Builds records from one schedule document, remembering slugs already handed out."""

    def __init__(self, origin_file: str, raw_text: str) -> None:
        super().__init__(origin_file, raw_text)
        self.file_name = Path(origin_file).name
        self.taken_slugs: set[str] = set()
        # guid -> (title, how many events had it): reminders are keyed by guid, so two
        # events with one guid would share (and so lose) a reminder.
        self.guids: dict[str, tuple[str, int]] = {}
        # The same person speaks at many talks; build each Speaker once.
        self.speaker_cache: dict[tuple[str, str | None], Speaker] = {}
        self.derive_keys = False
        self.slug = ""
        self.markup_budget = MarkupBudget()

    # -- conference -----------------------------------------------------------------------

    def conference(
        self,
        document: Mapping[str, object],
        generator: str | None,
        max_events: int | None,
        default_zone: str | None = None,
    ) -> Conference:
        schedule = self.mapping(document, "schedule", field="schedule", anchor='"schedule"')
        conference = self.mapping(
            schedule, "conference", field="conference", anchor=self.conference_anchor()
        )
        acronym = self.text(
            conference, "acronym", field="conference.acronym", anchor=self.conference_anchor()
        )
        if not (acronym and acronym.strip()) and not self.derive_keys:
            acronym = self.required_text(
                conference, "acronym", field="conference.acronym", anchor=self.conference_anchor()
            )
        title = self.required_text(
            conference, "title", field="conference.title", anchor=acronym or None
        )
        acronym = acronym if acronym and acronym.strip() else None
        anchor = acronym or title
        self.slug = slugify(acronym or title)
        zone_name = self.text(
            conference, "time_zone_name", field="conference.time_zone_name", anchor=anchor
        )
        zone_name = (zone_name or "").strip() or (default_zone or "").strip() or None
        zone = self.zone(zone_name) if zone_name else None
        day_change = self.text(conference, "day_change", field="conference.day_change", anchor=None)
        if day_change and day_change.strip():
            try:
                self.day_change = time.fromisoformat(day_change.strip())
            except ValueError:
                raise self.error(
                    f"bad day_change {day_change!r}",
                    field="conference.day_change",
                    value=day_change,
                ) from None
        days = conference.get("days")
        if not isinstance(days, list):
            problem = "is missing" if days is None else "must be a list"
            raise self.error(f"'days' {problem}", field="conference.days", anchor=anchor)
        if max_events is not None and (count := count_events(days)) > max_events:
            raise self.error(
                f"the export holds {count} events, more than the {max_events} accepted (raise"
                f" {MAX_EVENTS_SETTING} to accept it)",
                field="conference.days",
                anchor='"days"',
            )
        if generator is None:
            generator = self.checked(
                generator_name(document, schedule, days), field="generator.name", anchor=None
            )
        source = f"{self.file_name} ({generator} schedule export)"

        talks: list[Talk] = []
        for day in days:
            talks.extend(self.day_talks(day, zone, source))

        start = self.text(conference, "start", field="conference.start", anchor=anchor)
        version = self.text(schedule, "version", field="version", anchor=None)
        extra = {"generator": generator}
        if version:
            extra["schedule_version"] = version
        return Conference(
            slug=self.slug,
            name=title.strip(),
            talks=tuple(talks),
            year=self.year(start, days, anchor=anchor),
            url=self.text(conference, "url", field="conference.url", anchor=anchor) or None,
            timezone=zone_name,
            description=clean_markup(
                self.text(conference, "description", field="conference.description", anchor=None),
                self.markup_budget,
            )
            or None,
            origin="import",
            extra=extra,
            origin_file=self.origin_file,
            origin_line=self.find_line(self.conference_anchor(), anchor),
        )

    def zone(self, name: str) -> ZoneInfo:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(
                f"unknown time zone {name!r}", field="conference.time_zone_name", value=name
            ) from None

    def year(self, start: str | None, days: list[object], *, anchor: str) -> int | None:
        """The year of the conference start, else of the first day."""
        if start is None and days and isinstance(days[0], Mapping):
            start = self.text(days[0], "date", field="day.date", anchor=None)
        if not start:
            return None
        return self.calendar_date(start, field="conference.start", anchor=anchor).year

    # -- days and events ------------------------------------------------------------------

    def day_talks(self, day: object, zone: ZoneInfo | None, source: str) -> Iterator[Talk]:
        if not isinstance(day, Mapping):
            raise self.error("each day must be an object", field="conference.days")
        rooms = self.mapping(day, "rooms", field="day.rooms", anchor=day_anchor(day))
        for room_name, events in rooms.items():
            self.checked(room_name, field="day.rooms", anchor=day_anchor(day))
            if not isinstance(events, list):
                raise self.error(
                    f"room {room_name!r} must hold a list of events",
                    field="day.rooms",
                    anchor=json.dumps(room_name),
                )
            for event in events:
                if not isinstance(event, Mapping):
                    raise self.error(
                        f"an event in room {room_name!r} is not an object",
                        field="day.rooms",
                        anchor=json.dumps(room_name),
                    )
                yield self.talk(event, room_name, day, zone, source)

    def talk(
        self,
        event: Mapping[str, object],
        room_name: str,
        day: Mapping[str, object],
        zone: ZoneInfo | None,
        source: str,
    ) -> Talk:
        guid_value = event.get("guid")
        anchor = guid_value if isinstance(guid_value, str) and guid_value else None
        if anchor is None:
            for key in ("slug", "url", "title"):
                candidate = event.get(key)
                if isinstance(candidate, str) and candidate:
                    anchor = candidate
                    break
        guid = self.guid(event, anchor=anchor)
        title = self.required_text(event, "title", field="title", anchor=anchor)
        self.claim_guid(guid, title)
        slug_text = self.text(event, "slug", field="slug", anchor=anchor)
        starts_at = self.start_instant(event, day, zone, anchor=anchor)
        ends_at = self.end_instant(event, starts_at, anchor=anchor)
        abstract = clean_markup(
            self.text(event, "abstract", field="abstract", anchor=anchor), self.markup_budget
        )
        description = clean_markup(
            self.text(event, "description", field="description", anchor=anchor),
            self.markup_budget,
        )
        summary = abstract or description
        room = self.text(event, "room", field="room", anchor=anchor)
        return Talk(
            slug=self.unique_slug(slugify(slug_text or title)),
            title=title.strip(),
            speakers=self.speakers(event, anchor=anchor),
            summary=summary,
            kind=talk_kind(self.text(event, "type", field="type", anchor=anchor)),
            url=_blank_to_none(self.text(event, "url", field="url", anchor=anchor)),
            source=source,
            starts_at=starts_at,
            ends_at=ends_at,
            room=_blank_to_none(room) or room_name,
            track=_blank_to_none(self.text(event, "track", field="track", anchor=anchor)),
            language=_blank_to_none(self.text(event, "language", field="language", anchor=anchor)),
            links=self.links(event, anchor=anchor),
            guid=guid,
            origin_file=self.origin_file,
            description=description if abstract and description != abstract else None,
            schedule_day=self.schedule_day(day),
        )

    def guid(self, event: Mapping[str, object], *, anchor: str | None) -> str:
        """The event's guid; for classic Pentabarf, which has none, "<conference slug>:<event
        id>", the same on every import of the conference."""
        guid = self.text(event, "guid", field="guid", anchor=anchor)
        event_id = event.get("id")
        derivable = isinstance(event_id, str | int) and str(event_id).strip()
        if (guid is None or not guid.strip()) and self.derive_keys and derivable:
            return f"{self.slug}:{str(event_id).strip()}"
        return self.required_text(event, "guid", field="guid", anchor=anchor).strip()

    def speakers(self, event: Mapping[str, object], *, anchor: str | None) -> tuple[Speaker, ...]:
        """Persons in either shape ({name, biography} or {id, public_name}) or plain names;
        a name listed twice on one talk is kept once."""
        speakers: list[Speaker] = []
        seen: set[str] = set()
        for person in self.listing(event, "persons", field="persons", anchor=anchor):
            biography: str | None = None
            if isinstance(person, str):
                name: str | None = self.checked(person, field="persons", anchor=anchor)
            elif isinstance(person, Mapping):
                name = self.text(person, "name", field="persons.name", anchor=anchor)
                if not (name and name.strip()):
                    name = self.text(
                        person, "public_name", field="persons.public_name", anchor=anchor
                    )
                biography = self.text(person, "biography", field="persons.biography", anchor=anchor)
            else:
                raise self.error(
                    "a person must be an object or a name", field="persons", anchor=anchor
                )
            if not (name and name.strip()):
                raise self.error(
                    "a person has no 'name' or 'public_name'", field="persons", anchor=anchor
                )
            name = " ".join(name.split())
            if name.casefold() not in seen:
                seen.add(name.casefold())
                key = (name, biography)
                if key not in self.speaker_cache:
                    biography = clean_markup(biography, self.markup_budget) or None
                    self.speaker_cache[key] = Speaker(name, biography)
                speakers.append(self.speaker_cache[key])
        return tuple(speakers)

    def links(self, event: Mapping[str, object], *, anchor: str | None) -> tuple[str, ...]:
        """The URLs of the event's links ({url, title} objects or plain URLs), in order."""
        urls: list[str] = []
        for link in self.listing(event, "links", field="links", anchor=anchor):
            url = (
                self.checked(link, field="links", anchor=anchor) if isinstance(link, str) else None
            )
            if isinstance(link, Mapping):
                url = self.text(link, "url", field="links.url", anchor=anchor)
            elif not isinstance(link, str):
                raise self.error("a link must be an object or a URL", field="links", anchor=anchor)
            if url and url.strip() and url.strip() not in urls:
                urls.append(url.strip())
        return tuple(urls)

    def claim_guid(self, guid: str, title: str) -> None:
        """Remember the event's guid; RecordError naming both events when it is taken."""
        first_title, count = self.guids.get(guid, ("", 0))
        if count:
            first_line = self.nth_line(guid, 0)
            line = self.nth_line(guid, count)
            raise RecordError(
                f"guid {guid!r} is used by two events: {first_title.strip()!r} (line"
                f" {first_line}) and {title.strip()!r} (line {line}); each event needs its own"
                " guid (reminders are keyed by it)",
                path=self.origin_file,
                line=line or first_line,
                field="guid",
            )
        self.guids[guid] = (title, count + 1)

    def unique_slug(self, base: str) -> str:
        """`base`, or base-2, base-3, ... when it is taken (file order decides)."""
        slug = base
        counter = 1
        while slug in self.taken_slugs:
            counter += 1
            suffix = f"-{counter}"
            slug = base[: 80 - len(suffix)].rstrip("-") + suffix
        self.taken_slugs.add(slug)
        return slug


def _blank_to_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()
