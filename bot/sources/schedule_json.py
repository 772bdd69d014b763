"""Import a c3voc/frab schedule JSON, as exported by pretalx and frab, into a `Conference`.

The format is the c3voc schedule JSON (https://c3voc.de/schedule/schema.json)::

    {"schedule": {"version": ..., "conference": {"acronym", "title", "start", "end", ...,
        "days": [{"index", "date", "day_start", "day_end",
                  "rooms": {"Room name": [event, ...]}}]}}}

`conference_from_schedule` maps that document shape to records. The XML importer turns a
schedule.xml into the same shape and calls it too, so both formats give the same talks.

Mapping decisions worth knowing:

* An event's `date` carries its UTC offset and is the authoritative start instant; `start` is
  local wall-clock time and only used when `date` is missing. A schedule "day" may run past
  midnight (04:00 to 03:59), so a `start` earlier than the day's `day_start` falls on the next
  calendar day.
* Times keep the fixed offsets the file gives; `Conference.timezone` is `time_zone_name` when
  the file names one, else None (we do not guess a zone from offsets).
* A talk's slug is the slugified event `slug` (the title when there is none), made unique
  within the conference by appending -2, -3, ... in file order.

Errors are `RecordError`s naming the file, the best line we can find (by searching the raw
text for the event's guid and the offending value) and the field.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.records import Conference, RecordError, Speaker, Talk, slugify

_HOURS_MINUTES = re.compile(r"^(\d+):([0-5]\d)$")
_DAYS_HOURS_MINUTES = re.compile(r"^(\d+):([01]\d|2[0-3]):([0-5]\d)$")

_HTML_BREAK = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_MARKDOWN_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MARKDOWN_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")

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


def load_schedule_json(path: Path) -> Conference:
    """Read a schedule JSON file into a Conference (not yet validated; see detect.load_schedule)."""
    return parse_schedule_json(read_schedule_text(path), origin_file=str(path))


def parse_schedule_json(text: str, *, origin_file: str) -> Conference:
    """Parse schedule JSON text; `origin_file` names the file in records and errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        reason = error.msg.removesuffix(" starting at")
        raise RecordError(
            f"not valid JSON: {reason} (column {error.colno}){_truncation_hint(error)}",
            path=origin_file,
            line=error.lineno,
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("schedule"), dict):
        raise RecordError(
            "not a schedule export: no top-level 'schedule' object",
            path=origin_file,
            line=1,
            field="schedule",
        )
    return conference_from_schedule(document, origin_file=origin_file, raw_text=text)


