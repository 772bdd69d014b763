"""The schedule JSON importer against real pretalx and frab exports, and malformed input."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.records import Conference, RecordError, Talk
from bot.sources.detect import load_schedule
from bot.sources.schedule_json import parse_schedule_json
from bot.sources.schedule_text import clean_markup, parse_duration, talk_kind

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
PRETALX = SAMPLES / "pretalx-rc3.json"
FRAB = SAMPLES / "frab-camp2019.json"


def read_document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def events_of(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every event in file order."""
    for day in document["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            yield from events


def event_by_guid(document: dict[str, Any], guid: str) -> dict[str, Any]:
    return next(event for event in events_of(document) if event["guid"] == guid)


def talk_by_guid(conference: Conference, guid: str) -> Talk:
    return next(talk for talk in conference.talks if talk.guid == guid)


def write_json(tmp_path: Path, document: dict[str, Any], name: str = "schedule.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first occurrence of `needle` in the file."""
    text = path.read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle)) + 1


@pytest.fixture(scope="module")
def pretalx() -> Conference:
    return load_schedule(PRETALX)


@pytest.fixture(scope="module")
def frab() -> Conference:
    return load_schedule(FRAB)


# -- the real samples ----------------------------------------------------------------------


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_pretalx_conference(pretalx: Conference) -> None:
    assert pretalx.slug == "rc3-channels-2020"
    assert pretalx.name == "rC3 Channels"
    assert pretalx.year == 2020
    assert pretalx.timezone is None  # the export names no zone; times keep their offsets
    assert pretalx.origin == "import"
    assert len(pretalx.talks) == 48


@pytest.mark.samples("samples/frab-camp2019.json")
def test_frab_conference(frab: Conference) -> None:
    assert frab.slug == "camp2019"
    assert frab.name == "Chaos Communication Camp 2019"
    assert frab.year == 2019
    assert frab.timezone == "Europe/Berlin"
    assert len(frab.talks) == 79


@pytest.mark.parametrize("path", [PRETALX, FRAB], ids=["pretalx", "frab"])
@pytest.mark.samples("samples/pretalx-rc3.json", "samples/frab-camp2019.json")
def test_every_event_becomes_a_matching_talk(path: Path) -> None:
    document = read_document(path)
    conference = load_schedule(path)
    events = list(events_of(document))
    assert len(conference.talks) == len(events)
    assert len({talk.slug for talk in conference.talks}) == len(events)
    for event, talk in zip(events, conference.talks, strict=True):
        hours, minutes = event["duration"].split(":")
        assert talk.guid == event["guid"]
        assert talk.title == event["title"].strip()
        assert talk.starts_at == datetime.fromisoformat(event["date"])
        assert talk.ends_at is not None and talk.starts_at is not None
        assert talk.ends_at - talk.starts_at == timedelta(hours=int(hours), minutes=int(minutes))
        assert talk.room == event["room"]
        names = tuple(" ".join(person["public_name"].split()) for person in event["persons"])
        assert talk.speaker_names == names
        assert talk.links == tuple(link["url"] for link in event["links"])
        assert talk.url == event["url"]
        assert talk.origin_file == str(path)
        assert "\r" not in talk.summary


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_pretalx_talk_hand_checked(pretalx: Conference) -> None:
    talk = talk_by_guid(pretalx, "c3642671-4c1f-5109-81ba-0535c1cc8428")
    assert talk.title == "Der faule Admin automatisiert: Gluon auf echter Hardware testen"
    assert talk.slug == "mja8qy"
    assert talk.speaker_names == ("Chris Fiege", "Kasa")
    assert talk.starts_at == datetime(2020, 12, 27, 10, 30, tzinfo=UTC)
    assert talk.ends_at == datetime(2020, 12, 27, 11, 10, tzinfo=UTC)
    assert talk.room == "r3s - Monheim/Rhein"
    assert talk.track == "MON r3s Rhein VHS"
    assert talk.language == "de"
    assert talk.kind == "talk"
    assert talk.url == "https://pretalx.rc3.studio/rc3-channels-2020/talk/MJA8QY/"
    assert talk.source == "pretalx-rc3.json (pretalx schedule export)"
    # \r\n became \n, and the Markdown link became "text (url)".
    assert "Communities auf Gluon (https://gluon.readthedocs.io/).\nEin wichtiger Schritt" in (
        talk.summary
    )


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_pretalx_biography_and_talk_without_speakers(pretalx: Conference) -> None:
    talk = talk_by_guid(pretalx, "d5691650-57d7-5787-aadc-ea515b2276da")
    maurizi = talk.speakers[0]
    assert maurizi.name == "Stefania Maurizi"
    assert maurizi.biography is not None
    assert maurizi.biography.startswith("Stefania Maurizi  is an Italian investigative journalist")
    assert talk_by_guid(pretalx, "f3099af2-26e2-54b0-aa5d-52d89d309ca1").speakers == ()


