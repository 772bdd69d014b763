"""The bundled data format: one folder per conference, one TOML file per talk (data/README.md).

`read_data_dir` turns the folder into `Conference` records or raises `RecordError` naming the
file, the line and the field of the first mistake. It reads everything before anything is
loaded, so a bad file never reaches the database.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
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
    """Every conference folder under `root` (a folder holding conference.toml), sorted."""
    if not root.is_dir():
        raise RecordError("data folder not found", path=str(root))
    conferences = [
        read_conference(folder)
        for folder in sorted(root.iterdir())
        if (folder / CONFERENCE_FILE).is_file()
    ]
    if not conferences:
        raise RecordError(f"no conference folders (with {CONFERENCE_FILE}) found", path=str(root))
    return conferences


def data_fingerprint(root: Path) -> str:
    """A digest of every data file's path and bytes: equal digests mean equal data."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix == ".toml" or path.suffix in TRANSCRIPT_SUFFIXES):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def read_conference(folder: Path) -> Conference:
    slug = folder.name
    conference_path = folder / CONFERENCE_FILE
    if not SLUG_PATTERN.match(slug):
        raise RecordError(
            "conference folder names are slugs (lowercase letters, digits, hyphens)",
            path=str(folder),
            field="slug",
        )
    document = _TomlDocument(conference_path)
    document.reject_unknown(_CONFERENCE_KEYS)
    talks = tuple(
        read_talk(path) for path in sorted(folder.glob("*.toml")) if path.name != CONFERENCE_FILE
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
        transcript, cues = _read_transcript(document, path.parent / transcript_name)
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
        error.line = document.line_of(error.field.split("[")[0]) or 1
        raise
    return talk


def _read_nuggets(document: _TomlDocument) -> tuple[Nugget, ...]:
    raw = document.data.get("nuggets", [])
    if not isinstance(raw, list):
        raise document.error("nuggets", "use [[nuggets]] tables")
    nuggets: list[Nugget] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        if not isinstance(table, dict):
            raise RecordError(
                "use [[nuggets]] tables",
                path=document.name,
                line=document.line_of_table("nuggets", index),
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


def _read_transcript(document: _TomlDocument, path: Path) -> tuple[str, tuple[Any, ...]]:
    if path.suffix not in TRANSCRIPT_SUFFIXES or not path.is_file():
        raise document.error(
            "transcript",
            f"transcript file {path.name!r} not found beside the talk "
            f"(use {', '.join(TRANSCRIPT_SUFFIXES)})",
        )
    if path.suffix == ".txt":
        text = path.read_text(encoding="utf-8").strip()
        return text, ()
    from bot.sources.transcripts import cues_to_text, parse_transcript

    cues = parse_transcript(path)
    return cues_to_text(cues), tuple(cues)


def _check_zone(document: _TomlDocument, zone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise document.error("timezone", f"unknown IANA time zone {zone!r}") from None


class _TomlDocument:
    """A parsed TOML file that can say on which line a key stands."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        try:
            self.source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            line = path.read_bytes()[: error.start].count(b"\n") + 1
            raise RecordError("not valid UTF-8", path=self.name, line=line) from None
        self.lines = self.source.splitlines()
        try:
            self.data: dict[str, Any] = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as error:
            match = re.search(r"line (\d+)", str(error))
            raise RecordError(
                f"not valid TOML: {re.sub(r' [(]at line.*', '', str(error))}",
                path=self.name,
                line=int(match.group(1)) if match else None,
            ) from None

    def error(self, key: str, message: str) -> RecordError:
        return RecordError(message, path=self.name, line=self.line_of(key), field=key)

    def nugget_error(self, index: int, key: str, message: str) -> RecordError:
        """An error in the index-th [[nuggets]] table, at the key's line (or the header's)."""
        line = self.line_of(key, table_index=index) or self.line_of_table("nuggets", index)
        return RecordError(message, path=self.name, line=line, field=f"nuggets[{index}].{key}")

    def reject_unknown(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def line_of(self, key: str, table_index: int | None = None) -> int | None:
        """The line of `key`: top-level, or inside the table_index-th [[nuggets]] table."""
        start, end = 0, len(self.lines)
        if table_index is None:
            end = next(
                (i for i, line in enumerate(self.lines) if line.lstrip().startswith("[")), end
            )
        else:
            header = self.line_of_table("nuggets", table_index)
            if header is None:
                return None
            start = header
            end = next(
                (
                    i
                    for i in range(start, len(self.lines))
                    if self.lines[i].lstrip().startswith("[")
                ),
                end,
            )
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number]):
                return number + 1
        return None

    def line_of_table(self, name: str, index: int) -> int | None:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
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