def read_schedule_text(path: Path) -> str:
    """The file's text as UTF-8 (a byte-order mark is dropped); RecordError when unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RecordError(f"cannot read the file: {error.strerror}", path=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecordError(
            f"not UTF-8 text ({error.reason})",
            path=str(path),
            line=raw.count(b"\n", 0, error.start) + 1,
        ) from None


def conference_from_schedule(
    document: Mapping[str, object],
    *,
    origin_file: str,
    raw_text: str = "",
    generator: str | None = None,
) -> Conference:
    """Map a c3voc schedule document ({"schedule": {...}}) to a Conference (origin "import").

    `raw_text` is the file's text, used only to find line numbers for errors. `generator`
    names the exporting tool for `Talk.source`; when None it is read from the document or
    guessed ("pretalx" or "frab").
    """
    return _ScheduleReader(origin_file, raw_text).conference(document, generator)


def parse_duration(text: str) -> timedelta:
    """'0:30', '01:30', '26:00' (hours:minutes) or '1:02:30' (days:hours:minutes).

    The JSON schema allows only H:MM; the XSD also allows three parts, which CCCamp 2023's
    export used for days:hours:minutes (EventFahrplan reads it the same way).
    """
    text = text.strip()
    if match := _HOURS_MINUTES.match(text):
        return timedelta(hours=int(match[1]), minutes=int(match[2]))
    if match := _DAYS_HOURS_MINUTES.match(text):
        return timedelta(days=int(match[1]), hours=int(match[2]), minutes=int(match[3]))
    raise ValueError(f"bad duration {text!r}; expected H:MM or D:HH:MM")


def talk_kind(event_type: str | None) -> str:
    """Map a schedule event type ('lecture', 'Talk 30 min', 'Workshop 110min', ...) to a kind."""
    lowered = (event_type or "").lower()
    for keyword, kind in _KIND_KEYWORDS:
        if keyword in lowered:
            return kind
    return "other"


def clean_markup(text: str | None) -> str:
    """Plain text from a schedule text field: \\r\\n -> \\n, HTML tags and entities, Markdown
    links, bold and heading marks removed; at most one blank line in a row."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Each pattern runs only when its marker is present: most texts have none (import speed).
    if "<" in text:
        text = _HTML_TAG.sub("", _HTML_BREAK.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    if "**" in text or "__" in text:
        text = _MARKDOWN_STRONG.sub(r"\2", text)
    if "#" in text:
        text = _MARKDOWN_HEADING.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


class _ScheduleReader:
    """Builds records from one schedule document, remembering slugs already handed out."""

    def __init__(self, origin_file: str, raw_text: str) -> None:
        self.origin_file = origin_file
        self.file_name = Path(origin_file).name
        self.raw_text = raw_text
        self.taken_slugs: set[str] = set()
        # The same person speaks at many talks; build each Speaker once.
        self.speaker_cache: dict[tuple[str, str | None], Speaker] = {}

    # -- errors ---------------------------------------------------------------------------

    def error(
        self, message: str, *, field: str, anchor: str | None = None, value: str | None = None
    ) -> RecordError:
        """A RecordError for this file, at the line of `value` nearest to `anchor`."""
        return RecordError(
            message, path=self.origin_file, line=self.find_line(anchor, value), field=field
        )

    def find_line(self, anchor: str | None, value: str | None) -> int | None:
        """The line of the occurrence of `value` closest to `anchor` (e.g. an event's guid),
        else the line of `anchor`; None when neither is in the text."""
        text = self.raw_text
        anchor_at = text.find(anchor) if anchor else -1
        at = anchor_at
        if value and value.strip():
            hits = [match.start() for match in re.finditer(re.escape(value), text)]
            if hits:
                at = min(hits, key=lambda hit: abs(hit - anchor_at)) if anchor_at >= 0 else hits[0]
        if at < 0:
            return None
        return text.count("\n", 0, at) + 1

    # -- typed access ---------------------------------------------------------------------

    def text(
        self, record: Mapping[str, object], key: str, *, field: str, anchor: str | None
    ) -> str | None:
        """record[key] as a string, or None when it is absent or null."""
        value = record.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self.error(
            f"'{key}' must be a string, not {type(value).__name__}",
            field=field,
            anchor=anchor,
            value=json.dumps(value) if isinstance(value, int | float | bool) else None,
        )

    def required_text(
        self, record: Mapping[str, object], key: str, *, field: str, anchor: str | None
    ) -> str:
        """record[key] as a non-blank string; RecordError when absent or blank."""
        value = self.text(record, key, field=field, anchor=anchor)
        if value is None or not value.strip():
            raise self.error(f"'{key}' is missing or empty", field=field, anchor=anchor)
        return value

    def mapping(
        self, record: Mapping[str, object], key: str, *, field: str, anchor: str | None
    ) -> Mapping[str, object]:
        """record[key], which must be an object."""
        value = record.get(key)
        if not isinstance(value, Mapping):
            problem = "is missing" if value is None else "must be an object"
            raise self.error(f"'{key}' {problem}", field=field, anchor=anchor)
        return value

    def listing(
        self, record: Mapping[str, object], key: str, *, field: str, anchor: str | None
    ) -> list[object]:
        """record[key] as a list; an absent or null value is an empty list."""
        value = record.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"'{key}' must be a list", field=field, anchor=anchor)
        return value

    def instant(self, raw: str, *, field: str, anchor: str | None) -> datetime:
        """An ISO date-time that must carry a UTC offset."""
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise self.error(
                f"bad date-time {raw!r}", field=field, anchor=anchor, value=raw
            ) from None
        if moment.tzinfo is None:
            raise self.error(
                f"date-time {raw!r} has no UTC offset", field=field, anchor=anchor, value=raw
            )
        return moment

    # -- conference -----------------------------------------------------------------------

    def conference(self, document: Mapping[str, object], generator: str | None) -> Conference:
        schedule = self.mapping(document, "schedule", field="schedule", anchor=None)
        conference = self.mapping(schedule, "conference", field="conference", anchor=None)
        acronym = self.required_text(
            conference, "acronym", field="conference.acronym", anchor='"conference"'
        )
        title = self.required_text(conference, "title", field="conference.title", anchor=acronym)
        zone_name = self.text(
            conference, "time_zone_name", field="conference.time_zone_name", anchor=acronym
        )
        if zone_name is not None:
            zone_name = zone_name.strip() or None
        zone = self.zone(zone_name) if zone_name else None
        days = conference.get("days")
        if not isinstance(days, list):
            problem = "is missing" if days is None else "must be a list"
            raise self.error(f"'days' {problem}", field="conference.days", anchor=acronym)
        if generator is None:
            generator = _generator_name(document, schedule, days)
        source = f"{self.file_name} ({generator} schedule export)"

        talks: list[Talk] = []
        for day in days:
            talks.extend(self.day_talks(day, zone, source))

        start = self.text(conference, "start", field="conference.start", anchor=acronym)
        version = self.text(schedule, "version", field="version", anchor=None)
        extra = {"generator": generator}
        if version:
            extra["schedule_version"] = version
        return Conference(
            slug=slugify(acronym),
            name=title.strip(),
            talks=tuple(talks),
            year=self.year(start, days, anchor=acronym),
            url=self.text(conference, "url", field="conference.url", anchor=acronym) or None,
            timezone=zone_name,
            description=clean_markup(
                self.text(conference, "description", field="conference.description", anchor=None)
            )
            or None,
            origin="import",
            extra=extra,
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
        try:
            return date.fromisoformat(start.strip()[:10]).year
        except ValueError:
            raise self.error(
                f"bad date {start!r}", field="conference.start", anchor=anchor, value=start
            ) from None

    # -- days and events ------------------------------------------------------------------

    def day_talks(self, day: object, zone: ZoneInfo | None, source: str) -> Iterator[Talk]:
        if not isinstance(day, Mapping):
            raise self.error("each day must be an object", field="conference.days")
        rooms = self.mapping(day, "rooms", field="day.rooms", anchor=_day_anchor(day))
        for room_name, events in rooms.items():
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
                yield self.talk(event, str(room_name), day, zone, source)

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
        guid = self.required_text(event, "guid", field="guid", anchor=anchor)
        title = self.required_text(event, "title", field="title", anchor=anchor)
        slug_text = self.text(event, "slug", field="slug", anchor=anchor)
        starts_at = self.start_instant(event, day, zone, anchor=anchor)
        ends_at = self.end_instant(event, starts_at, anchor=anchor)
        abstract = clean_markup(self.text(event, "abstract", field="abstract", anchor=anchor))
        summary = abstract or clean_markup(
            self.text(event, "description", field="description", anchor=anchor)
        )
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
            guid=guid.strip(),
            origin_file=self.origin_file,
        )

    def start_instant(
        self,
        event: Mapping[str, object],
        day: Mapping[str, object],
        zone: ZoneInfo | None,
        *,
        anchor: str | None,
    ) -> datetime:
        """The event's `date` (with its offset); else the day's date plus the local `start`."""
        raw_date = self.text(event, "date", field="date", anchor=anchor)
        if raw_date:
            return self.instant(raw_date.strip(), field="date", anchor=anchor)
        start = self.text(event, "start", field="start", anchor=anchor)
        if not start:
            raise self.error(
                "'date' is missing (and there is no 'start')", field="date", anchor=anchor
            )
        try:
            wall_clock = time.fromisoformat(start.strip())
        except ValueError:
            raise self.error(
                f"bad start time {start!r}", field="start", anchor=anchor, value=start
            ) from None
        day_anchor = _day_anchor(day)
        day_date_text = self.required_text(day, "date", field="day.date", anchor=day_anchor)
        try:
            day_date = date.fromisoformat(day_date_text.strip())
        except ValueError:
            raise self.error(
                f"bad date {day_date_text!r}", field="day.date", value=day_date_text
            ) from None
        day_start_text = self.required_text(
            day, "day_start", field="day.day_start", anchor=day_anchor
        )
        day_start = self.instant(day_start_text.strip(), field="day.day_start", anchor=day_anchor)
        if wall_clock < day_start.time():
            day_date += timedelta(days=1)  # after midnight: still the previous schedule day
        return datetime.combine(day_date, wall_clock, tzinfo=zone or day_start.tzinfo)

    def end_instant(
        self, event: Mapping[str, object], starts_at: datetime, *, anchor: str | None
    ) -> datetime:
        """Start plus `duration` (computed in UTC, so a DST change cannot bend it); an event
        with no duration but an `end` date-time uses that."""
        duration_text = self.text(event, "duration", field="duration", anchor=anchor)
        if duration_text is None:
            end_text = self.text(event, "end", field="end", anchor=anchor)
            if not end_text:
                raise self.error("'duration' is missing", field="duration", anchor=anchor)
            ends_at = self.instant(end_text.strip(), field="end", anchor=anchor)
        else:
            try:
                duration = parse_duration(duration_text)
            except ValueError as error:
                raise self.error(
                    str(error), field="duration", anchor=anchor, value=duration_text
                ) from None
            in_utc = starts_at.astimezone(UTC) + duration
            ends_at = in_utc.astimezone(starts_at.tzinfo)
        if ends_at < starts_at:
            raise self.error("the event ends before it starts", field="end", anchor=anchor)
        return ends_at

    def speakers(self, event: Mapping[str, object], *, anchor: str | None) -> tuple[Speaker, ...]:
        """Persons in either shape ({name, biography} or {id, public_name}) or plain names;
        a name listed twice on one talk is kept once."""
        speakers: list[Speaker] = []
        seen: set[str] = set()
        for person in self.listing(event, "persons", field="persons", anchor=anchor):
            biography: str | None = None
            if isinstance(person, str):
                name: str | None = person
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
                    self.speaker_cache[key] = Speaker(name, clean_markup(biography) or None)
                speakers.append(self.speaker_cache[key])
        return tuple(speakers)

    def links(self, event: Mapping[str, object], *, anchor: str | None) -> tuple[str, ...]:
        """The URLs of the event's links ({url, title} objects or plain URLs), in order."""
        urls: list[str] = []
        for link in self.listing(event, "links", field="links", anchor=anchor):
            url = link if isinstance(link, str) else None
            if isinstance(link, Mapping):
                url = self.text(link, "url", field="links.url", anchor=anchor)
            elif not isinstance(link, str):
                raise self.error("a link must be an object or a URL", field="links", anchor=anchor)
            if url and url.strip() and url.strip() not in urls:
                urls.append(url.strip())
        return tuple(urls)

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


def _truncation_hint(error: json.JSONDecodeError) -> str:
    """A note for errors a cut-off file causes: a string left open, or an error at the end."""
    at_end = error.pos >= len(error.doc.rstrip())
    if at_end or error.msg.startswith("Unterminated string"):
        return "; the file ends too early (truncated?)"
    return ""


def _blank_to_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _day_anchor(day: Mapping[str, object]) -> str | None:
    """Text to find a day by in the raw file: its day_start, else its date."""
    for key in ("day_start", "date"):
        value = day.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _generator_name(
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


def _first_event(days: list[object]) -> Mapping[str, object] | None:
    for day in days:
        rooms = day.get("rooms") if isinstance(day, Mapping) else None
        if not isinstance(rooms, Mapping):
            continue
        for events in rooms.values():
            if isinstance(events, list) and events and isinstance(events[0], Mapping):
                return events[0]
    return None
