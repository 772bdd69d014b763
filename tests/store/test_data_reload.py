"""Reloading a data folder parses only the files that changed and ends exactly where a full
load of the same folder would."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

import bot.sources.bundled as bundled
import bot.sources.files as files
from bot.records import RecordError, Talk
from bot.store.changes import changes_since
from bot.store.content import load_data_dir
from bot.store.db import Database
from tests.store.snapshot import content_snapshot
from tests.store.test_content import dump

COST = "normconf-2022/its-all-about-cost.toml"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The talk files read (parsed) by the loader, in order."""
    seen: list[str] = []
    original = bundled.read_talk

    def spy(path: Path) -> Talk:
        seen.append(f"{path.parent.name}/{path.name}")
        return original(path)

    monkeypatch.setattr(bundled, "read_talk", spy)
    return seen


async def talk_ids(db: Database) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in await db.fetch_all("SELECT slug, id FROM talks")}


async def assert_as_after_a_full_load(db: Database, data: Path, folder: Path) -> None:
    """The database `db` (at folder/confbot.sqlite3) holds what a full load of `data` into
    a new database gives, ids apart, down to the file digests."""
    (folder / "full").mkdir()
    async with await Database.open(folder / "full" / "full.sqlite3") as fresh:
        await load_data_dir(fresh, data)
        expected = content_snapshot(folder / "full" / "full.sqlite3")
        expected["data_files"] = await digests(fresh)
    actual = content_snapshot(folder / "confbot.sqlite3")
    actual["data_files"] = await digests(db)
    assert actual == expected


async def digests(db: Database) -> list[tuple[object, ...]]:
    rows = await db.fetch_all("SELECT path, digest, size, mtime_ns FROM data_files ORDER BY path")
    return [tuple(row) for row in rows]


async def test_editing_one_talk_file_parses_only_that_file(
    db: Database, data_copy: Path, tmp_path: Path, parsed: list[str]
) -> None:
    await load_data_dir(db, data_copy)
    ids = await talk_ids(db)
    path = data_copy / COST
    path.write_text(
        path.read_text()
        .replace("It's all about cost", "It is all about money")
        .replace('speakers = ["Peter Sobot"]', 'speakers = ["Peter Sobot", "Ada Lovelace"]')
    )
    parsed.clear()
    report = await load_data_dir(db, data_copy)
    assert parsed == [COST]
    assert report.changed and (report.conferences, report.talks) == (2, 15)
    assert report.describe().endswith("15 talk(s), 46 nugget(s); 1 retitled, 1 speakers changed")
    assert {(c.talk_key, c.kind) for c in report.changes} == {
        ("normconf-2022/its-all-about-cost", "title"),
        ("normconf-2022/its-all-about-cost", "speakers"),
    }
    assert await talk_ids(db) == ids
    await assert_as_after_a_full_load(db, data_copy, tmp_path)


async def test_added_and_removed_talk_files_are_inserted_and_deleted(
    db: Database, data_copy: Path, tmp_path: Path, parsed: list[str]
) -> None:
    await load_data_dir(db, data_copy)
    folder = data_copy / "normconf-2022"
    shutil.copy(folder / "its-all-about-cost.toml", folder / "its-all-about-cost-again.toml")
    (folder / "dont-do-invisible-work.toml").unlink()
    parsed.clear()
    report = await load_data_dir(db, data_copy)
    assert parsed == ["normconf-2022/its-all-about-cost-again.toml"]
    assert sorted((c.talk_key, c.kind) for c in report.changes) == [
        ("normconf-2022/dont-do-invisible-work", "cancelled"),
        ("normconf-2022/its-all-about-cost-again", "new"),
    ]
    assert len(await changes_since(db, 0)) == 2
    await assert_as_after_a_full_load(db, data_copy, tmp_path)


async def test_a_changed_conference_file_or_transcript_rereads_that_folder_only(
    db: Database, data_copy: Path, tmp_path: Path, parsed: list[str]
) -> None:
    await load_data_dir(db, data_copy)
    conference = data_copy / "normconf-2022" / "conference.toml"
    conference.write_text(conference.read_text().replace("NormConf 2022", "NormConf '22", 1))
    transcript = data_copy / "tumocon-2023" / "closing-address.transcript.txt"
    transcript.write_text(transcript.read_text() + "\nOne more line.\n")
    parsed.clear()
    await load_data_dir(db, data_copy)
    assert len(parsed) == 15  # both folders: one for its conference.toml, one for a transcript
    parsed.clear()
    (data_copy / COST).write_text((data_copy / COST).read_text() + "\n")
    await load_data_dir(db, data_copy)
    assert parsed == [COST]
    await assert_as_after_a_full_load(db, data_copy, tmp_path)


async def test_a_malformed_edit_names_the_file_and_changes_nothing(
    db: Database, data_copy: Path, tmp_path: Path
) -> None:
    await load_data_dir(db, data_copy)
    before = dump(tmp_path / "confbot.sqlite3")
    path = data_copy / COST
    path.write_text(path.read_text().replace('kind = "talk"', 'kind = "party"'))
    with pytest.raises(RecordError) as refused:
        await load_data_dir(db, data_copy)
    assert refused.value.path == str(path) and refused.value.field == "kind"
    assert refused.value.line == 3
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_an_unchanged_folder_reloads_nothing_even_when_forced(
    db: Database, data_copy: Path, tmp_path: Path
) -> None:
    await load_data_dir(db, data_copy)
    before = dump(tmp_path / "confbot.sqlite3")
    report = await load_data_dir(db, data_copy, force=True)
    assert not report.changed
    assert dump(tmp_path / "confbot.sqlite3") == before


async def test_an_edit_that_keeps_size_and_time_is_still_seen_when_it_was_recent(
    db: Database, data_copy: Path, parsed: list[str]
) -> None:
    path = data_copy / COST
    path.write_text(path.read_text())  # saved just before the load
    await load_data_dir(db, data_copy)
    stat = path.stat()
    path.write_text(path.read_text().replace("It's all", "Its' all"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    parsed.clear()
    report = await load_data_dir(db, data_copy)
    assert parsed == [COST] and [c.kind for c in report.changes] == ["title"]


async def test_files_older_than_their_last_check_are_known_by_their_stat(
    db: Database, data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hour_ago = time.time_ns() - 3600 * 10**9
    for folder in ("normconf-2022", "tumocon-2023"):
        for name in os.listdir(data_copy / folder):
            os.utime(data_copy / folder / name, ns=(hour_ago, hour_ago))
    await load_data_dir(db, data_copy)
    (data_copy / COST).write_text((data_copy / COST).read_text() + "\n")
    read: list[Path] = []
    original = files.read_bytes

    def spy(path: Path, **limits: Any) -> bytes:
        read.append(path)
        return original(path, **limits)

    monkeypatch.setattr("bot.sources.bundled.read_bytes", spy)
    await load_data_dir(db, data_copy)
    assert read == [data_copy / COST]
