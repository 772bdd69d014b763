"""Classic Pentabarf schedule.xml (FOSDEM 2017): no acronym, no guids, no per-event <date>,
no day start or end, no UTC offsets, a <day_change>."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.records import Conference, RecordError
from bot.sources.detect import load_schedule, parse_schedule
from tests.conftest import SHARED

FOSDEM = SHARED / "samples" / "fosdem2017-pentabarf.xml"
FOSDEM_SAMPLE = pytest.mark.samples("samples/fosdem2017-pentabarf.xml")
BRUSSELS = ZoneInfo("Europe/Brussels")

SMALL = """\
<?xml version="1.0" encoding="UTF-8"?>
<schedule>
  <conference>
    <title>Night Owls 2026</title>
    <start>2026-03-06</start>
    <end>2026-03-07</end>
    <days>2</days>
    <day_change>04:00:00</day_change>
    <timeslot_duration>00:15:00</timeslot_duration>
  </conference>
  <day index="1" date="2026-03-06">
    <room name="Main">
      <event id="11">
        <start>22:00</start><duration>01:00</duration><room>Main</room>
        <slug>late</slug><title>Late Talk</title><type>lecture</type>
        <abstract>&lt;p&gt;Read &lt;a href="https://example.org/x"&gt;this&lt;/a&gt;.&lt;/p&gt;</abstract>
        <persons><person id="1">Owl</person></persons>
      </event>
      <event id="12">
        <start>01:30</start><duration>00:30</duration><room>Main</room>
        <slug>later</slug><title>After Midnight</title><type>lecture</type>
        <persons/>
      </event>
    </room>
  </day>
  <day index="2" date="2026-03-07">
    <room name="Main">
      <event id="21">
        <start>10:00</start><duration>00:45</duration><room>Main</room>
        <slug>morning</slug><title>Morning</title><type>lecture</type>
      </event>
    </room>
  </day>
</schedule>
"""


@pytest.fixture(scope="module")
def fosdem() -> Conference:
    return load_schedule(FOSDEM, timezone="Europe/Brussels")


@FOSDEM_SAMPLE
def test_fosdem_2017_imports(fosdem: Conference) -> None:
    assert (fosdem.slug, fosdem.name, fosdem.year) == ("fosdem-2017", "FOSDEM 2017", 2017)
    assert fosdem.timezone == "Europe/Brussels"
    assert len(fosdem.talks) == FOSDEM.read_text(encoding="utf-8").count("<event ")
    welcome = next(t for t in fosdem.talks if t.title == "Welcome to FOSDEM 2017")
    assert welcome.guid == "fosdem-2017:5574"
    assert welcome.starts_at == datetime(2017, 2, 4, 9, 30, tzinfo=BRUSSELS)
    assert welcome.ends_at == datetime(2017, 2, 4, 9, 55, tzinfo=BRUSSELS)
    assert (welcome.room, welcome.track, welcome.kind) == ("Janson", "Keynotes", "keynote")
    assert welcome.schedule_day == date(2017, 2, 4)
    assert welcome.summary == "FOSDEM welcome and opening talk."
    assert welcome.description == "Welcome to FOSDEM 2017!"
    assert welcome.speaker_names == ("FOSDEM Staff",)


@FOSDEM_SAMPLE
def test_fosdem_keys_are_stable_and_unique(fosdem: Conference) -> None:
    again = load_schedule(FOSDEM, timezone="Europe/Brussels")
    assert [(t.guid, t.slug) for t in again.talks] == [(t.guid, t.slug) for t in fosdem.talks]
    guids = [t.guid for t in fosdem.talks]
    assert len(set(guids)) == len(guids)
    assert all(guid and guid.startswith("fosdem-2017:") for guid in guids)


@FOSDEM_SAMPLE
def test_fosdem_html_abstracts_become_text_with_links(fosdem: Conference) -> None:
    texts = [t.summary for t in fosdem.talks] + [t.description or "" for t in fosdem.talks]
    assert not any("<p>" in text or "&lt;" in text or "&amp;" in text for text in texts)
    assert any("(http" in text for text in texts)


@FOSDEM_SAMPLE
def test_without_a_time_zone_the_refusal_says_what_to_pass() -> None:
    with pytest.raises(RecordError) as caught:
        load_schedule(FOSDEM)
    error = caught.value
    assert error.path == str(FOSDEM) and error.line is not None
    assert error.field == "conference.time_zone_name"
    assert "--timezone" in error.message and "Europe/Brussels" in error.message


def test_day_change_keeps_a_talk_after_midnight_on_its_day() -> None:
    conference = parse_schedule(SMALL, origin_file="owls.xml", timezone="Europe/Brussels")
    talks = {t.title: t for t in conference.talks}
    assert conference.slug == "night-owls-2026"
    late = talks["After Midnight"]
    assert late.starts_at == datetime(2026, 3, 7, 1, 30, tzinfo=BRUSSELS)
    assert late.schedule_day == date(2026, 3, 6)
    assert talks["Morning"].starts_at == datetime(2026, 3, 7, 10, 0, tzinfo=BRUSSELS)
    assert talks["Morning"].schedule_day == date(2026, 3, 7)
    assert talks["Late Talk"].summary == "Read this (https://example.org/x)."
    assert [t.guid for t in conference.talks] == [
        "night-owls-2026:11",
        "night-owls-2026:12",
        "night-owls-2026:21",
    ]


def test_the_export_zone_wins_over_the_option() -> None:
    named = SMALL.replace("<days>2</days>", "<time_zone_name>Europe/Lisbon</time_zone_name>")
    conference = parse_schedule(named, origin_file="owls.xml", timezone="Europe/Brussels")
    assert conference.timezone == "Europe/Lisbon"
    assert conference.talks[0].starts_at == datetime(
        2026, 3, 6, 22, 0, tzinfo=ZoneInfo("Europe/Lisbon")
    )


def test_an_event_without_guid_or_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "owls.xml"
    path.write_text(SMALL.replace('<event id="12">', "<event>"), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_schedule(path, timezone="Europe/Brussels")
    assert caught.value.field == "guid" and caught.value.path == str(path)


def test_a_day_start_without_offset_is_read_in_the_conference_zone() -> None:
    text = SMALL.replace("<day_change>04:00:00</day_change>", "").replace(
        '<day index="1" date="2026-03-06">',
        '<day index="1" date="2026-03-06" start="2026-03-06T04:00:00" end="2026-03-07T03:59:00">',
    )
    conference = parse_schedule(text, origin_file="owls.xml", timezone="Europe/Brussels")
    late = next(t for t in conference.talks if t.title == "After Midnight")
    assert late.starts_at == datetime(2026, 3, 7, 1, 30, tzinfo=BRUSSELS)
    assert late.schedule_day == date(2026, 3, 6)
