"""Transcript parsing: the real machine-made BornHack SRT, and small WebVTT/SRT files."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

from bot.records import Cue, RecordError
from bot.sources.transcripts import cues_to_text, parse_transcript

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
BORNHACK = SAMPLES / "bornhack2021-how-to-open-source-your-code-properly.srt"

# A timing line as the sample writes it: single-digit hours, comma before the milliseconds.
SRT_TIMING_LINE = re.compile(r"^\d+:\d{2}:\d{2},\d{3} --> \d+:\d{2}:\d{2},\d{3}$", re.MULTILINE)

WEBVTT = """\
WEBVTT - a small talk

NOTE written by hand for the test

intro
00:00:01.000 --> 00:00:04.500 align:start
<v Alice>Hello <b>everyone</b>,
welcome!

00:05.000 --> 00:07.250
Short timestamps without hours.

1:02:03.040 --> 1:02:05.000
Past the hour.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bornhack() -> tuple[Cue, ...]:
    return parse_transcript(BORNHACK)


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
def test_bornhack_cue_count_matches_the_timing_lines(bornhack: tuple[Cue, ...]) -> None:
    text = BORNHACK.read_text(encoding="utf-8")
    assert len(SRT_TIMING_LINE.findall(text)) == 1036
    assert len(bornhack) == 1036


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
def test_bornhack_first_and_last_cue(bornhack: tuple[Cue, ...]) -> None:
    assert bornhack[0] == Cue(
        0, 12_000, "Karina Haupt will talk about how to properly open source source code."
    )
    # 0:55:19,320 --> 0:55:20,360
    assert bornhack[-1] == Cue(3_319_320, 3_320_360, "Thank you very much.")


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
def test_bornhack_header_comments_are_not_cues(bornhack: tuple[Cue, ...]) -> None:
    assert BORNHACK.read_text(encoding="utf-8").startswith("# Transcribed")
    assert not any("Transcribed" in cue.text or cue.text.startswith("#") for cue in bornhack)


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
def test_bornhack_cues_are_ordered_and_well_formed(bornhack: tuple[Cue, ...]) -> None:
    assert all(cue.start_ms <= cue.end_ms for cue in bornhack)
    assert all(a.start_ms <= b.start_ms for a, b in pairwise(bornhack))
    assert all(cue.text == cue.text.strip() and cue.text for cue in bornhack)


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
def test_bornhack_as_text(bornhack: tuple[Cue, ...]) -> None:
    text = cues_to_text(bornhack)
    assert text.startswith("Karina Haupt will talk about how to properly open source source code.")
    assert text.endswith("Thank you very much.")
    assert "Give her an applause. Yes, hello and thanks." in text


def test_webvtt(tmp_path: Path) -> None:
    cues = parse_transcript(write(tmp_path, "talk.vtt", WEBVTT))
    assert cues == (
        Cue(1_000, 4_500, "Hello everyone,\nwelcome!"),
        Cue(5_000, 7_250, "Short timestamps without hours."),
        Cue(3_723_040, 3_725_000, "Past the hour."),
    )


def test_webvtt_with_a_bad_timestamp_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.vtt", WEBVTT.replace("00:05.000 -->", "00:05.x00 -->"))
    with pytest.raises(RecordError) as caught:
        parse_transcript(path)
    assert caught.value.line == 10
    assert str(caught.value).startswith(f"{path}:10:")


def test_srt_keeps_hash_lines_inside_cue_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "tags.srt",
        "# header\n\n1\n0:00:01,000 --> 0:00:02,000\n#hashtag and <i>style</i>\n\n"
        "# a comment block between cues\n\n2\n0:00:03,000 --> 0:00:04,500\nbye\n",
    )
    assert parse_transcript(path) == (
        Cue(1_000, 2_000, "#hashtag and style"),
        Cue(3_000, 4_500, "bye"),
    )


