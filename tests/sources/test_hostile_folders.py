"""Hostile data folders: every bad entry is refused by file, line and field, never a traceback,
never skipped, and a refused load leaves the database byte-identical."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.records import RecordError
from bot.sources.bundled import data_fingerprint, read_data_dir
from bot.store.content import load_data_dir
from bot.store.db import Database
from tests.store.test_content import dump

NORMCONF = "normconf-2022"
DOCKER = f"{NORMCONF}/how-small-can-i-get-that-docker-container.toml"
KEYNOTE_TRANSCRIPT = f"{NORMCONF}/an-ml-fairytale.transcript.txt"


def read_error(data: Path) -> RecordError:
    with pytest.raises(RecordError) as caught:
        read_data_dir(data)
    return caught.value


def symlink_to_itself(data: Path) -> Path:
    path = data / NORMCONF / "loop.toml"
    path.symlink_to(path.name)
    return path


def dangling_symlink(data: Path) -> Path:
    path = data / NORMCONF / "gone.toml"
    path.symlink_to("no-such-file.toml")
    return path


def folder_named_like_a_talk(data: Path) -> Path:
    path = data / NORMCONF / "x.toml"
    path.mkdir()
    return path


BAD_ENTRIES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a symlink to itself": (symlink_to_itself, "symlink loop"),
    "a dangling symlink": (dangling_symlink, "does not exist"),
    "a folder named x.toml": (folder_named_like_a_talk, "is a folder"),
}


@pytest.mark.parametrize("kind", BAD_ENTRIES)
def test_a_talk_entry_that_is_not_a_readable_file_is_named(data_copy: Path, kind: str) -> None:
    make, reason = BAD_ENTRIES[kind]
    path = make(data_copy)
    error = read_error(data_copy)
    assert error.path == str(path)
    assert reason in error.message


@pytest.mark.parametrize("kind", BAD_ENTRIES)
async def test_a_bad_entry_added_after_a_good_load_is_noticed_and_changes_nothing(
    db: Database, tmp_path: Path, data_copy: Path, kind: str
) -> None:
    await load_data_dir(db, data_copy)
    before = dump(tmp_path / "confbot.sqlite3")
    fingerprint = data_fingerprint(data_copy)
    make, _ = BAD_ENTRIES[kind]
    path = make(data_copy)
    assert data_fingerprint(data_copy) != fingerprint
    with pytest.raises(RecordError) as caught:
        await load_data_dir(db, data_copy)
    assert caught.value.path == str(path)
    assert dump(tmp_path / "confbot.sqlite3") == before


def test_a_binary_transcript_names_the_line_of_the_first_bad_byte(data_copy: Path) -> None:
    path = data_copy / KEYNOTE_TRANSCRIPT
    path.write_bytes(b"first line\nsecond line\n\xff\xfe\x00binary")
    error = read_error(data_copy)
    assert (error.path, error.line) == (str(path), 3)
    assert "not UTF-8" in error.message


def test_a_missing_conference_toml_is_an_error_not_a_dropped_conference(
    data_copy: Path,
) -> None:
    (data_copy / NORMCONF / "conference.toml").unlink()
    error = read_error(data_copy)
    assert error.path == str(data_copy / NORMCONF / "conference.toml")
    assert "no conference.toml" in error.message


def test_an_unreadable_conference_toml_is_an_error_not_a_dropped_conference(
    data_copy: Path,
) -> None:
    conference = data_copy / NORMCONF / "conference.toml"
    conference.unlink()
    conference.symlink_to("elsewhere.toml")
    error = read_error(data_copy)
    assert error.path == str(conference)
    assert "cannot read" in error.message


def test_hidden_entries_such_as_editor_lock_files_are_ignored(data_copy: Path) -> None:
    before = data_fingerprint(data_copy)
    (data_copy / NORMCONF / ".#an-ml-fairytale.toml").symlink_to("someone@host.1234")
    (data_copy / ".git").mkdir()
    assert len(read_data_dir(data_copy)) == 2
    assert data_fingerprint(data_copy) == before


def test_a_file_cut_inside_a_string_names_the_last_line(data_copy: Path) -> None:
    path = data_copy / DOCKER
    text = path.read_text()
    cut = text[: text.index("summary =") + len('summary = """Some')]
    path.write_text(cut)
    error = read_error(data_copy)
    assert error.line == len(cut.splitlines())
    assert "end of the file" in error.message


def test_nuggets_that_are_not_tables_name_the_line_and_field(data_copy: Path) -> None:
    path = data_copy / DOCKER
    text = path.read_text()
    path.write_text(text[: text.index("[[nuggets]]")] + "nuggets = [1, 2]\n")
    error = read_error(data_copy)
    assert error.field == "nuggets[0]"
    assert error.line == len(path.read_text().splitlines())
    assert "[[nuggets]]" in error.message


def test_deeply_nested_values_are_refused_not_a_recursion_error(data_copy: Path) -> None:
    path = data_copy / NORMCONF / "deep.toml"
    path.write_text("title = " + "[" * 5000 + "]" * 5000 + "\n")
    error = read_error(data_copy)
    assert error.path == str(path)
    assert "nested too deeply" in error.message


def test_a_transcript_name_must_stay_beside_the_talk(data_copy: Path) -> None:
    path = data_copy / DOCKER
    text = path.read_text()
    path.write_text(
        text.replace(
            "summary =",
            'transcript = "../tumocon-2023/x.txt"\ntranscript_source = "t"\nsummary =',
            1,
        )
    )
    error = read_error(data_copy)
    assert error.field == "transcript" and "beside the talk" in error.message


def test_a_year_outside_the_calendar_is_refused_with_its_line(data_copy: Path) -> None:
    path = data_copy / NORMCONF / "conference.toml"
    path.write_text(path.read_text().replace("year = 2022", "year = 99999999999999999999"))
    error = read_error(data_copy)
    assert (error.path, error.field, error.line) == (str(path), "year", 2)


def test_a_talk_in_year_one_is_refused_with_its_line(data_copy: Path) -> None:
    path = data_copy / DOCKER
    path.write_text(
        path.read_text().replace("summary =", "starts_at = 0001-01-01T00:00:00+01:00\nsummary =")
    )
    error = read_error(data_copy)
    assert error.field == "starts_at" and "1900" in error.message
    assert error.line is not None and path.read_text().splitlines()[error.line - 1].startswith(
        "starts_at"
    )


def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str, data: Path) -> int:
    """`confbot ARGS` in this process, on tmp_path/cli.sqlite3 and the given data folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFBOT_DB", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("CONFBOT_DATA", str(data))
    return main(list(args))


def test_confbot_load_exits_1_with_one_line_and_keeps_the_database(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    data_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(monkeypatch, tmp_path, "load", data=data_copy) == 0
    before = dump(tmp_path / "cli.sqlite3")
    capsys.readouterr()
    path = symlink_to_itself(data_copy)
    code = run_cli(monkeypatch, tmp_path, "load", data=data_copy)
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[0] == f"confbot: {path}: cannot read the file: it is a symlink loop"
    assert "Traceback" not in err
    assert dump(tmp_path / "cli.sqlite3") == before
