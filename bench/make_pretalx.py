"""Write a synthetic pretalx-shaped schedule JSON for benchmarks.

    python -m bench.make_pretalx OUT.json --events 10000 [--days 4] [--seed 2024]

The output follows the c3voc schedule JSON that pretalx exports (newer person shape:
code/name/biography), with several days, as many rooms as the events need, days that run past
midnight, \\r\\n and Markdown in the texts. The same arguments always give the same file.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import string
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
FIRST_DAY = date(2025, 12, 27)
DAY_STARTS_AT = 4  # a pretalx day runs 04:00 to 03:59 the next morning
FIRST_SLOT_HOUR = 10
LAST_SLOT_END_HOUR = 26  # 02:00 the next morning
DURATIONS_MINUTES = (20, 30, 40, 45, 60, 90, 120)
BREAK_MINUTES = 10
TYPES = (
    "Talk 30 min + 10min Q&A",
    "Talk 60min + 20min Q&A",
    "Workshop 110min",
    "LightningTalk 15min 10min Q&A",
    "Keynote",
    "Other",
)
TRACKS = ("Security", "Hardware & Making", "Ethics, Society & Politics", "Science", "Art")
WORDS = (
    "open",
    "source",
    "hardware",
    "privacy",
    "network",
    "kernel",
    "compiler",
    "badge",
    "radio",
    "satellite",
    "climate",
    "archive",
    "museum",
    "encryption",
    "protocol",
    "firmware",
    "community",
    "education",
    "robot",
    "garden",
    "map",
    "election",
    "tracker",
    "sensor",
    "camera",
    "lattice",
    "quantum",
    "vintage",
    "keyboard",
    "mesh",
    "cloud",
)


def code(rng: random.Random) -> str:
    """A pretalx-style six-character code."""
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=6))


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(WORDS, k=words))
    return text[0].upper() + text[1:] + "."


def make_speakers(rng: random.Random, count: int) -> list[dict[str, str]]:
    speakers = []
    for number in range(count):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {number}"
        speakers.append(
            {"code": code(rng), "name": name, "biography": sentence(rng, rng.randint(8, 30))}
        )
    return speakers


def make_event(
    rng: random.Random,
    *,
    event_id: int,
    room: str,
    starts_at: datetime,
    minutes: int,
    speakers: list[dict[str, str]],
) -> dict[str, Any]:
    event_code = code(rng)
    title = sentence(rng, rng.randint(2, 7)).rstrip(".")
    abstract = "\r\n".join(sentence(rng, rng.randint(6, 20)) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.3:
        abstract += "\r\nSee [the project](https://example.org/" + event_code.lower() + ")."
    return {
        "id": event_id,
        "guid": str(uuid.UUID(int=rng.getrandbits(128), version=5)),
        "logo": "",
        "date": starts_at.isoformat(),
        "start": starts_at.strftime("%H:%M"),
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
        "room": room,
        "slug": event_code,
        "url": f"https://pretalx.example.org/bench-2025/talk/{event_code}/",
        "title": title,
        "subtitle": "",
        "track": rng.choice(TRACKS),
        "type": rng.choice(TYPES),
        "language": rng.choice(("en", "en", "de")),
        "abstract": abstract,
        "description": "**Details**\r\n\r\n" + sentence(rng, 25),
        "recording_license": "",
        "do_not_record": False,
        "persons": rng.sample(speakers, k=rng.choice((1, 1, 1, 2, 3))),
        "links": [{"url": f"https://example.org/{event_code.lower()}/slides", "title": "Slides"}]
        if rng.random() < 0.2
        else [],
        "attachments": [],
        "answers": [],
    }


def make_schedule(events: int, *, days: int = 4, seed: int = 2024) -> dict[str, Any]:
    """A pretalx schedule document with exactly `events` events spread over `days` days.

    Rooms fill round-robin; a room closes for the day when its next talk would end after
    02:00, and a new room opens when all are closed, so talks never overlap in a room.
    """
    rng = random.Random(seed)
    speakers = make_speakers(rng, max(10, events // 3))
    average_slot = sum(DURATIONS_MINUTES) / len(DURATIONS_MINUTES) + BREAK_MINUTES
    slots_per_room_day = (LAST_SLOT_END_HOUR - FIRST_SLOT_HOUR) * 60 / average_slot
    rooms = [f"Hall {n + 1}" for n in range(math.ceil(events / days / slots_per_room_day))]
    per_day = [events // days + (1 if index < events % days else 0) for index in range(days)]
    event_id = 0
    day_documents = []
    for index, count in enumerate(per_day):
        day = FIRST_DAY + timedelta(days=index)
        day_start = datetime(day.year, day.month, day.day, DAY_STARTS_AT, tzinfo=ZONE)
        first_slot = day_start.replace(hour=FIRST_SLOT_HOUR)
        last_slot_end = day_start + timedelta(hours=LAST_SLOT_END_HOUR - DAY_STARTS_AT)
        room_events: dict[str, list[dict[str, Any]]] = {}
        next_free = {room: first_slot for room in rooms}
        open_rooms = list(rooms)
        placed = 0
        while placed < count:
            if not open_rooms:
                rooms.append(f"Hall {len(rooms) + 1}")
                open_rooms.append(rooms[-1])
                next_free[rooms[-1]] = first_slot
            for room in list(open_rooms):
                if placed == count:
                    break
                minutes = rng.choice(DURATIONS_MINUTES)
                starts_at = next_free[room]
                if starts_at + timedelta(minutes=minutes) > last_slot_end:
                    open_rooms.remove(room)
                    continue
                event_id += 1
                event = make_event(
                    rng,
                    event_id=event_id,
                    room=room,
                    starts_at=starts_at,
                    minutes=minutes,
                    speakers=speakers,
                )
                room_events.setdefault(room, []).append(event)
                next_free[room] = starts_at + timedelta(minutes=minutes + BREAK_MINUTES)
                placed += 1
        day_documents.append(
            {
                "index": index + 1,
                "date": day.isoformat(),
                "day_start": day_start.isoformat(),
                "day_end": (day_start + timedelta(days=1, minutes=-1)).isoformat(),
                "rooms": room_events,
            }
        )
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "pretalx", "version": "2025.1.0"},
        "schedule": {
            "version": "1.0",
            "base_url": "https://pretalx.example.org/bench-2025/schedule/",
            "conference": {
                "acronym": "bench-2025",
                "title": "Benchmark Conference 2025",
                "start": FIRST_DAY.isoformat(),
                "end": (FIRST_DAY + timedelta(days=days - 1)).isoformat(),
                "daysCount": days,
                "timeslot_duration": "00:05",
                "time_zone_name": "Europe/Berlin",
                "url": "https://pretalx.example.org/bench-2025/",
                "days": day_documents,
            },
        },
    }


def write_schedule(path: Path, events: int, *, days: int = 4, seed: int = 2024) -> None:
    """Write the synthetic schedule to `path` as indented UTF-8 JSON, like pretalx does."""
    document = make_schedule(events, days=days, seed=seed)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="the JSON file to write")
    parser.add_argument("--events", type=int, default=10_000, help="number of events")
    parser.add_argument("--days", type=int, default=4, help="number of schedule days")
    parser.add_argument("--seed", type=int, default=2024, help="random seed")
    arguments = parser.parse_args(argv)
    if arguments.events < 1 or arguments.days < 1:
        parser.error("--events and --days must be at least 1")
    write_schedule(arguments.out, arguments.events, days=arguments.days, seed=arguments.seed)
    print(f"wrote {arguments.events} events over {arguments.days} days to {arguments.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