@pytest.mark.parametrize(
    ("guid", "kind"),
    [
        ("7a3b00ff-104a-52c4-ae4a-87eed5bd74a5", "lightning"),  # LightningTalk 15min 10min Q&A
        ("2e5c6407-1a29-5a9b-9912-9c87c7eac595", "workshop"),  # Workshop 60 Min
        ("1cd19e87-f488-5e5f-b782-4984dfff7859", "other"),  # Other
    ],
)
@pytest.mark.samples("samples/pretalx-rc3.json")
def test_pretalx_kinds(pretalx: Conference, guid: str, kind: str) -> None:
    assert talk_by_guid(pretalx, guid).kind == kind


@pytest.mark.samples("samples/frab-camp2019.json")
def test_frab_talk_hand_checked(frab: Conference) -> None:
    talk = talk_by_guid(frab, "a0a0fcfe-b7fb-46e3-84b6-97a5406016b4")
    assert talk.title == "Opening Ceremony"
    assert talk.slug == "camp2019-10386-opening-ceremony"
    assert talk.speaker_names == ("jinxx", "smtw")
    assert talk.speakers[0].biography is None
    assert talk.starts_at == datetime(2019, 8, 21, 9, 0, tzinfo=UTC)
    assert talk.room == "Curie"
    assert talk.kind == "talk"  # frab's "lecture"
    assert talk.source == "frab-camp2019.json (frab schedule export)"


@pytest.mark.samples("samples/frab-camp2019.json")
def test_frab_links_and_empty_summary(frab: Conference) -> None:
    fomu = talk_by_guid(frab, "afbc3b87-4156-470d-9385-c18e7b29f97b")
    assert fomu.links == ("https://fomu.im", "https://github.com/im-tomu", "https://tomu.im")
    assert fomu.summary == ""  # both abstract and description are empty in the export


@pytest.mark.samples("samples/frab-camp2019.json")
def test_frab_talk_running_past_midnight(frab: Conference) -> None:
    talk = talk_by_guid(frab, "ed4b6c75-14f4-49fe-a11e-3762bd6b54e3")
    assert talk.title == "Achtung, Datenpannen!"
    assert talk.starts_at == datetime(2019, 8, 22, 21, 0, tzinfo=UTC)
    assert talk.ends_at == datetime(2019, 8, 22, 22, 30, tzinfo=UTC)  # 00:30 local, next day


