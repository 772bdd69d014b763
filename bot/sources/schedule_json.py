"""Import a c3voc/frab schedule JSON, as exported by pretalx and frab, into a `Conference`.

The format is the c3voc schedule JSON (https://c3voc.de/schedule/schema.json). This module
reads and parses the text; `schedule_document` maps the document to records by the rules its
docstring gives, the same rules the XML importer uses.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.records import Conference, RecordError
from bot.sources.schedule_document import conference_from_schedule


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


def _truncation_hint(error: json.JSONDecodeError) -> str:
    """A note for errors a cut-off file causes: a string left open, or an error at the end."""
    at_end = error.pos >= len(error.doc.rstrip())
    if at_end or error.msg.startswith("Unterminated string"):
        return "; the file ends too early (truncated?)"
    return ""
