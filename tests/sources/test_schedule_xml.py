"""The schedule.xml importer: a schedule.xml built from the real frab JSON sample (no real XML
sample is available), a small hand-written pretalx-style file, and malformed input."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.records import Conference, RecordError, Talk
from bot.sources.detect import load_schedule
from bot.sources.schedule_xml import load_schedule_xml, parse_schedule_xml

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
FRAB = SAMPLES / "frab-camp2019.json"

EVENT_TEXT_FIELDS = (
    "date",
    "start",
    "duration",
    "room",
    "slug",
    "url",
    "title",
    "subtitle",
    "track",
    "type",
    "language",
    "abstract",
    "description",
)

HAND_WRITTEN = """\
<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <generator name="pretalx" version="2024.1.0"/>
  <version>0.7</version>
  <conference>
    <acronym>pycon-de-2024</acronym>
    <title>PyCon DE &amp; PyData 2024</title>
    <start>2024-04-22</start>
    <end>2024-04-24</end>
    <days>3</days>
    <timeslot_duration>00:05</timeslot_duration>
    <time_zone_name>Europe/Berlin</time_zone_name>
    <url>https://2024.pycon.de/</url>
  </conference>
  <day index="1" date="2024-04-22" start="2024-04-22T04:00:00+02:00"
       end="2024-04-23T03:59:00+02:00">
    <room name="Titanium" guid="6a2f1c0e-4a5b-5c6d-8e7f-000000000001">
      <event guid="9b1e7a52-0c8e-5f43-9d36-3d1b2f0a0001" id="101" code="ABC123">
        <room>Titanium</room>
        <title>Opening Keynote: Python at 33</title>
        <subtitle/>
        <type>Keynote</type>
        <date>2024-04-22T09:30:00+02:00</date>
        <start>09:30</start>
        <duration>00:45</duration>
        <abstract>Where **Python** goes next.&#13;
Second line.</abstract>
        <slug>pycon-de-2024-101-opening-keynote-python-at-33</slug>
        <track>Keynotes</track>
        <persons>
          <person id="7">Ada Example</person>
          <person guid="2c6f1d9e-3b7a-5e8f-9c0d-000000000007">Bea Beispiel</person>
        </persons>
        <language>en</language>
        <description/>
        <links>
          <link href="https://example.org/slides.pdf">Slides</link>
        </links>
        <url>https://pretalx.example.org/pycon-de-2024/talk/ABC123/</url>
      </event>
      <event guid="9b1e7a52-0c8e-5f43-9d36-3d1b2f0a0002" id="102" code="DEF456">
        <room>Titanium</room>
        <title>Late Night Lightning Talks</title>
        <type>Lightning Talks</type>
        <date>2024-04-23T01:30:00+02:00</date>
        <start>01:30</start>
        <duration>0:30</duration>
        <abstract></abstract>
        <track></track>
        <description>&lt;p&gt;Five minutes each.&lt;/p&gt;</description>
      </event>
      <event guid="9b1e7a52-0c8e-5f43-9d36-3d1b2f0a0003" id="103">
        <room>Titanium</room>
        <title>Sprint</title>
        <type>Workshop</type>
        <date>2024-04-22T10:00:00+02:00</date>
        <start>10:00</start>
        <duration>1:02:00</duration>
        <abstract>All day and then some.</abstract>
        <track>Sprints</track>
      </event>
    </room>
  </day>
</schedule>
"""


def sub(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = str(text)
    return element


def schedule_xml_from_json(document: dict[str, Any]) -> str:
    """A frab-style schedule.xml (element order as in the XSD) holding the JSON's data."""
    schedule = document["schedule"]
    conference_data = schedule["conference"]
    root = ET.Element("schedule")
    sub(root, "generator", name="frab", version="0.7")
    sub(root, "version", schedule["version"])
    conference = sub(root, "conference")
    sub(conference, "acronym", conference_data["acronym"])
    sub(conference, "title", conference_data["title"])
    sub(conference, "start", conference_data["start"])
    sub(conference, "end", conference_data["end"])
    sub(conference, "days", conference_data["daysCount"])
    sub(conference, "timeslot_duration", conference_data["timeslot_duration"])
    sub(conference, "base_url", schedule["base_url"])
    sub(conference, "time_zone_name", conference_data["time_zone_name"])
    for day_data in conference_data["days"]:
        day = sub(
            root,
            "day",
            index=str(day_data["index"]),
            date=day_data["date"],
            start=day_data["day_start"],
            end=day_data["day_end"],
        )
        for room_name, events in day_data["rooms"].items():
            room = sub(day, "room", name=room_name)
            for event_data in events:
                event = sub(room, "event", guid=event_data["guid"], id=str(event_data["id"]))
                for field in EVENT_TEXT_FIELDS:
                    sub(event, field, event_data[field] or "")
                persons = sub(event, "persons")
                for person in event_data["persons"]:
                    sub(persons, "person", person["public_name"], id=str(person["id"]))
                links = sub(event, "links")
                for link in event_data["links"]:
                    sub(links, "link", link["title"], href=link["url"])
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


@pytest.fixture(scope="module")
def frab_xml_text() -> str:
    return schedule_xml_from_json(json.loads(FRAB.read_text(encoding="utf-8")))


@pytest.fixture
def frab_xml(tmp_path: Path, frab_xml_text: str) -> Path:
    path = tmp_path / "schedule.xml"
    path.write_text(frab_xml_text, encoding="utf-8")
    return path


@pytest.fixture
def hand_written(tmp_path: Path) -> Conference:
    path = tmp_path / "pycon.xml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return load_schedule(path)


def talk_by_guid(conference: Conference, guid: str) -> Talk:
    return next(talk for talk in conference.talks if talk.guid == guid)


