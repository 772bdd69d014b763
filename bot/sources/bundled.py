"""The bundled data format: one folder per conference, one TOML file per talk (data/README.md).

`read_data_dir` turns the folder into `Conference` records or raises `RecordError` naming the
file, the line and the field of the first mistake. It reads everything before anything is
loaded, so a bad file never reaches the database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    read_bytes,
    read_text,
)
from bot.sources.toml_document import TomlDocument, toml_type

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


# A file whose modification time is this close to when its digest was taken may have been
# written again within the same clock tick: it is read again, whatever its stat says.
RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class KnownFile:
    """A data file's digest and the stat it was taken with (`checked_ns`: when)."""

    digest: str
    size: int
    mtime_ns: int
    checked_ns: int


@dataclass(frozen=True)
class DataScan:
    """What the loader sees in a data folder: each data file (by 'folder/name') and a
    digest of them all."""

    fingerprint: str
    files: dict[str, KnownFile]

    @property
    def digests(self) -> dict[str, str]:
        return {name: known.digest for name, known in self.files.items()}


@dataclass(frozen=True)
class ChangedTalks:
    """The talk files of one loaded conference that changed since its last load."""

    conference: str
    talks: tuple[Talk, ...]  # read from the files that are new or changed
    removed: tuple[str, ...]  # slugs of the talks whose files are gone


def data_fingerprint(root: Path) -> str:
    """A digest of every entry the loader looks at: equal digests mean equal data."""
    return scan_data_dir(root).fingerprint


def scan_data_dir(root: Path, known: Mapping[str, KnownFile] | None = None) -> DataScan:
    """Digest every entry the loader looks at (its bytes are read, never parsed).

    A file whose size and modification time are those `known` recorded (and not racily
    close to when it was recorded) keeps its known digest without being read. An entry that
    cannot be read (a folder named x.toml, a dangling symlink, a loop) gets what is wrong
    with it as its digest, so adding one to a loaded folder is noticed.
    """
    digest = hashlib.sha256()
    files: dict[str, KnownFile] = {}
    now = time.time_ns()
    for path in _data_entries(root):
        top = path.parent == root
        name = path.name if top else f"{path.parent.name}/{path.name}"
        digest.update(name.encode(errors="surrogateescape") + b"\0")
        if not top:
            files[name] = _known_file(path, (known or {}).get(name), now)
            digest.update(files[name].digest.encode(errors="surrogateescape"))
        digest.update(b"\0")
    return DataScan(digest.hexdigest(), files)


def _known_file(path: Path, known: KnownFile | None, now: int) -> KnownFile:
    try:
        stat = path.stat()
        size, mtime = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime = -1, -1
    if (
        known is not None
        and size >= 0
        and (known.size, known.mtime_ns) == (size, mtime)
        and mtime < known.checked_ns - RACY_NS
    ):
        return known
    try:
        raw = read_bytes(path, max_bytes=MAX_DATA_FILE_BYTES)
    except RecordError as error:
        return KnownFile("!" + error.message, size, mtime, now)
    return KnownFile(hashlib.sha256(raw).hexdigest(), size, mtime, now)


def read_changed(
    root: Path, scan: DataScan, loaded: Mapping[str, KnownFile], conferences: set[str]
) -> tuple[list[Conference], list[ChangedTalks], set[str]]:
    """Read what changed since the load that left the digests `loaded` and the data-folder
    `conferences`: whole conference folders that are new or whose conference.toml or a
    transcript changed, else just the changed talk files; and every conference slug the
    folder holds. Unchanged files are not parsed. Raises RecordError as `read_data_dir` does.
    """
    folders = list(_conference_folders(root)) if root.is_dir() else []
    if not folders:
        read_data_dir(root)  # raises the error a full load gives
    whole: list[Conference] = []
    changed: list[ChangedTalks] = []
    by_folder: dict[str, set[str]] = {}
    for name in scan.files.keys() | loaded.keys():
        by_folder.setdefault(name.partition("/")[0], set()).add(name)
    for folder in folders:
        prefix = folder.name + "/"
        different = sorted(
            name
            for name in by_folder.get(folder.name, set())
            if _digest(scan.files, name) != _digest(loaded, name)
        )
        if folder.name in conferences and not different:
            continue
        if folder.name not in conferences or any(
            not name.endswith(".toml") or name == prefix + CONFERENCE_FILE for name in different
        ):
            whole.append(read_conference(folder))
            continue
        talks = tuple(read_talk(root / name) for name in different if name in scan.files)
        removed = tuple(Path(name).stem for name in different if name not in scan.files)
        changed.append(ChangedTalks(folder.name, talks, removed))
    return whole, changed, {folder.name for folder in folders}


def _digest(files: Mapping[str, KnownFile], name: str) -> str | None:
    known = files.get(name)
    return known.digest if known else None


def _visible(folder: Path) -> list[Path]:
    try:
        entries = (entry for entry in folder.iterdir() if not entry.name.startswith("."))
        return sorted(entries, key=lambda entry: entry.name)
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
    document = TomlDocument(conference_path)
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
        origin_file=str(conference_path),
        origin_line=1,
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
    document = TomlDocument(path)
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


def _read_nuggets(document: TomlDocument) -> tuple[Nugget, ...]:
    raw = document.data.get("nuggets", [])
    if not isinstance(raw, list):
        raise document.error("nuggets", f"use [[nuggets]] tables, not {toml_type(raw)}")
    nuggets: list[Nugget] = []
    seen: set[str] = set()
    for index, table in enumerate(raw):
        if not isinstance(table, dict):
            raise RecordError(
                f"use [[nuggets]] tables, not {toml_type(table)} values",
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
    document: TomlDocument, folder: Path, name: str
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


def _check_zone(document: TomlDocument, zone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise document.error("timezone", f"unknown IANA time zone {zone!r}") from None
