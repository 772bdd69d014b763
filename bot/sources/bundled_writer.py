"""Write a conference in the bundled data format (data/README.md), the inverse of
bot/sources/bundled.py: `confbot nuggets export` keeps community nuggets in git this way.

One folder named by the conference's slug: `conference.toml`, one `<slug>.toml` per talk
with its `[[nuggets]]`, and the transcript beside it as `<slug>.transcript.txt`. What the
reader requires and an import may lack gets a plain note (no speaker: a `speaker_note`; no
summary or source: where the record came from), so the folder always loads back. TOML is
written by tomli-w, which escapes every control and quote character as TOML demands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomli_w

from bot.records import Conference, Talk
from bot.sources.bundled import CONFERENCE_FILE

NO_SPEAKER_NOTE = "The schedule names no speaker."


def conference_document(conference: Conference) -> dict[str, Any]:
    document: dict[str, Any] = {"name": conference.name}
    for key in ("year", "url", "timezone", "description"):
        value = getattr(conference, key)
        if value is not None:
            document[key] = value
    return document


def talk_document(talk: Talk, fallback_source: str) -> dict[str, Any]:
    """The TOML table of one talk file (the transcript file name, when it has one, is
    `<slug>.transcript.txt`)."""
    source = talk.source or fallback_source
    document: dict[str, Any] = {
        "title": talk.title,
        "speakers": [speaker.name for speaker in talk.speakers],
    }
    note = talk.speaker_note or (None if talk.speakers else NO_SPEAKER_NOTE)
    if note:
        document["speaker_note"] = note
    document["kind"] = talk.kind
    document["summary"] = talk.summary.strip() or talk.description or f"From {source}."
    document["source"] = source
    optional = {
        "url": talk.url,
        "starts_at": talk.starts_at,
        "ends_at": talk.ends_at,
        "room": talk.room,
        "track": talk.track,
        "language": talk.language,
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    if talk.transcript:
        document["transcript"] = transcript_name(talk)
        document["transcript_source"] = talk.transcript_source or source
    if talk.nuggets:
        document["nuggets"] = [
            {"text": n.text, **({"speaker": n.speaker} if n.speaker else {}), "source": n.source}
            for n in talk.nuggets
        ]
    return document


def transcript_name(talk: Talk) -> str:
    return f"{talk.slug}.transcript.txt"


def write_conference(conference: Conference, root: Path) -> Path:
    """Write `conference` as the folder `root/<slug>` (replacing the files it writes); the
    folder."""
    folder = root / conference.slug
    folder.mkdir(parents=True, exist_ok=True)
    fallback = f"{conference.name} ({conference.origin})"
    _write(folder / CONFERENCE_FILE, conference_document(conference))
    for talk in conference.talks:
        _write(folder / f"{talk.slug}.toml", talk_document(talk, fallback))
        if talk.transcript:
            (folder / transcript_name(talk)).write_text(talk.transcript + "\n", encoding="utf-8")
    return folder


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(tomli_w.dumps(document, multiline_strings=True), encoding="utf-8")