# -- variations on the samples -------------------------------------------------------------


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_talk_after_midnight_uses_the_date_offset(tmp_path: Path) -> None:
    document = read_document(PRETALX)
    event = document["schedule"]["conference"]["days"][0]["rooms"]["r3s - Monheim/Rhein"][0]
    event["date"] = "2020-12-28T01:30:00+01:00"  # day 1 runs 2020-12-27 04:00 to 03:59
    event["start"] = "01:30"
    conference = load_schedule(write_json(tmp_path, document))
    talk = talk_by_guid(conference, event["guid"])
    assert talk.starts_at == datetime(2020, 12, 28, 0, 30, tzinfo=UTC)
    assert talk.ends_at == datetime(2020, 12, 28, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("path", [PRETALX, FRAB], ids=["offset-of-day", "time_zone_name"])
@pytest.mark.samples("samples/pretalx-rc3.json", "samples/frab-camp2019.json")
def test_talk_after_midnight_without_date_rolls_over_to_next_day(
    tmp_path: Path, path: Path
) -> None:
    document = read_document(path)
    day = document["schedule"]["conference"]["days"][0]
    event = next(iter(day["rooms"].values()))[0]
    del event["date"]
    event["start"] = "01:30"  # before day_start, so the morning after the day's date
    conference = load_schedule(write_json(tmp_path, document))
    talk = talk_by_guid(conference, event["guid"])
    expected_utc = {PRETALX: datetime(2020, 12, 28, 0, 30), FRAB: datetime(2019, 8, 21, 23, 30)}
    assert talk.starts_at == expected_utc[path].replace(tzinfo=UTC)


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_newer_and_plain_person_shapes(tmp_path: Path) -> None:
    document = read_document(PRETALX)
    event = next(events_of(document))
    event["persons"] = [
        {"code": "ABC123", "name": "Ada Lovelace", "biography": "Wrote **the** first\r\nprogram."},
        {"name": "Grace Hopper", "biography": None},
        "Alan Turing",
        {"id": 7, "public_name": "Old Shape"},
        {"code": "DUP001", "name": "ada lovelace"},
    ]
    talk = talk_by_guid(load_schedule(write_json(tmp_path, document)), event["guid"])
    assert talk.speaker_names == ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Old Shape")
    assert talk.speakers[0].biography == "Wrote the first\nprogram."
    assert talk.speakers[1].biography is None


@pytest.mark.samples("samples/frab-camp2019.json")
def test_description_stands_in_for_an_empty_abstract(tmp_path: Path) -> None:
    document = read_document(FRAB)
    event = next(events_of(document))
    event["abstract"] = ""
    event["description"] = "<p>First &amp; <b>bold</b></p>\r\n\r\n\r\n## Agenda\r\n**Second**"
    talk = talk_by_guid(load_schedule(write_json(tmp_path, document)), event["guid"])
    assert talk.summary == "First & bold\n\nAgenda\nSecond"


@pytest.mark.samples("samples/frab-camp2019.json")
def test_duplicate_slugs_are_numbered_in_file_order(tmp_path: Path) -> None:
    document = read_document(FRAB)
    room = document["schedule"]["conference"]["days"][0]["rooms"]["Curie"]
    first = room[0]
    copies = [copy.deepcopy(first) for _ in range(2)]
    for number, duplicate in enumerate(copies):
        duplicate["guid"] = f"00000000-0000-4000-8000-00000000000{number}"
    room.extend(copies)
    untitled = copy.deepcopy(first)
    untitled["guid"] = "00000000-0000-4000-8000-0000000000ff"
    untitled["slug"] = ""
    untitled["title"] = "Ünïcode Title!"
    room.append(untitled)
    path = write_json(tmp_path, document)
    slugs = [talk.slug for talk in load_schedule(path).talks if talk.title == first["title"]]
    assert slugs == [
        "camp2019-10386-opening-ceremony",
        "camp2019-10386-opening-ceremony-2",
        "camp2019-10386-opening-ceremony-3",
    ]
    reloaded = load_schedule(path).talks
    assert [talk.slug for talk in reloaded if talk.title == first["title"]] == slugs
    assert talk_by_guid(load_schedule(path), untitled["guid"]).slug == "unicode-title"


@pytest.mark.samples("samples/pretalx-rc3.json", "samples/frab-camp2019.json")
def test_generator_name_from_the_document(tmp_path: Path) -> None:
    document = read_document(FRAB)
    document["generator"] = {"name": "pretalx", "version": "2024.1.0"}
    conference = load_schedule(write_json(tmp_path, document, "export.json"))
    assert conference.talks[0].source == "export.json (pretalx schedule export)"


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_parse_schedule_json_from_text() -> None:
    text = PRETALX.read_text(encoding="utf-8")
    conference = parse_schedule_json(text, origin_file="rc3.json")
    assert len(conference.talks) == 48
    assert conference.talks[0].origin_file == "rc3.json"


# -- malformed input -----------------------------------------------------------------------


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_truncated_json_is_an_error_not_a_partial_result(tmp_path: Path) -> None:
    text = PRETALX.read_text(encoding="utf-8")
    path = tmp_path / "half.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    error = caught.value
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as expected:
        assert error.line == expected.lineno
    assert str(error).startswith(f"{path}:{error.line}:")
    assert "truncated" in str(error)


@pytest.mark.samples("samples/frab-camp2019.json")
def test_missing_required_field_names_file_line_and_field(tmp_path: Path) -> None:
    document = read_document(FRAB)
    event = event_by_guid(document, "c9edea6f-1da1-4772-a0a9-6dd4e33f11bb")
    del event["title"]
    path = write_json(tmp_path, document)
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    error = caught.value
    assert error.field == "title"
    assert error.line == line_of(path, event["guid"])
    assert str(error).startswith(f"{path}:{error.line}: field 'title':")


@pytest.mark.samples("samples/pretalx-rc3.json")
def test_bad_duration_points_at_its_line(tmp_path: Path) -> None:
    document = read_document(PRETALX)
    event = event_by_guid(document, "d5691650-57d7-5787-aadc-ea515b2276da")
    event["duration"] = "1:7x"
    path = write_json(tmp_path, document)
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    error = caught.value
    assert error.field == "duration"
    assert error.line == line_of(path, '"duration": "1:7x"')
    assert "1:7x" in str(error)
    assert str(error).startswith(f"{path}:{error.line}: field 'duration':")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda document: document["schedule"]["conference"].pop("acronym"), "conference.acronym"),
        (lambda document: document["schedule"]["conference"].pop("days"), "conference.days"),
        (
            lambda document: document["schedule"]["conference"].update(time_zone_name="Mars/Base"),
            "conference.time_zone_name",
        ),
        (lambda document: next(events_of(document)).pop("guid"), "guid"),
        (lambda document: next(events_of(document)).pop("duration"), "duration"),
        (lambda document: next(events_of(document)).update(date="2019-08-21T11:00:00"), "date"),
        (lambda document: next(events_of(document)).update(title=42), "title"),
        (lambda document: next(events_of(document)).update(persons=[{"id": 1}]), "persons"),
        (lambda document: document.pop("schedule"), "schedule"),
    ],
    ids=[
        "no-acronym",
        "no-days",
        "unknown-zone",
        "no-guid",
        "no-duration",
        "date-without-offset",
        "title-not-text",
        "nameless-person",
        "no-schedule",
    ],
)
@pytest.mark.samples("samples/frab-camp2019.json")
def test_field_errors(tmp_path: Path, change: Any, field: str) -> None:
    document = read_document(FRAB)
    change(document)
    path = write_json(tmp_path, document)
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    assert caught.value.field == field
    assert caught.value.line is not None
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: field '{field}':")


