"""The talk records: plain frozen dataclasses every source produces and the store consumes.

Nothing here reads files or touches SQLite. A source (bundled TOML, pretalx, frab, ...) turns
its input into these values; the store loads them. Validation of *shape* lives in the sources,
because only they know file names and line numbers; the invariants that hold for every source
live in `validate_conference`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")

# The years a conference or a talk may fall in. Outside them a time is a typo or hostile
# input, and date arithmetic (a reminder 10 minutes before year 1) would overflow.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999

TALK_KINDS = ("talk", "keynote", "closing", "unconference", "lightning", "workshop", "other")


@dataclass(frozen=True)
class Speaker:
    """A person credited on a talk."""

    name: str
    biography: str | None = None


@dataclass(frozen=True)
class Nugget:
    """A short verbatim quote.

    `speaker` is who said it (None when the source does not name them); `source` names where
    the words come from (a transcript, a blog post).
    """

    text: str
    speaker: str | None
    source: str

    def key(self, talk_key: str) -> str:
        """A stable identity that survives reloads, used by the daily-wisdom rotation."""
        digest = hashlib.sha1(f"{talk_key}\n{self.text}".encode()).hexdigest()
        return digest[:16]


@dataclass(frozen=True)
class Cue:
    """One timed line of a transcript, in milliseconds from the start of the talk."""

    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True)
class Talk:
    """A talk, keynote, unconference session or any other programme item."""

    slug: str
    title: str
    speakers: tuple[Speaker, ...]
    summary: str
    kind: str = "talk"
    nuggets: tuple[Nugget, ...] = ()
    speaker_note: str | None = None
    transcript: str | None = None
    transcript_source: str | None = None
    cues: tuple[Cue, ...] = ()
    url: str | None = None
    source: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    room: str | None = None
    track: str | None = None
    language: str | None = None
    links: tuple[str, ...] = ()
    guid: str | None = None
    origin_file: str | None = None
    # The export's long text beside its abstract (kept in `summary`); None when it has none.
    description: str | None = None
    # The schedule day the export files the talk under: a talk at 00:15 belongs to the day
    # before. None when the source has no days (then the talk's local calendar date counts).
    schedule_day: date | None = None

    @property
    def speaker_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.speakers)


@dataclass(frozen=True)
class Conference:
    """A conference with its talks. `slug` is unique across the store."""

    slug: str
    name: str
    talks: tuple[Talk, ...] = ()
    year: int | None = None
    url: str | None = None
    timezone: str | None = None
    description: str | None = None
    origin: str = "data"
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # Where the conference itself is declared (its conference.toml, or the export and the
    # line of its acronym), for errors about the conference as a whole.
    origin_file: str | None = field(default=None, compare=False)
    origin_line: int | None = field(default=None, compare=False)


def slugify(text: str, max_length: int = 60) -> str:
    """Lowercase ASCII words joined by hyphens: 'An ML Fairytale' -> 'an-ml-fairytale'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "item"


class RecordError(ValueError):
    """A record that breaks an invariant. Sources add the file and line."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None, field: str = ""):
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<record>"
        if self.line is not None:
            where += f":{self.line}"
        what = f" field '{self.field}':" if self.field else ""
        return f"{where}:{what} {self.message}"


def in_calendar(moment: datetime) -> bool:
    """True when the moment (with or without an offset) falls in EARLIEST_YEAR-LATEST_YEAR, so
    converting it to UTC or adding a day to it cannot overflow."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def validate_conference(conference: Conference) -> None:
    """Check the invariants every source must meet; raise RecordError on the first breach."""
    if not SLUG_PATTERN.match(conference.slug):
        raise RecordError(f"bad conference slug {conference.slug!r}", field="slug")
    if not conference.name.strip():
        raise RecordError("conference name is empty", field="name")
    if conference.year is not None and not EARLIEST_YEAR <= conference.year <= LATEST_YEAR:
        raise RecordError(
            f"year {conference.year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}", field="year"
        )
    seen: set[str] = set()
    for talk in conference.talks:
        if talk.slug in seen:
            raise RecordError(
                f"talk slug {talk.slug!r} is used twice in {conference.slug}",
                path=talk.origin_file or "",
                field="slug",
            )
        seen.add(talk.slug)
        validate_talk(talk)


def validate_talk(talk: Talk) -> None:
    """Check one talk's invariants; raise RecordError (with the field) on the first breach."""
    path = talk.origin_file or ""
    if not SLUG_PATTERN.match(talk.slug):
        raise RecordError(
            f"bad talk slug {talk.slug!r} (lowercase letters, digits, hyphens)",
            path=path,
            field="slug",
        )
    if not talk.title.strip():
        raise RecordError("title is empty", path=path, field="title")
    if talk.kind not in TALK_KINDS:
        raise RecordError(
            f"unknown kind {talk.kind!r}; use one of {', '.join(TALK_KINDS)}",
            path=path,
            field="kind",
        )
    for name, moment in (("starts_at", talk.starts_at), ("ends_at", talk.ends_at)):
        if moment is None:
            continue
        if moment.tzinfo is None:
            raise RecordError("times must carry a time zone", path=path, field=name)
        if not in_calendar(moment):
            raise RecordError(
                f"{moment.isoformat()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}",
                path=path,
                field=name,
            )
    if talk.starts_at and talk.ends_at and talk.ends_at < talk.starts_at:
        raise RecordError("ends before it starts", path=path, field="ends_at")
    for index, nugget in enumerate(talk.nuggets):
        if not nugget.text.strip():
            raise RecordError("nugget text is empty", path=path, field=f"nuggets[{index}].text")
        if not nugget.source.strip():
            raise RecordError("nugget source is empty", path=path, field=f"nuggets[{index}].source")
