"""The bundled data format: one folder per conference, one TOML file per talk (data/README.md).

`read_data_dir` turns the folder into `Conference` records or raises `RecordError` naming the
file, the line and the field of the first mistake. It reads everything before anything is
loaded, so a bad file never reaches the database.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.records import (
    SLUG_PATTERN,
    Conference,
    Nugget,
    RecordError,
    Speaker,
    Talk,
    validate_conference,
    validate_talk,
)
from bot.sources.files import (
    MAX_DATA_FILE_BYTES,
    file_problem,
    parse_failure,
    read_bytes,
    read_text,
)

CONFERENCE_FILE = "conference.toml"
TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt")

_CONFERENCE_KEYS = {"name", "year", "url", "timezone", "description"}
_TALK_KEYS = {
    "title",
    "speakers",
    "speaker_note",
    "kind",
    "summary",
    "source",
    "url",
    "transcript",
    "transcript_source",
    "starts_at",
    "ends_at",
    "room",
    "track",
    "language",
    "nuggets",
}
_NUGGET_KEYS = {"text", "speaker", "source"}


def read_data_dir(root: Path) -> list[Conference]:
    """Every conference folder under `root`, sorted.

    A folder is a conference folder when it holds a conference.toml or any .toml file; one
    without a readable conference.toml is an error, never silently skipped. Names starting
    with "." (editor lock files, .git) are ignored here and by the fingerprint alike.
    """
    if not root.is_dir():
        raise RecordError("data folder not found", path=str(root))
    conferences = [read_conference(folder) for folder in _conference_folders(root)]
    if not conferences:
        raise RecordError(f"no conference folders (with {CONFERENCE_FILE}) found", path=str(root))
    return conferences


def data_fingerprint(root: Path) -> str:
    """A digest of every entry the loader looks at: equal digests mean equal data.

    An entry that cannot be read (a folder named x.toml, a dangling symlink, a loop) adds
    what is wrong with it, so adding one to a loaded folder is noticed, not "unchanged".
    """
    digest = hashlib.sha256()
    for path in _data_entries(root):
        digest.update(str(path.relative_to(root)).encode(errors="surrogateescape"))
        digest.update(b"\0")
        if path.parent != root:
            try:
                digest.update(read_bytes(path, max_bytes=MAX_DATA_FILE_BYTES))
            except RecordError as error:
                digest.update(b"!" + error.message.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _visible(folder: Path) -> list[Path]:
    try:
        return sorted(entry for entry in folder.iterdir() if not entry.name.startswith("."))
    except OSError:
        return []


def _is_data_file(path: Path) -> bool:
    return path.suffix == ".toml" or path.suffix in TRANSCRIPT_SUFFIXES


def _conference_folders(root: Path) -> Iterator[Path]:
    for folder in _visible(root):
        if folder.is_dir() and any(entry.suffix == ".toml" for entry in _visible(folder)):
            yield folder


def _data_entries(root: Path) -> Iterator[Path]:
    """Each conference folder, then its data files (whatever kind of entry they are)."""
    for folder in _visible(root):
        yield folder
        if folder.is_dir():
            yield from (entry for entry in _visible(folder) if _is_data_file(entry))


def read_conference(folder: Path) -> Conference:
    slug = folder.name
    conference_path = folder / CONFERENCE_FILE
    if not SLUG_PATTERN.match(slug):
        raise RecordError(
            "conference folder names are slugs (lowercase letters, digits, hyphens)",
            path=str(folder),
            field="slug",
        )
    if not conference_path.exists() and not conference_path.is_symlink():
        raise RecordError(
            f"this folder holds talk files but no {CONFERENCE_FILE} (every conference folder"
            " needs one; see data/README.md)",
            path=str(conference_path),
        )
    document = _TomlDocument(conference_path)
    document.reject_unknown(_CONFERENCE_KEYS)
    talks = tuple(
        read_talk(path)
        for path in _visible(folder)
        if path.suffix == ".toml" and path.name != CONFERENCE_FILE
    )
    conference = Conference(
        slug=slug,
        name=document.text("name"),
        year=document.optional_int("year"),
        url=document.optional_text("url"),
        timezone=document.optional_text("timezone"),
        description=document.optional_text("description"),
        talks=talks,
        origin="data",
    )
    if conference.timezone:
        _check_zone(document, conference.timezone)
    try:
        validate_conference(conference)
    except RecordError as error:
        if not error.path:
            error.path = str(conference_path)
            error.line = document.line_of(error.field) or 1
        raise
    return conference


def read_talk(path: Path) -> Talk:
    document = _TomlDocument(path)
    document.reject_unknown(_TALK_KEYS)
    slug = path.stem
    if not SLUG_PATTERN.match(slug):
        raise RecordError(
            "talk file names are slugs (lowercase letters, digits, hyphens) + .toml",
            path=str(path),
            field="slug",
        )
    speakers = document.text_list("speakers")
    folded = [name.casefold() for name in speakers]
    if len(set(folded)) != len(folded):
        raise document.error("speakers", "a speaker is listed twice")
    speaker_note = document.optional_text("speaker_note")
    if not speakers and not speaker_note:
        raise RecordError(
            "no speakers: add a speaker_note saying who spoke as far as the source says",
            path=str(path),
            line=document.line_of("speakers"),
            field="speaker_note",
        )
    transcript, transcript_source, cues = None, None, ()
    transcript_name = document.optional_text("transcript")
    if transcript_name:
        transcript, cues = _read_transcript(document, path.parent, transcript_name)
        transcript_source = document.text("transcript_source")
    talk = Talk(
        slug=slug,
        title=document.text("title"),
        speakers=tuple(Speaker(name) for name in speakers),
        speaker_note=speaker_note,
        kind=document.optional_text("kind") or "talk",
        summary=document.text("summary"),
        source=document.text("source"),
        url=document.optional_text("url"),
        transcript=transcript,
        transcript_source=transcript_source,
        cues=cues,
        starts_at=document.optional_datetime("starts_at"),
        ends_at=document.optional_datetime("ends_at"),
        room=document.optional_text("room"),
        track=document.optional_text("track"),
        language=document.optional_text("language"),
        nuggets=_read_nuggets(document),
        origin_file=str(path),
    )
    try:
        validate_talk(talk)
    except RecordError as error:
        error.line = document.line_of_field(error.field) or 1
        raise
    return talk


def _read_nuggets(document: _TomlDocument) -> tuple[Nugget, ...]:
    raw = document.data.get("nuggets", [])
    if not isinstance(raw, list):
        raise document.error("nuggets", f"use [[nuggets]] tables, not {_toml_type(raw)}")
    nuggets: list[Nugget] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        if not isinstance(table, dict):
            raise RecordError(
                f"use [[nuggets]] tables, not {_toml_type(table)} values",
                path=document.name,
                line=document.line_of_table("nuggets", index) or document.line_of("nuggets"),
                field=f"nuggets[{index}]",
            )
        unknown = sorted(set(table) - _NUGGET_KEYS)
        if unknown:
            raise document.nugget_error(
                index, unknown[0], f"unknown key (allowed: {', '.join(sorted(_NUGGET_KEYS))})"
            )
        text, speaker, source = table.get("text"), table.get("speaker"), table.get("source")
        for key, value in (("text", text), ("source", source), ("speaker", speaker)):
            if value is None and key == "speaker":
                continue
            if not isinstance(value, str) or not value.strip():
                problem = "is missing" if value is None else "must be non-empty text"
                raise document.nugget_error(index, key, problem)
        assert isinstance(text, str) and isinstance(source, str)
        text = " ".join(text.split())
        if text in seen:
            raise document.nugget_error(index, "text", "the same nugget appears twice in this talk")
        seen.add(text)
        nuggets.append(
            Nugget(
                text=text,
                speaker=" ".join(speaker.split()) if isinstance(speaker, str) else None,
                source=" ".join(source.split()),
            )
        )
    return tuple(nuggets)


def _read_transcript(
    document: _TomlDocument, folder: Path, name: str
) -> tuple[str, tuple[Any, ...]]:
    if Path(name).name != name or name.startswith(".") or any(c in name for c in "\\\0"):
        raise document.error(
            "transcript", "must be the name of a file beside the talk, without a folder"
        )
    if not name.endswith(TRANSCRIPT_SUFFIXES):
        raise document.error(
            "transcript", f"transcript {name!r} must end in {', '.join(TRANSCRIPT_SUFFIXES)}"
        )
    path = folder / name
    problem = file_problem(path)
    if problem is not None:
        if not path.exists() and not path.is_symlink():
            problem = "not found beside the talk"
        raise document.error("transcript", f"transcript file {name!r} {problem}")
    if path.suffix == ".txt":
        return read_text(path).strip(), ()
    from bot.sources.transcripts import cues_to_text, parse_transcript

    cues = parse_transcript(path)
    return cues_to_text(cues), tuple(cues)


def _check_zone(document: _TomlDocument, zone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise document.error("timezone", f"unknown IANA time zone {zone!r}") from None


class _TomlDocument:
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


def _toml_type(value: object) -> str:
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
