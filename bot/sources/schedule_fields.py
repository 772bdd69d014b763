"""Typed access to a schedule document, with errors that name the file, line and field.

A parsed JSON (or XML turned into the same shape) has lost its positions; `FieldReader` finds
a line by searching the raw text for the value in question nearest to an anchor (usually the
event's guid), so an error can still say `file:line: field 'x': ...`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime

from bot.records import EARLIEST_YEAR, LATEST_YEAR, RecordError, in_calendar


class FieldReader:
    """Reads typed values out of one document; `raw_text` is only used to find lines."""

    def __init__(self, origin_file: str, raw_text: str) -> None:
        self.origin_file = origin_file
        self.raw_text = raw_text

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

    def nth_line(self, value: str, n: int) -> int | None:
        """The line of the n-th (from 0) occurrence of `value` in the raw text, if any."""
        at = -1
        for _ in range(n + 1):
            at = self.raw_text.find(value, at + 1)
            if at < 0:
                return None
        return self.raw_text.count("\n", 0, at) + 1

    # -- typed access ---------------------------------------------------------------------

    def text(
        self, record: Mapping[str, object], key: str, *, field: str, anchor: str | None
    ) -> str | None:
        """record[key] as a string, or None when it is absent or null."""
        value = record.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return self.checked(value, field=field, anchor=anchor)
        raise self.error(
            f"'{key}' must be a string, not {type(value).__name__}",
            field=field,
            anchor=anchor,
            value=json.dumps(value) if isinstance(value, int | float | bool) else None,
        )

    def checked(self, value: str, *, field: str, anchor: str | None) -> str:
        """`value`, unless it holds a lone UTF-16 surrogate (a JSON "\\ud800" escape), which
        no UTF-8 text, and so no database row, can hold."""
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                code = f"\\u{ord(value[error.start]):04x}"
                raise self.error(
                    f"holds {code}, half of a UTF-16 pair: not a character",
                    field=field,
                    anchor=anchor,
                    value=code,
                ) from None
        return value

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
        if not in_calendar(moment):
            raise self.error(
                f"date-time {raw!r} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}",
                field=field,
                anchor=anchor,
                value=raw,
            )
        return moment

    def calendar_date(self, raw: str, *, field: str, anchor: str | None) -> date:
        """An ISO date (the first ten characters of `raw`) within the supported years."""
        try:
            day = date.fromisoformat(raw.strip()[:10])
        except ValueError:
            raise self.error(f"bad date {raw!r}", field=field, anchor=anchor, value=raw) from None
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            raise self.error(
                f"date {raw!r} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}",
                field=field,
                anchor=anchor,
                value=raw,
            )
        return day