def test_srt_with_junk_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "junk.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nfine\n\nthis is not a cue\nnor this\n",
    )
    path.write_text("junk before any cue\n\n" + path.read_text(encoding="utf-8"))
    with pytest.raises(RecordError) as caught:
        parse_transcript(path)
    assert caught.value.line == 1
    assert str(caught.value).startswith(f"{path}:1:")


def test_missing_transcript_is_a_record_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="cannot read"):
        parse_transcript(tmp_path / "gone.srt")


def test_cues_to_text_paragraphs_and_repeats() -> None:
    cues = [
        Cue(0, 1_000, "Hello\nthere."),
        Cue(1_000, 2_000, "Hello there."),  # rolling captions repeat a line
        Cue(2_000, 3_000, "General."),
        Cue(7_000, 8_000, "After a pause."),
        Cue(8_000, 9_000, "   "),
    ]
    assert cues_to_text(cues) == "Hello there. General.\n\nAfter a pause."
    assert cues_to_text([]) == ""


def _cut_bornhack(where: str) -> tuple[str, int]:
    """The BornHack SRT cut off the way a failed download cuts it, and the line at fault."""
    text = BORNHACK.read_text(encoding="utf-8")
    cue_2 = text.index("\n2\n") + 1
    timing_2 = text.index("\n", cue_2) + 1
    number_line = text.count("\n", 0, cue_2) + 1
    if where == "after a cue number":
        return text[:timing_2], number_line
    if where == "inside a timing line":
        return text[: timing_2 + 20], number_line + 1
    if where == "after a timing line":
        return text[: text.index("\n", timing_2) + 1], number_line + 1
    raise AssertionError(where)


@pytest.mark.samples("samples/bornhack2021-how-to-open-source-your-code-properly.srt")
@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("after a cue number", "cue '2' has no timing line"),
        ("inside a timing line", "the timing line '0:00:12,000 --> 0:00' is cut short"),
        ("after a timing line", "ends inside a cue's timing"),
    ],
)
def test_a_truncated_srt_is_refused_naming_file_and_line(
    tmp_path: Path, where: str, problem: str
) -> None:
    text, line = _cut_bornhack(where)
    path = write(tmp_path, "cut.srt", text)
    with pytest.raises(RecordError) as caught:
        parse_transcript(path)
    assert caught.value.path == str(path) and caught.value.line == line
    assert "not a valid SRT file" in str(caught.value) and problem in str(caught.value)


@pytest.mark.parametrize(
    ("tail", "problem"),
    [
        ("2\n", "cue '2' has no timing line"),
        ("1:03:00.000 --> 1:03:0", "is cut short"),
        ("1:03:00.000 -->", "is cut short"),
        ("1:03:00.000 --> 1:03:02.000\n", "ends inside a cue's timing"),
        ("1:03:00.0", "has no timing line"),
    ],
)
def test_a_truncated_webvtt_is_refused_and_says_webvtt(
    tmp_path: Path, tail: str, problem: str
) -> None:
    path = write(tmp_path, "cut.vtt", WEBVTT + "\n" + tail)
    line = WEBVTT.count("\n") + 2  # the tail's first line, after one blank line
    with pytest.raises(RecordError) as caught:
        parse_transcript(path)
    assert caught.value.path == str(path) and caught.value.line == line
    assert "not a valid WebVTT file" in str(caught.value) and problem in str(caught.value)
    assert "SRT" not in str(caught.value)


def test_a_vtt_file_without_its_header_is_a_webvtt_error(tmp_path: Path) -> None:
    path = write(tmp_path, "talk.vtt", WEBVTT.replace("WEBVTT - a small talk\n", ""))
    with pytest.raises(RecordError, match=r"not a valid WebVTT file: .*WEBVTT header"):
        parse_transcript(path)


def test_an_arrow_in_srt_cue_text_is_not_a_timing_line(tmp_path: Path) -> None:
    path = write(tmp_path, "arrow.srt", "1\n00:00:01,000 --> 00:00:02,000\nthen\nA --> B\n")
    assert parse_transcript(path) == (Cue(1000, 2000, "then\nA --> B"),)
