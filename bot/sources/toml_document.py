"""A parsed TOML data file that can say on which line a key stands.

tomllib gives values without positions; data/README.md promises `file:line: field` for every
mistake, so `TomlDocument` keeps the source lines and finds keys, dotted keys, table headers
and the n-th `[[nuggets]]` table in them.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.records import RecordError
from bot.sources.files import parse_failure, read_text


class TomlDocument:
    """A parsed TOML file that can say on which line a key stands."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self.source = read_text(path)
        self.lines = self.source.splitlines()
        try:
            self.data: dict[str, Any] = tomllib.loads(self.source)
        except (tomllib.TOMLDecodeError, RecursionError) as error:
            raise parse_failure(error, origin=self.name, text=self.source, what="TOML") from None

    def error(self, key: str, message: str) -> RecordError:
        return RecordError(message, path=self.name, line=self.line_of(key), field=key)

    def nugget_error(self, index: int, key: str, message: str) -> RecordError:
        """An error in the index-th [[nuggets]] table, at the key's line (or the header's)."""
        field = f"nuggets[{index}].{key}"
        return RecordError(message, path=self.name, line=self.line_of_field(field), field=field)

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def line_of(self, key: str, table_index: int | None = None) -> int | None:
        """The line of `key`: top-level, or inside the table_index-th [[nuggets]] table.

        A key is found as `key = `, a dotted `key.x = ` or quoted; a top-level key that is
        not assigned before the first table is looked for as a table header `[key]`.
        """
        start, end = 0, len(self.lines)
        if table_index is not None:
            header = self.line_of_table("nuggets", table_index)
            if header is None:
                return None
            start = header
        end = next((i for i in range(start, end) if self.lines[i].lstrip().startswith("[")), end)
        name = _key_pattern(key)
        assignment = re.compile(rf"^\s*{name}\s*[=.]")
        for number in range(start, end):
            if assignment.match(self.lines[number]):
                return number + 1
        if table_index is None:
            header_pattern = re.compile(rf"^\s*\[\[?\s*{name}\s*[\].]")
            for number, line in enumerate(self.lines):
                if header_pattern.match(line):
                    return number + 1
        return None

    def line_of_field(self, field: str) -> int | None:
        """The line of a field as errors name it: 'title' or 'nuggets[2].text'."""
        match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?", field)
        if match is None:
            return self.line_of(field)
        table, index, key = match[1], int(match[2]), match[3]
        return (
            (self.line_of(key, table_index=index) if key else None)
            or self.line_of_table(table, index)
            or self.line_of(table)
        )

    def line_of_table(self, name: str, index: int) -> int | None:
        pattern = re.compile(rf"^\s*\[\[\s*{_key_pattern(name)}\s*\]\]")
        headers = [i + 1 for i, line in enumerate(self.lines) if pattern.match(line)]
        return headers[index] if index < len(headers) else None

    def _get(self, key: str, kind: type, describe: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None:
            if required:
                raise RecordError(
                    "is missing (add it near the top of the file)",
                    path=self.name,
                    line=1,
                    field=key,
                )
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise self.error(key, f"must be {describe}")
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, str, "text", required=True)
        if not value.strip():
            raise self.error(key, "must not be empty")
        return value.strip()

    def optional_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, "text", required=False)
        return value.strip() or None if value is not None else None

    def optional_int(self, key: str) -> int | None:
        value: int | None = self._get(key, int, "a whole number", required=False)
        return value

    def optional_datetime(self, key: str) -> datetime | None:
        value: datetime | None = self._get(key, datetime, "a TOML date-time", required=False)
        if value is not None and value.tzinfo is None:
            raise self.error(key, "needs a UTC offset, e.g. 2022-12-15T16:00:00Z")
        return value

    def text_list(self, key: str) -> list[str]:
        value: list[Any] = self._get(key, list, "a list of names", required=True)
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(key, "must be a list of non-empty names")
        return [item.strip() for item in value]


def _key_pattern(key: str) -> str:
    """A regex for a TOML key as written: bare, "quoted" or 'quoted'."""
    escaped = re.escape(key)
    return rf"(?:{escaped}|\"{escaped}\"|'{escaped}')"


def toml_type(value: object) -> str:
    """What a TOML value is, in the words of the TOML spec."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    return "a date or time"