@pytest.mark.parametrize("content", ["", "   \n", "schedule: yes\n", "[1, 2]"])
def test_not_a_schedule(tmp_path: Path, content: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecordError, match="not a schedule export") as caught:
        load_schedule(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file_is_a_record_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="cannot read"):
        load_schedule(tmp_path / "nowhere.json")


# -- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:30", timedelta(minutes=30)),
        ("0:45", timedelta(minutes=45)),
        ("01:30", timedelta(hours=1, minutes=30)),
        ("26:00", timedelta(hours=26)),
        ("1:02:30", timedelta(days=1, hours=2, minutes=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "1:7x", "1:60", "1:24:00", "-0:30", "1h30"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("lecture", "talk"),
        ("Talk", "talk"),
        ("Talk 30 min + 10min Q&A", "talk"),
        ("workshop", "workshop"),
        ("Hands-On", "workshop"),
        ("LightningTalk 15min 10min Q&A", "lightning"),
        ("Keynote", "keynote"),
        ("performance", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_talk_kind(event_type: str | None, kind: str) -> None:
    assert talk_kind(event_type) == kind


def test_clean_markup_leaves_plain_text_alone() -> None:
    text = "snake_case and 2 * 3 < 7, see [1].\nNext line"
    assert clean_markup(text) == text
    assert clean_markup(None) == ""
    # A link keeps its target (tests/sources/test_markup.py has the rest).
    assert clean_markup("[docs](https://example.org/a_b) &lt;3\r\n") == (
        "docs (https://example.org/a_b) <3"
    )
