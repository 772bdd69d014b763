"""Import a c3voc/frab schedule JSON, as exported by pretalx and frab, into a `Conference`.

The format is the c3voc schedule JSON (https://c3voc.de/schedule/schema.json). This module
reads and parses the text; `schedule_document` maps the document to records by the rules its
docstring gives, the same rules the XML importer uses.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.records import Conference, RecordError
from bot.sources.files import (
    DEFAULT_LIMITS,
    MAX_MB_SETTING,
    ImportLimits,
    parse_failure,
    read_text,
)
from bot.sources.schedule_document import conference_from_schedule
from bot.sources.schedule_v2 import is_version_2, version_1_document


def parse_schedule_json(
    text: str,
    *,
    origin_file: str,
    limits: ImportLimits = DEFAULT_LIMITS,
    timezone: str | None = None,
) -> Conference:
    """Parse schedule JSON text (c3voc version 1, or version 2 with its flat `events` list);
    `origin_file` names the file in records and errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        reason = error.msg.removesuffix(" starting at")
        raise RecordError(
            f"not valid JSON: {reason} (column {error.colno}){_truncation_hint(error)}",
            path=origin_file,
            line=error.lineno,
        ) from None
    except (ValueError, RecursionError) as error:  # a 5,000-digit number; nesting too deep
        raise parse_failure(error, origin=origin_file, text=text, what="JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("schedule"), dict):
        raise RecordError(
            "not a schedule export: no top-level 'schedule' object",
            path=origin_file,
            line=1,
            field="schedule",
        )
    if is_version_2(document):
        document = version_1_document(
            document, origin_file=origin_file, raw_text=text, max_events=limits.max_events
        )
    return conference_from_schedule(
        document,
        origin_file=origin_file,
        raw_text=text,
        max_events=limits.max_events,
        timezone=timezone,
    )


def read_schedule_text(path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> str:
    """The file's text as UTF-8 (a byte-order mark is dropped); RecordError when it is not a
    readable regular file, is larger than the limit, or is not UTF-8."""
    return read_text(path, max_bytes=limits.max_bytes, limit_name=MAX_MB_SETTING)


def _truncation_hint(error: json.JSONDecodeError) -> str:
    """A note for errors a cut-off file causes: a string left open, or an error at the end."""
    at_end = error.pos >= len(error.doc.rstrip())
    if at_end or error.msg.startswith("Unterminated string"):
        return "; the file ends too early (truncated?)"
    return ""
