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
# What `srt` reads as a timing line (it is lenient: "0:00:01,000", "00:00:01.5", "- >").
_SRT_TIMESTAMP = r"\d+[:.,]\d+[:.,]\d+(?:[,.:]\d*)?"
_SRT_TIMING = re.compile(rf"^\s*{_SRT_TIMESTAMP} *-[ -] *> *{_SRT_TIMESTAMP}(?:\s|$)")
_CUE_NUMBER = re.compile(r"^\s*-?\d+\s*$")
# WebVTT blocks that are not cues.
_VTT_NON_CUES = ("NOTE", "STYLE", "REGION")


def parse_transcript(path: Path) -> tuple[Cue, ...]:
    """The cues of a .vtt or .srt file (a .vtt name or the WEBVTT header means WebVTT), in
    file order. A file cut short (a cue number with no timing line, a timing line cut off,
    a file that ends inside a cue's timing) is refused, naming the line."""
    text = read_text(path)
    if text.lstrip().startswith("WEBVTT") or path.suffix.lower() == ".vtt":
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
    if not text.lstrip().startswith("WEBVTT"):
        raise RecordError(
            "not a valid WebVTT file: it does not open with the WEBVTT header",
            path=str(path),
            line=text.count("\n", 0, len(text) - len(text.lstrip())) + 1,
        )
    _check_cue_blocks(text.splitlines(), path, "WebVTT", _VTT_TIMING)
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
    _check_cue_blocks(cleaned.splitlines(), path, "SRT", _SRT_TIMING)
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


def _check_cue_blocks(lines: list[str], path: Path, what: str, timing: re.Pattern[str]) -> None:
    """RecordError at the first sign of a cut-off file: a cue whose number (or WebVTT
    identifier) has no timing line after it, a timing line cut short, a last cue that ends
    at its timing line. The libraries would quietly drop such a cue or glue it to the one
    before."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(lines, 1):
        if line.strip():
            blocks[-1].append((number, line))
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    if what == "WebVTT":
        blocks = [b for b in blocks[1:] if not b[0][1].lstrip().startswith(_VTT_NON_CUES)]

    def refuse(line: int, problem: str) -> RecordError:
        return RecordError(f"not a valid {what} file: {problem}", path=str(path), line=line)

    for block in blocks:
        # A timing line is a cue's first line, or its second after a number or identifier.
        timings = [(n, line) for n, line in block[:2] if "-->" in line]
        for number, line in timings:
            if not timing.match(line):
                raise refuse(number, f"the timing line {line.strip()[:40]!r} is cut short")
        first_number, first = block[0]
        if not timings and (what == "WebVTT" or _CUE_NUMBER.match(first)):
            raise refuse(
                first_number,
                f"cue {first.strip()[:40]!r} has no timing line (the file ends too early?)",
            )
    if blocks and "-->" in blocks[-1][-1][1] and len(blocks[-1]) <= 2:
        number, _ = blocks[-1][-1]
        raise refuse(number, "the file ends inside a cue's timing, before its text (truncated?)")


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
