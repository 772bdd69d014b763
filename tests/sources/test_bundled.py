"""The bundled TOML format: records from the data folder, and mistakes named by file:line: field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.records import RecordError
from bot.sources.bundled import data_fingerprint, read_data_dir
from tests.conftest import BUNDLED_DATA

DOCKER = "normconf-2022/how-small-can-i-get-that-docker-container.toml"


def test_bundled_data_reads_into_two_conferences() -> None:
    conferences = {c.slug: c for c in read_data_dir(BUNDLED_DATA)}
    assert set(conferences) == {"normconf-2022", "tumocon-2023"}
    keynote = next(t for t in conferences["normconf-2022"].talks if t.kind == "keynote")
    assert keynote.title == "An ML Fairytale"
    assert keynote.transcript and keynote.transcript.startswith("Hey, everybody.")
    assert len(keynote.nuggets) >= 8


def edit(data: Path, relative: str, old: str, new: str) -> Path:
    path = data / relative
    text = path.read_text()
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def read_error(data: Path) -> RecordError:
    with pytest.raises(RecordError) as caught:
        read_data_dir(data)
    return caught.value


def test_a_toml_syntax_error_names_file_and_line(data_copy: Path) -> None:
    path = edit(data_copy, DOCKER, "speakers =", "= oops\nspeakers =")
    error = read_error(data_copy)
    assert error.path == str(path)
    assert error.line == line_of(path, "= oops")
    assert f"{path}:{error.line}: not valid TOML" in str(error)


def test_a_wrong_type_names_the_line_and_field(data_copy: Path) -> None:
    path = edit(data_copy, DOCKER, 'speakers = ["Matthijs Brouns"]', 'speakers = "Matthijs"')
    error = read_error(data_copy)
    assert (error.path, error.field) == (str(path), "speakers")
    assert error.line == line_of(path, "speakers =")


def test_a_misspelt_key_is_refused(data_copy: Path) -> None:
    path = edit(data_copy, DOCKER, "summary =", "sumary =")
    error = read_error(data_copy)
    assert error.field == "sumary"
    assert error.line == line_of(path, "sumary =")
    assert "unknown key" in str(error)


def test_a_missing_field_is_named(data_copy: Path) -> None:
    path = data_copy / DOCKER
    path.write_text(
        path.read_text().replace('title = "How small can I get that Docker container?"\n', "")
    )
    error = read_error(data_copy)
    assert (error.path, error.field) == (str(path), "title")
    assert "missing" in str(error)


def test_a_bad_nugget_names_its_table_and_key(data_copy: Path) -> None:
    path = data_copy / DOCKER
    lines = path.read_text().splitlines()
    second_text = [n for n, line in enumerate(lines) if line.startswith("text =")][1]
    lines[second_text] = "text = 42"
    path.write_text("\n".join(lines) + "\n")
    error = read_error(data_copy)
    assert error.field == "nuggets[1].text"
    assert error.line == second_text + 1


def test_a_speakerless_talk_without_a_note_is_refused(data_copy: Path) -> None:
    path = data_copy / "tumocon-2023/data-management.toml"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("speaker_note")]
    path.write_text("\n".join(lines) + "\n")
    error = read_error(data_copy)
    assert error.field == "speaker_note"
    assert error.line == line_of(path, "speakers =")


def test_an_unknown_kind_is_refused_with_the_allowed_ones(data_copy: Path) -> None:
    path = edit(
        data_copy, "normconf-2022/an-ml-fairytale.toml", 'kind = "keynote"', 'kind = "keynot"'
    )
    error = read_error(data_copy)
    assert (error.field, error.line) == ("kind", line_of(path, "kind ="))
    assert "keynote" in error.message


def test_a_missing_transcript_file_is_named(data_copy: Path) -> None:
    (data_copy / "normconf-2022/an-ml-fairytale.transcript.txt").unlink()
    error = read_error(data_copy)
    assert error.field == "transcript"
    assert "an-ml-fairytale.transcript.txt" in error.message


def test_a_naive_datetime_is_refused(data_copy: Path) -> None:
    path = data_copy / DOCKER
    path.write_text(
        path.read_text().replace("summary =", "starts_at = 2022-12-15T16:00:00\nsummary =", 1)
    )
    error = read_error(data_copy)
    assert error.field == "starts_at" and "offset" in error.message


def test_a_vtt_transcript_beside_a_talk_gives_timed_cues(data_copy: Path) -> None:
    folder = data_copy / "normconf-2022"
    (folder / "talk.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nhello wheels\n\n"
        "00:01:05.000 --> 00:01:08.000\nalpine again\n"
    )
    edit(
        data_copy,
        DOCKER,
        "summary =",
        'transcript = "talk.vtt"\ntranscript_source = "test captions"\nsummary =',
    )
    docker = next(
        t
        for c in read_data_dir(data_copy)
        for t in c.talks
        if t.slug == "how-small-can-i-get-that-docker-container"
    )
    assert [cue.start_ms for cue in docker.cues] == [1000, 65000]
    assert docker.transcript and "alpine again" in docker.transcript


def test_fingerprint_changes_with_any_data_file(data_copy: Path) -> None:
    before = data_fingerprint(data_copy)
    assert data_fingerprint(data_copy) == before
    edit(data_copy, DOCKER, "Docker", "Docker ")
    assert data_fingerprint(data_copy) != before


def test_a_speaker_listed_twice_is_named_not_a_crash(data_copy: Path) -> None:
    path = edit(
        data_copy,
        DOCKER,
        'speakers = ["Matthijs Brouns"]',
        'speakers = ["Matthijs Brouns", "matthijs brouns"]',
    )
    error = read_error(data_copy)
    assert (error.path, error.field) == (str(path), "speakers")
    assert error.line == line_of(path, "speakers =")
