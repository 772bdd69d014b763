"""Read timed transcripts (WebVTT and SRT subtitle files) into `Cue` records.

WebVTT goes through webvtt-py and SRT through the `srt` library; this module only cleans up
what real machine-made files carry and the libraries reject, and reports problems as
RecordErrors naming the file (and the line, when the library says where).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from bot.records import Cue, RecordError
from bot.sources.files import read_text

# The inline tags SRT players understand (<i>, <b>, <u>, <font color=...>); dropped from text.
_SRT_TAG = re.compile(r"</?(?:i|b|u|font)\b[^>]*>", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']+)'")
_VTT_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}"
_VTT_TIMING = re.compile(rf"^\s*{_VTT_TIMESTAMP}\s+-->\s+{_VTT_TIMESTAMP}(?:\s|$)")


def parse_transcript(path: Path) -> tuple[Cue, ...]:
    """The cues of a .vtt or .srt file (told apart by the WEBVTT header), in file order."""
    text = read_text(path)
    if text.lstrip().startswith("WEBVTT"):
        return _parse_webvtt(text, path)
    return _parse_srt(text, path)


def cues_to_text(cues: Iterable[Cue], *, paragraph_gap_ms: int = 3000) -> str:
    """Running text from cues: each cue's lines joined by spaces, a repeated cue kept once,
    and a new paragraph where the speech pauses for `paragraph_gap_ms` or more."""
    paragraphs: list[list[str]] = []
    previous: Cue | None = None
    for cue in cues:
        words = " ".join(cue.text.split())
        if not words or (previous is not None and words == " ".join(previous.text.split())):
            continue
        if previous is None or cue.start_ms - previous.end_ms >= paragraph_gap_ms:
            paragraphs.append([])
        paragraphs[-1].append(words)
        previous = cue
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs)


def _parse_webvtt(text: str, path: Path) -> tuple[Cue, ...]:
    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError) as error:
        raise RecordError(
            f"not a valid WebVTT file: {error}", path=str(path), line=_line_of_quoted(text, error)
        ) from None
    # webvtt-py skips cue blocks it cannot read (a bad timestamp, say) without a word; the
    # spec forbids "-->" anywhere but in timing lines, so a shortfall means a skipped block.
    timing_lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if "-->" in line]
    if len(captions) < len(timing_lines):
        bad_lines = [n for n, line in timing_lines if not _VTT_TIMING.match(line)]
        raise RecordError(
            f"{len(timing_lines) - len(captions)} of {len(timing_lines)} cues could not be"
            " read (is a timing line malformed?)",
            path=str(path),
            line=bad_lines[0] if bad_lines else None,
        )
    cues = (
        Cue(
            start_ms=caption.start_time.in_milliseconds(),
            end_ms=caption.end_time.in_milliseconds(),
            text=_clean_cue_text(caption.text),
        )
        for caption in captions
    )
    return tuple(cue for cue in cues if cue.text)


def _parse_srt(text: str, path: Path) -> tuple[Cue, ...]:
    # Machine-made SRTs (e.g. Whisper output) open with "# Transcribed ..." comment lines,
    # which `srt` rejects as unmatched content. They are blanked rather than removed so that
    # the library's error offsets still point at the right line. Their single-digit hours
    # ("0:00:01,000") need no fixing: srt's timestamp pattern accepts any number of digits.
    cleaned = _blank_comment_lines(text)
    try:
        subtitles = list(srt.parse(cleaned))
    except srt.SRTParseError as error:
        raise RecordError(
            f"not a valid SRT file near {error.unmatched_content[:40]!r}",
            path=str(path),
            line=cleaned.count("\n", 0, error.expected_start) + 1,
        ) from None
    except (ValueError, OverflowError) as error:  # a timestamp srt matched but cannot convert
        raise RecordError(f"not a valid SRT file: {error}", path=str(path)) from None
    cues = (
        Cue(
            start_ms=_milliseconds(subtitle.start),
            end_ms=_milliseconds(subtitle.end),
            text=_clean_cue_text(_SRT_TAG.sub("", subtitle.content)),
        )
        for subtitle in subtitles
    )
    return tuple(cue for cue in cues if cue.text)


def _blank_comment_lines(text: str) -> str:
    """Blank `#` lines that open a block (the file header, comment blocks); a `#` line inside
    a cue's text, after its timing line, is kept."""
    lines = text.splitlines()
    at_block_start = True
    for number, line in enumerate(lines):
        if at_block_start and line.lstrip().startswith("#"):
            lines[number] = ""
            continue
        at_block_start = not line.strip()
    return "\n".join(lines) + "\n"


def _clean_cue_text(text: str) -> str:
    """The cue's lines, stripped, without empty ones."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _milliseconds(moment: timedelta) -> int:
    return moment // timedelta(milliseconds=1)


def _line_of_quoted(text: str, error: Exception) -> int | None:
    """The line of the first quoted value in a webvtt error message, when it is in the text."""
    match = _QUOTED.search(str(error))
    at = text.find(match[1]) if match else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None
