"""Load a schedule export of either format, told apart by content rather than file name.

JSON whose top level is an object (with a "schedule" key) goes to the JSON importer; XML with
a <schedule> root to the XML importer. The result is checked with `validate_conference`, so a
caller gets a complete, valid Conference or a RecordError naming the file, line and field,
never a partial result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from bot.records import Conference, RecordError, validate_conference
from bot.sources.files import DEFAULT_LIMITS, ImportLimits
from bot.sources.schedule_json import parse_schedule_json, read_schedule_text
from bot.sources.schedule_xml import parse_schedule_xml

ScheduleFormat = Literal["json", "xml"]


def detect_format(text: str) -> ScheduleFormat | None:
    """'json' for text that opens an object, 'xml' for text that opens a tag, else None."""
    opening = text.lstrip()[:1]
    if opening == "{":
        return "json"
    if opening == "<":
        return "xml"
    return None


def load_schedule(
    path: Path, limits: ImportLimits = DEFAULT_LIMITS, *, timezone: str | None = None
) -> Conference:
    """Read a schedule export (c3voc JSON v1 or v2, frab/pretalx/Pentabarf schedule.xml)
    into a valid Conference. `timezone` (IANA) is the zone of local times in an export that
    names none."""
    return parse_schedule(
        read_schedule_text(path, limits), origin_file=str(path), limits=limits, timezone=timezone
    )


def parse_schedule(
    text: str,
    *,
    origin_file: str,
    limits: ImportLimits = DEFAULT_LIMITS,
    timezone: str | None = None,
) -> Conference:
    """The same, from text already read (a file or a download named `origin_file`)."""
    schedule_format = detect_format(text)
    if schedule_format == "json":
        conference = parse_schedule_json(
            text, origin_file=origin_file, limits=limits, timezone=timezone
        )
    elif schedule_format == "xml":
        conference = parse_schedule_xml(
            text, origin_file=origin_file, limits=limits, timezone=timezone
        )
    else:
        if not text.strip():
            raise RecordError("not a schedule export: the file is empty", path=origin_file)
        first_line = text.count("\n", 0, len(text) - len(text.lstrip())) + 1
        raise RecordError(
            "not a schedule export: neither a JSON object nor XML",
            path=origin_file,
            line=first_line,
        )
    try:
        validate_conference(conference)
    except RecordError as error:
        raise RecordError(
            error.message, path=error.path or origin_file, line=error.line, field=error.field
        ) from None
    return conference
