"""Re-importing an export updates the conference in place: nothing moves when nothing
changed, talks keep their ids, and each change is classified and kept."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.records import Conference, Cue, Speaker, Talk
from bot.sources.detect import load_schedule
from bot.store.changes import changes_since, recent_changes
from bot.store.content import DATA_VERSION_KEY, attach_transcript, get_meta, replace_conferences
from bot.store.db import Database
from bot.store.imports import export_digest, import_conference, unchanged_import
from tests.conftest import SHARED
from tests.store.snapshot import content_snapshot
from tests.store.test_content import dump

CAMP = SHARED / "samples" / "frab-camp2019.json"
ORIGIN = "import:frab-camp2019.json"
NOW = datetime(2019, 8, 1, 12, tzinfo=UTC)


async def talk_ids(db: Database) -> dict[str, int]:
    rows = await db.fetch_all("SELECT coalesce(guid, slug), id FROM talks")
    return {str(row[0]): int(row[1]) for row in rows}


def changed_camp(camp: Conference) -> Conference:
    """The camp with its first talk moved 30 minutes and to another room, its second
    retitled, its third with another speaker, its fourth gone and one talk new."""
    first, second, third, _fourth, *rest = camp.talks
    assert first.starts_at and first.ends_at
    half_hour = timedelta(minutes=30)
    new = replace(rest[0], slug="a-new-talk", title="A new talk", guid="new-guid")
    talks = (
        replace(
            first,
            starts_at=first.starts_at + half_hour,
            ends_at=first.ends_at + half_hour,
            room="Somewhere else",
        ),
        replace(second, title="A zyxwvut title"),
        replace(third, speakers=(*third.speakers, Speaker("Ada Lovelace"))),
        *rest,
        new,
    )
    return replace(camp, talks=talks)


async def test_reimporting_an_identical_export_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    await import_conference(db, load_schedule(CAMP), origin=ORIGIN)
    before = dump(tmp_path / "confbot.sqlite3")
    version = await get_meta(db, DATA_VERSION_KEY)
    report = await import_conference(db, load_schedule(CAMP), origin=ORIGIN)
    assert not report.changed and report.changes == () and report.batch_id is None
    assert "unchanged since the last import" in report.describe()
    assert await get_meta(db, DATA_VERSION_KEY) == version
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_a_changed_export_updates_talks_in_place_and_classifies_each_change(
    db: Database,
) -> None:
    camp = load_schedule(CAMP)
    await import_conference(db, camp, origin=ORIGIN)
    ids = await talk_ids(db)
    version = await get_meta(db, DATA_VERSION_KEY)
    changed = changed_camp(camp)
    report = await import_conference(db, changed, origin=ORIGIN, now=NOW)
    assert report.reimport and report.changed and report.batch_id == 1
    kinds = {(c.talk_key, c.kind) for c in report.changes}
    first, second, third, fourth = camp.talks[:4]
    assert kinds == {
        (first.guid, "moved"),
        (first.guid, "room"),
        (second.guid, "title"),
        (third.guid, "speakers"),
        (fourth.guid, "cancelled"),
        ("new-guid", "new"),
    }
    assert "1 moved, 1 cancelled, 1 new, 1 room changed, 1 retitled, 1 speakers changed" in (
        report.describe()
    )
    after = await talk_ids(db)
    assert {key: after[key] for key in after if key != "new-guid"} == {
        key: ids[key] for key in ids if key != fourth.guid
    }
    assert after["new-guid"] not in ids.values()
    assert await get_meta(db, DATA_VERSION_KEY) != version


async def test_the_stored_changes_keep_a_cancelled_talk_showable(db: Database) -> None:
    camp = load_schedule(CAMP)
    await import_conference(db, camp, origin=ORIGIN)
    await import_conference(db, changed_camp(camp), origin=ORIGIN, now=NOW)
    first, fourth = camp.talks[0], camp.talks[3]
    stored = await changes_since(db, 0)
    assert {c.batch_id for c in stored} == {1} and {c.detected_at for c in stored} == {NOW}
    cancelled = next(c for c in stored if c.kind == "cancelled")
    assert cancelled.new is None and cancelled.old is not None
    assert cancelled.title == fourth.title
    assert (cancelled.old.starts_at, cancelled.old.room) == (fourth.starts_at, fourth.room)
    moved = next(c for c in stored if c.kind == "moved")
    assert moved.old is not None and moved.new is not None
    assert moved.old.starts_at == first.starts_at
    assert moved.new.starts_at == first.starts_at + timedelta(minutes=30)  # type: ignore[operator]
    assert await changes_since(db, 1) == []
    assert await changes_since(db, NOW - timedelta(seconds=1), conference="camp2019") == stored
    assert await changes_since(db, 0, conference="other") == []
    assert await recent_changes(db, "camp2019", NOW) == stored
    assert await recent_changes(db, "camp2019", NOW + timedelta(seconds=1)) == []


async def test_a_reimport_ends_where_a_fresh_import_of_the_same_export_does(
    tmp_path: Path,
) -> None:
    camp = load_schedule(CAMP)
    async with await Database.open(tmp_path / "diffed.sqlite3") as diffed:
        await import_conference(diffed, camp, origin=ORIGIN)
        await import_conference(diffed, changed_camp(camp), origin=ORIGIN)
    async with await Database.open(tmp_path / "fresh.sqlite3") as fresh:
        await import_conference(fresh, changed_camp(camp), origin=ORIGIN)
    assert content_snapshot(tmp_path / "diffed.sqlite3") == content_snapshot(
        tmp_path / "fresh.sqlite3"
    )


async def test_search_follows_the_changed_talks_only(db: Database) -> None:
    camp = load_schedule(CAMP)
    await import_conference(db, camp, origin=ORIGIN)
    await import_conference(db, changed_camp(camp), origin=ORIGIN)
    rows = await db.fetch_all("SELECT rowid FROM talk_search WHERE talk_search MATCH 'zyxwvut'")
    assert [int(r[0]) for r in rows] == [(await talk_ids(db))[str(camp.talks[1].guid)]]
    # The old title, in the title column (the talk's description, also indexed, names it).
    gone = await db.fetch_all(
        "SELECT rowid FROM talk_search WHERE talk_search MATCH ?",
        ("title : " + json.dumps(camp.talks[1].title),),
    )
    assert gone == []


async def test_an_attached_transcript_survives_a_changed_reimport(db: Database) -> None:
    camp = load_schedule(CAMP)
    await import_conference(db, camp, origin=ORIGIN)
    second = camp.talks[1]
    cues = [Cue(0, 1000, "hello transcript world")]
    await attach_transcript(db, f"camp2019/{second.slug}", cues, "hello transcript world", "x.vtt")
    changed = changed_camp(camp)
    await import_conference(db, changed, origin=ORIGIN)
    row = await db.fetch_one(
        "SELECT transcript, transcript_source FROM talks WHERE guid = ?", (second.guid,)
    )
    assert row is not None and tuple(row) == ("hello transcript world", "x.vtt")
    again = await import_conference(db, changed, origin=ORIGIN)
    assert not again.changed


async def test_talks_without_a_guid_are_matched_by_slug(db: Database) -> None:
    talks = (
        Talk("a", "A", (Speaker("X"),), "s"),
        Talk("b", "B", (Speaker("Y"),), "s"),
    )
    await import_conference(db, Conference("c", "C", talks=talks, origin="import"), origin="import")
    ids = await talk_ids(db)
    swapped = (replace(talks[0], title="A!"), talks[1])
    report = await import_conference(
        db, Conference("c", "C", talks=swapped, origin="import"), origin="import"
    )
    assert [(c.talk_key, c.kind) for c in report.changes] == [("c/a", "title")]
    assert await talk_ids(db) == ids


async def test_an_export_with_the_bytes_of_the_last_import_need_not_be_parsed(
    db: Database,
) -> None:
    raw = CAMP.read_bytes()
    digest = export_digest(raw)
    assert await unchanged_import(db, digest) is None
    await import_conference(db, load_schedule(CAMP), origin=ORIGIN, digest=digest)
    known = await unchanged_import(db, digest)
    assert known is not None and not known.changed and known.reimport
    assert (known.slug, known.talks) == ("camp2019", 79)
    assert await unchanged_import(db, export_digest(raw + b"\n")) is None
    followed = replace(load_schedule(CAMP), origin="source:https://example.org/camp.json")
    await replace_conferences(db, [followed], origin=followed.origin)
    assert await unchanged_import(db, digest) is None  # the source may have changed it since


async def test_two_talks_may_swap_slugs_and_keep_their_ids(db: Database) -> None:
    talks = (
        Talk("a", "A", (Speaker("X"),), "s", guid="g1"),
        Talk("b", "B", (Speaker("Y"),), "s", guid="g2"),
    )
    await import_conference(db, Conference("c", "C", talks=talks, origin="import"), origin="import")
    ids = await talk_ids(db)
    swapped = (replace(talks[0], slug="b"), replace(talks[1], slug="a"))
    report = await import_conference(
        db, Conference("c", "C", talks=swapped, origin="import"), origin="import"
    )
    assert report.changed and report.changes == ()  # a slug is no programme change
    assert await talk_ids(db) == ids
    rows = await db.fetch_all("SELECT guid, slug FROM talks ORDER BY guid")
    assert [tuple(r) for r in rows] == [("g1", "b"), ("g2", "a")]


async def test_a_reimport_that_fails_part_way_changes_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    camp = load_schedule(CAMP)
    await import_conference(db, camp, origin=ORIGIN)
    before = dump(tmp_path / "confbot.sqlite3")

    async def broken(*args: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr("bot.store.content.record_changes", broken)
    with pytest.raises(OSError, match="disk full"):
        await import_conference(db, changed_camp(camp), origin=ORIGIN)
    assert dump(tmp_path / "confbot.sqlite3") == before
