"""Import a frab/Pentabarf schedule.xml (as exported by frab and pretalx) into a `Conference`.

The XML (https://c3voc.de/schedule/schema.xsd) carries the same data as the c3voc schedule
JSON, so this module only turns the element tree into the JSON document shape and hands it to
`schedule_json.conference_from_schedule`: both formats map to talks by the same rules.

Parsing uses the standard library's ElementTree. defusedxml is not available, so any document
with a DOCTYPE (the only place entities can be declared, and so the way to an entity-expansion
bomb) is rejected before parsing; pretalx and frab exports have none.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.parsers.expat import errors as expat_errors

from bot.records import Conference, RecordError
from bot.sources.files import DEFAULT_LIMITS, ImportLimits
from bot.sources.schedule_document import conference_from_schedule
from bot.sources.schedule_json import read_schedule_text

_DTD_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_POSITION_SUFFIX = re.compile(r": line \d+, column \d+$")

# Parse errors that mean the input stopped before the document did.
_TRUNCATION_ERRORS = {
    expat_errors.codes[expat_errors.XML_ERROR_NO_ELEMENTS],
    expat_errors.codes[expat_errors.XML_ERROR_UNCLOSED_TOKEN],
    expat_errors.codes[expat_errors.XML_ERROR_PARTIAL_CHAR],
}

# <conference> children copied as text, by their JSON key.
_CONFERENCE_FIELDS = {
    "acronym": "acronym",
    "title": "title",
    "description": "description",
    "start": "start",
    "end": "end",
    "days": "daysCount",
    "timeslot_duration": "timeslot_duration",
    "time_zone_name": "time_zone_name",
    "url": "url",
    "day_change": "day_change",
}

# <event> children copied as text (persons and links are handled on their own).
_EVENT_FIELDS = frozenset(
    {
        "room",
        "title",
        "subtitle",
        "type",
        "date",
        "start",
        "duration",
        "end",
        "abstract",
        "slug",
        "track",
        "language",
        "description",
        "url",
    }
)


def load_schedule_xml(
    path: Path, limits: ImportLimits = DEFAULT_LIMITS, *, timezone: str | None = None
) -> Conference:
    """Read a schedule.xml file into a Conference (not yet validated; see detect.load_schedule)."""
    return parse_schedule_xml(
        read_schedule_text(path, limits), origin_file=str(path), limits=limits, timezone=timezone
    )


def parse_schedule_xml(
    text: str,
    *,
    origin_file: str,
    limits: ImportLimits = DEFAULT_LIMITS,
    timezone: str | None = None,
) -> Conference:
    """Parse schedule.xml text; `origin_file` names the file in records and errors.

    Classic Pentabarf exports (FOSDEM's) have no acronym and no guids: the XSD does not ask
    for them, so they are derived (`derive_keys`); `timezone` is the zone of their local
    times, which carry no offset and no time_zone_name."""
    reject_dtd(text, origin_file=origin_file)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        reason = _POSITION_SUFFIX.sub("", str(error))
        hint = "; the file ends too early (truncated?)" if error.code in _TRUNCATION_ERRORS else ""
        raise RecordError(
            f"not well-formed XML: {reason} at column {column}{hint}",
            path=origin_file,
            line=line,
        ) from None
    if root.tag != "schedule":
        raise RecordError(
            f"not a schedule.xml: the root element is <{root.tag}>, not <schedule>",
            path=origin_file,
            line=1,
            field="schedule",
        )
    return conference_from_schedule(
        schedule_document(root),
        origin_file=origin_file,
        raw_text=text,
        max_events=limits.max_events,
        timezone=timezone,
        derive_keys=True,
    )


def reject_dtd(text: str, *, origin_file: str) -> None:
    """RecordError when the text holds a DOCTYPE or ENTITY declaration."""
    match = _DTD_DECLARATION.search(text)
    if match:
        raise RecordError(
            "DOCTYPE/ENTITY declarations are not accepted (they can expand entities without"
            " limit); schedule exports have none",
            path=origin_file,
            line=text.count("\n", 0, match.start()) + 1,
        )


def schedule_document(root: ET.Element) -> dict[str, object]:
    """The c3voc schedule JSON shape ({"schedule": {...}}) for a <schedule> element."""
    schedule: dict[str, object] = {}
    document: dict[str, object] = {"schedule": schedule}
    generator = root.find("generator")
    if generator is not None:
        document["generator"] = dict(generator.attrib)
    version = root.find("version")
    if version is not None:
        schedule["version"] = _text_of(version)
    conference_element = root.find("conference")
    if conference_element is not None:
        conference: dict[str, object] = {}
        for child in conference_element:
            if child.tag in _CONFERENCE_FIELDS:
                conference[_CONFERENCE_FIELDS[child.tag]] = _text_of(child)
            elif child.tag == "base_url":
                schedule["base_url"] = _text_of(child)
        conference["days"] = [_day_document(day) for day in root.findall("day")]
        schedule["conference"] = conference
    return document


def _day_document(day: ET.Element) -> dict[str, object]:
    rooms: dict[str, list[object]] = {}
    for room in day.findall("room"):
        events = rooms.setdefault(room.get("name", ""), [])
        events.extend(_event_document(event) for event in room.findall("event"))
    return {
        "index": day.get("index"),
        "date": day.get("date"),
        "day_start": day.get("start"),
        "day_end": day.get("end"),
        "rooms": rooms,
    }


def _event_document(event: ET.Element) -> dict[str, object]:
    record: dict[str, object] = {
        key: value for key, value in event.attrib.items() if key in ("guid", "id", "code")
    }
    for child in event:
        if child.tag == "persons":
            record["persons"] = [
                {"name": _text_of(person), "id": person.get("id")}
                for person in child.findall("person")
            ]
        elif child.tag == "links":
            record["links"] = [
                {"url": link.get("href", ""), "title": _text_of(link)}
                for link in child.findall("link")
            ]
        elif child.tag in _EVENT_FIELDS:
            record[child.tag] = _text_of(child)
    return record


def _text_of(element: ET.Element) -> str:
    """All text inside the element, nested elements included."""
    return "".join(element.itertext()).strip()
