"""Hostile schedule exports: each is refused by file, line and field (never a traceback, never
a silent half-import), and a refused import leaves the database byte-identical."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.records import RecordError
from bot.sources.detect import load_schedule, parse_schedule
from bot.sources.files import ImportLimits
from bot.store.content import load_data_dir
from bot.store.db import Database
from bot.store.imports import import_conference
from tests.conftest import BUNDLED_DATA
from tests.sources.test_schedule_json import events_of, read_document
from tests.sources.test_schedule_xml import schedule_xml_from_json
from tests.store.test_content import dump

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
FRAB = SAMPLES / "frab-camp2019.json"


@pytest.fixture(scope="module")
def frab_document() -> dict[str, Any]:
    return read_document(FRAB)


def write(tmp_path: Path, document: dict[str, Any], name: str = "schedule.json") -> Path:
    """The document as JSON, non-ASCII escaped (so a lone surrogate survives as \\udXXX)."""
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def refusal(path: Path, limits: ImportLimits | None = None) -> RecordError:
    with pytest.raises(RecordError) as caught:
        load_schedule(path, limits) if limits else load_schedule(path)
    assert caught.value.path == str(path)
    return caught.value


def line_of(path: Path, needle: str, occurrence: int = 0) -> int:
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return lines[occurrence]


@pytest.mark.samples("samples/frab-camp2019.json")
def test_two_events_with_one_guid_are_refused_naming_both(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(frab_document)
    events = list(events_of(document))
    guid = events[1]["guid"]
    events[5]["guid"] = guid
    path = write(tmp_path, document)
    error = refusal(path)
    first, second = line_of(path, guid), line_of(path, guid, 1)
    assert (error.field, error.line) == ("guid", second)
    assert f"line {first}" in error.message and f"line {second}" in error.message
    assert events[1]["title"] in error.message and events[5]["title"] in error.message


@pytest.mark.samples("samples/frab-camp2019.json")
def test_two_events_with_one_guid_are_refused_in_xml_too(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(frab_document)
    events = list(events_of(document))
    events[7]["guid"] = events[2]["guid"]
    path = tmp_path / "schedule.xml"
    path.write_text(schedule_xml_from_json(document), encoding="utf-8")
    error = refusal(path)
    assert error.field == "guid"
    assert error.line == line_of(path, events[2]["guid"], 1)


@pytest.mark.samples("samples/frab-camp2019.json")
@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("date", "0001-01-01T00:30:00+01:00", "outside the years"),
        ("date", "9999-12-31T23:30:00-01:00", "outside the years"),
        ("duration", "100000000:00", "longer than 31 days"),
        ("duration", "9" * 5000 + ":00", "bad duration"),
    ],
)
def test_times_at_the_edge_of_the_calendar_are_refused_at_their_line(
    tmp_path: Path, frab_document: dict[str, Any], key: str, value: str, reason: str
) -> None:
    document = copy.deepcopy(frab_document)
    list(events_of(document))[3][key] = value
    path = write(tmp_path, document)
    error = refusal(path)
    assert error.field == key and reason in error.message
    assert error.line == line_of(path, value[:40])


@pytest.mark.samples("samples/frab-camp2019.json")
def test_a_day_in_year_9999_is_refused_not_an_overflow(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(frab_document)
    day = document["schedule"]["conference"]["days"][0]
    day["date"] = "9999-12-31"
    for event in (event for events in day["rooms"].values() for event in events):
        del event["date"]
        event["start"] = "01:00"  # after midnight: the next calendar day, year 10000
    path = write(tmp_path, document)
    error = refusal(path)
    assert error.field == "day.date" and "outside the years" in error.message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"schedule": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"schedule": {"version": ' + "7" * 5000 + "}}", "not valid JSON"),
    ],
)
def test_json_no_parser_can_take_is_refused(text: str, reason: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_schedule(text, origin_file="hostile.json")
    assert caught.value.path == "hostile.json" and reason in caught.value.message


@pytest.mark.samples("samples/frab-camp2019.json")
def test_a_lone_surrogate_is_refused_before_it_reaches_sqlite(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(frab_document)
    event = list(events_of(document))[4]
    event["title"] = "half \ud83d of an emoji"
    path = write(tmp_path, document)  # json.dumps writes it as the escape \ud83d
    error = refusal(path)
    assert error.field == "title" and "\\ud83d" in error.message
    assert error.line == line_of(path, "\\ud83d")


def test_deeply_nested_xml_is_read_without_a_crash(tmp_path: Path) -> None:
    depth = 100_000
    text = (
        "<schedule><conference><acronym>deep</acronym><title>"
        + "<b>" * depth
        + "x"
        + "</b>" * depth
        + "</title></conference></schedule>"
    )
    conference = parse_schedule(text, origin_file="deep.xml")
    assert conference.name == "x" and conference.talks == ()


def test_an_entity_declaration_is_refused(tmp_path: Path) -> None:
    laughs = '<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n<schedule/>'
    with pytest.raises(RecordError) as caught:
        parse_schedule(laughs, origin_file="bomb.xml")
    assert (caught.value.path, caught.value.line) == ("bomb.xml", 1)


@pytest.mark.samples("samples/frab-camp2019.json")
def test_more_events_than_the_limit_are_refused_naming_the_setting(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    path = write(tmp_path, frab_document)
    error = refusal(path, ImportLimits(max_events=50))
    assert error.field == "conference.days"
    assert "79 events" in error.message and "CONFBOT_IMPORT_MAX_EVENTS" in error.message
    assert len(load_schedule(path, ImportLimits(max_events=79)).talks) == 79


@pytest.mark.samples("samples/frab-camp2019.json")
def test_a_file_over_the_size_limit_is_refused_naming_the_setting(
    tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    path = write(tmp_path, frab_document)
    error = refusal(path, ImportLimits(max_bytes=100_000))
    assert "larger than 0.1 MB" in error.message and "CONFBOT_IMPORT_MAX_MB" in error.message


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_an_import_cannot_replace_a_data_folder_conference(
    db: Database, tmp_path: Path, frab_document: dict[str, Any]
) -> None:
    await load_data_dir(db, BUNDLED_DATA)
    before = dump(tmp_path / "confbot.sqlite3")
    document = copy.deepcopy(frab_document)
    document["schedule"]["conference"]["acronym"] = "normconf-2022"
    path = write(tmp_path, document)
    with pytest.raises(RecordError) as caught:
        await import_conference(db, load_schedule(path), origin="import:schedule.json")
    error = caught.value
    assert (error.path, error.field) == (str(path), "conference.acronym")
    assert error.line == line_of(path, '"acronym"')
    assert "data folder" in error.message
    assert dump(tmp_path / "confbot.sqlite3") == before


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_data_folder_cannot_replace_an_imported_conference(
    db: Database, tmp_path: Path, data_copy: Path
) -> None:
    await load_data_dir(db, data_copy)
    await import_conference(db, load_schedule(FRAB), origin="import:frab-camp2019.json")
    before = dump(tmp_path / "confbot.sqlite3")
    (data_copy / "normconf-2022").rename(data_copy / "camp2019")
    with pytest.raises(RecordError) as caught:
        await load_data_dir(db, data_copy)
    error = caught.value
    assert (error.path, error.field) == (str(data_copy / "camp2019" / "conference.toml"), "slug")
    assert "frab-camp2019.json" in error.message
    assert dump(tmp_path / "confbot.sqlite3") == before


@pytest.mark.samples("samples/frab-camp2019.json")
def test_confbot_import_exits_1_with_one_line_and_keeps_the_database(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    frab_document: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFBOT_DB", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("CONFBOT_IMPORT_MAX_EVENTS", "60")
    assert main(["load"]) == 0
    before = dump(tmp_path / "cli.sqlite3")
    capsys.readouterr()
    path = write(tmp_path, frab_document)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0].startswith(f"confbot: {path}:")
    assert "CONFBOT_IMPORT_MAX_EVENTS" in err.splitlines()[0]
    assert "Traceback" not in err
    assert dump(tmp_path / "cli.sqlite3") == before