def without_origin(talk: Talk) -> Talk:
    return dataclasses.replace(talk, source=None, origin_file=None)


@pytest.mark.samples("samples/frab-camp2019.json")
def test_xml_gives_the_same_talks_as_the_json(frab_xml: Path) -> None:
    from_json = load_schedule(FRAB)
    from_xml = load_schedule(frab_xml)
    assert len(from_xml.talks) == 79
    assert (from_xml.slug, from_xml.name, from_xml.year, from_xml.timezone) == (
        "camp2019",
        "Chaos Communication Camp 2019",
        2019,
        "Europe/Berlin",
    )
    assert [without_origin(talk) for talk in from_xml.talks] == [
        without_origin(talk) for talk in from_json.talks
    ]
    assert from_xml.talks[0].source == "schedule.xml (frab schedule export)"
    assert from_xml.talks[0].origin_file == str(frab_xml)


@pytest.mark.samples("samples/frab-camp2019.json")
def test_xml_talk_hand_checked(frab_xml: Path) -> None:
    talk = talk_by_guid(load_schedule_xml(frab_xml), "ed4b6c75-14f4-49fe-a11e-3762bd6b54e3")
    assert talk.title == "Achtung, Datenpannen!"
    assert talk.speaker_names == ("Alvar C.H. Freude", "Stefan Brink")
    assert talk.starts_at == datetime(2019, 8, 22, 21, 0, tzinfo=UTC)
    assert talk.ends_at == datetime(2019, 8, 22, 22, 30, tzinfo=UTC)
    assert talk.room == "Meitner"
    assert talk.links[0] == "https://www.baden-wuerttemberg.datenschutz.de"


def test_hand_written_pretalx_xml(hand_written: Conference) -> None:
    assert hand_written.slug == "pycon-de-2024"
    assert hand_written.name == "PyCon DE & PyData 2024"
    assert hand_written.year == 2024
    assert hand_written.url == "https://2024.pycon.de/"
    keynote, lightning, sprint = hand_written.talks
    assert keynote.kind == "keynote"
    assert keynote.slug == "pycon-de-2024-101-opening-keynote-python-at-33"
    assert keynote.speaker_names == ("Ada Example", "Bea Beispiel")
    assert keynote.summary == "Where Python goes next.\nSecond line."
    assert keynote.links == ("https://example.org/slides.pdf",)
    assert keynote.source == "pycon.xml (pretalx schedule export)"
    assert keynote.starts_at == datetime(2024, 4, 22, 7, 30, tzinfo=UTC)
    # After midnight, but still day 1 of the schedule: the date's offset decides the instant.
    assert lightning.starts_at == datetime(2024, 4, 22, 23, 30, tzinfo=UTC)
    assert lightning.kind == "lightning"
    assert lightning.slug == "late-night-lightning-talks"  # no <slug>: from the title
    assert lightning.summary == "Five minutes each."  # the description, HTML removed
    assert lightning.track is None
    assert lightning.speakers == ()
    assert sprint.ends_at is not None and sprint.starts_at is not None
    assert sprint.ends_at - sprint.starts_at == timedelta(days=1, hours=2)  # D:HH:MM


def test_content_decides_the_format_not_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "schedule.json"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    assert len(load_schedule(path).talks) == 3


# -- malformed input -----------------------------------------------------------------------


def test_doctype_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    path.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE schedule [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
        "<schedule><version>&lol2;</version></schedule>\n",
        encoding="utf-8",
    )
    with pytest.raises(RecordError, match="DOCTYPE") as caught:
        load_schedule(path)
    assert caught.value.line == 2
    assert str(caught.value).startswith(f"{path}:2:")


def test_doctype_is_rejected_from_text() -> None:
    with pytest.raises(RecordError, match="DOCTYPE"):
        parse_schedule_xml('<!doctype schedule SYSTEM "x.dtd"><schedule/>', origin_file="x.xml")


@pytest.mark.parametrize("fraction", [0.5, 0.3, 0.999])
@pytest.mark.samples("samples/frab-camp2019.json")
def test_truncated_xml_is_an_error(tmp_path: Path, frab_xml_text: str, fraction: float) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(frab_xml_text[: int(len(frab_xml_text) * fraction)], encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    error = caught.value
    assert error.line is not None and error.line > 1
    assert str(error).startswith(f"{path}:{error.line}: not well-formed XML")
    assert "truncated" in str(error)


def test_missing_title_names_file_line_and_field(tmp_path: Path) -> None:
    guid = "9b1e7a52-0c8e-5f43-9d36-3d1b2f0a0003"
    path = tmp_path / "no-title.xml"
    path.write_text(HAND_WRITTEN.replace("<title>Sprint</title>", ""), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    error = caught.value
    assert error.field == "title"
    event_line = f'      <event guid="{guid}" id="103">'
    assert error.line == HAND_WRITTEN.splitlines().index(event_line) + 1
    assert str(error).startswith(f"{path}:{error.line}: field 'title':")


def test_bad_duration_in_xml_points_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad-duration.xml"
    text = HAND_WRITTEN.replace("<duration>0:30</duration>", "<duration>half an hour</duration>")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_schedule(path)
    assert caught.value.field == "duration"
    assert (
        caught.value.line
        == text.splitlines().index("        <duration>half an hour</duration>") + 1
    )


def test_wrong_root_element(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(RecordError, match="root element is <rss>") as caught:
        load_schedule(path)
    assert caught.value.field == "schedule"


def test_missing_conference(tmp_path: Path) -> None:
    path = tmp_path / "bare.xml"
    path.write_text("<schedule><version>1</version></schedule>", encoding="utf-8")
    with pytest.raises(RecordError, match="'conference' is missing") as caught:
        load_schedule(path)
    assert caught.value.field == "conference"
