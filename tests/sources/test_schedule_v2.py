"""c3voc schedule JSON version 2: a small document built from schema2.json, validated against
it, imports like version 1 does."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.records import RecordError
from bot.sources.detect import load_schedule
from bot.sources.files import ImportLimits
from tests.conftest import shared_bytes

SCHEMA_2 = json.loads(shared_bytes("samples/schema2.json") or b"{}")
CET = timezone(timedelta(hours=1))
ROOM_GUID = "0b9e6ad2-3c4d-4f5a-8b6c-7d8e9f000001"
HALL_GUID = "0b9e6ad2-3c4d-4f5a-8b6c-7d8e9f000002"


def _event(guid: str, title: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "guid": guid,
        "title": title,
        "subtitle": None,
        "slug": title.lower().replace(" ", "-"),
        "url": f"https://hub.example.org/event/{guid}/",
        "start": start,
        "end": end,
        "room": {"guid": ROOM_GUID},
        "track": {"slug": "hardware"},
        "type": "TALK",
        "language": "en",
        "abstract": f"About {title}.",
        "participants": [{"guid": "9f0c3c2e-1111-4d4d-8e8e-000000000001", "name": "Ada"}],
        "links": [{"url": "https://example.org/slides.pdf", "title": "Slides"}],
    }
    event.update(extra)
    return event


def version_2_document() -> dict[str, Any]:
    return {
        "$schema": "https://c3voc.de/schedule/schema2.json",
        "generator": {"name": "hub", "version": "1.0"},
        "schedule": {
            "version": "2026-05-01 12:00",
            "conference": {
                "acronym": "dvcon2026",
                "title": "Divcon 2026",
                "start": "2026-05-01T10:00:00+01:00",
                "end": "2026-05-02T18:00:00+01:00",
                "time_zone_name": "Europe/London",
                "defaults": {"language": "de"},
                "rooms": [
                    {"name": "Saal One", "guid": ROOM_GUID},
                    {"name": "Hall", "guid": HALL_GUID},
                ],
                "tracks": [{"name": "Hardware & Making", "slug": "hardware"}],
                "days": [
                    {
                        "index": 1,
                        "date": "2026-05-01",
                        "start": "2026-05-01T06:00:00+01:00",
                        "end": "2026-05-02T05:59:00+01:00",
                    },
                    {
                        "index": 2,
                        "date": "2026-05-02",
                        "start": "2026-05-02T06:00:00+01:00",
                        "end": "2026-05-03T05:59:00+01:00",
                    },
                ],
            },
            "events": [
                _event(
                    "5f6e7d8c-0000-4000-8000-000000000001",
                    "Opening",
                    "2026-05-01T10:00:00+01:00",
                    "2026-05-01T10:30:00+01:00",
                    abstract={"de": "Die Eröffnung.", "en": "The opening."},
                    description="**Bring** a [badge](https://example.org/badge ).",
                ),
                _event(
                    "5f6e7d8c-0000-4000-8000-000000000002",
                    "Night Lightning",
                    "2026-05-02T00:15:00+01:00",
                    "2026-05-02T00:45:00+01:00",
                    type="LIGHTNING_TALK",
                    room={"guid": HALL_GUID, "name": "Hall"},
                ),
                _event(
                    "5f6e7d8c-0000-4000-8000-000000000003",
                    "Soldering Workshop",
                    "2026-05-02T11:00:00+01:00",
                    "2026-05-02T13:00:00+01:00",
                    type="WORKSHOP",
                ),
                _event(
                    "5f6e7d8c-0000-4000-8000-000000000004",
                    "Cancelled Talk",
                    "2026-05-02T14:00:00+01:00",
                    "2026-05-02T14:30:00+01:00",
                    state="CANCELED",
                ),
                {
                    "type": "BREAK",
                    "title": "Lunch",
                    "start": "2026-05-02T13:00:00+01:00",
                    "end": "2026-05-02T14:00:00+01:00",
                    "room": {"guid": ROOM_GUID},
                },
            ],
        },
    }


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "schedule2.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


@pytest.mark.samples("samples/schema2.json")
def test_the_test_document_follows_schema_2() -> None:
    jsonschema.validate(version_2_document(), SCHEMA_2)


def test_a_version_2_export_imports(tmp_path: Path) -> None:
    conference = load_schedule(write(tmp_path, version_2_document()))
    assert (conference.slug, conference.name, conference.timezone) == (
        "dvcon2026",
        "Divcon 2026",
        "Europe/London",
    )
    assert conference.extra["generator"] == "hub"
    talks = {talk.title: talk for talk in conference.talks}
    # Neither the lunch break nor the cancelled talk is a talk.
    assert set(talks) == {"Opening", "Night Lightning", "Soldering Workshop"}
    opening = talks["Opening"]
    assert opening.guid == "5f6e7d8c-0000-4000-8000-000000000001"
    assert opening.starts_at == datetime(2026, 5, 1, 10, 0, tzinfo=CET)
    assert opening.ends_at == datetime(2026, 5, 1, 10, 30, tzinfo=CET)
    assert (opening.room, opening.track, opening.kind) == ("Saal One", "Hardware & Making", "talk")
    assert opening.summary == "Die Eröffnung."  # the conference's default language
    assert opening.description == "Bring a badge (https://example.org/badge)."
    assert opening.speaker_names == ("Ada",)
    assert opening.links == ("https://example.org/slides.pdf",)
    night = talks["Night Lightning"]
    assert (night.kind, night.room, night.schedule_day) == ("lightning", "Hall", date(2026, 5, 1))
    assert talks["Soldering Workshop"].kind == "workshop"
    assert talks["Soldering Workshop"].schedule_day == date(2026, 5, 2)


def test_version_2_keeps_the_refusals(tmp_path: Path) -> None:
    document = version_2_document()
    del document["schedule"]["events"][0]["guid"]
    with pytest.raises(RecordError) as caught:
        load_schedule(write(tmp_path, document))
    assert caught.value.field == "guid"

    document = version_2_document()
    document["schedule"]["events"].append(copy.deepcopy(document["schedule"]["events"][0]))
    with pytest.raises(RecordError, match="is used by two events"):
        load_schedule(write(tmp_path, document))

    with pytest.raises(RecordError, match="more than the 2 accepted"):
        load_schedule(write(tmp_path, version_2_document()), ImportLimits(max_events=2))

    document = version_2_document()
    document["schedule"]["events"][0]["end"] = "2026-05-01T09:00:00+01:00"
    with pytest.raises(RecordError, match="ends before it starts"):
        load_schedule(write(tmp_path, document))
