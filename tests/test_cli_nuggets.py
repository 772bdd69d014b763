"""`confbot nuggets`: the export in the bundled format loads back with the same nuggets (a
data-folder conference and an imported one), and pending / approve / reject from the
terminal."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.lookup import Lookup
from bot.commands.nugget_queue import NuggetQueue, Submitter
from bot.sources.bundled import read_conference
from bot.store import community_nuggets as store
from bot.store.community_nuggets import TalkRef
from bot.store.conference_records import conference_records
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from tests.conftest import BUNDLED_DATA
from tests.store.test_community_nuggets import AT, camp

ADA = Submitter("discord", "42", "ada (42)", "https://discord.com/channels/1/2/3")
QUOTE = 'Counting "things" is\\ the heart of the work: @everyone knows it.'


async def cli(*args: str) -> int:
    """`confbot ARGS` (its own event loop, in a thread: the test's loop is running)."""
    return await asyncio.to_thread(main, list(args))


async def nuggets_by_talk(db: Database, slug: str) -> dict[str, list[tuple[str, str | None, str]]]:
    conference = await conference_records(db, slug)
    assert conference is not None
    return {t.slug: [(n.text, n.speaker, n.source) for n in t.nuggets] for t in conference.talks}


async def approved(db: Database, text: str, talk: str) -> None:
    queue = NuggetQueue(db, Lookup(db))
    item = await queue.submit(text, by=ADA, talk=talk)
    await queue.approve(item.submission.id, by="root (1)")


async def test_the_export_of_a_data_conference_loads_back_with_every_nugget(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, data)
    path = tmp_path / "bot.sqlite3"
    async with await Database.open(path) as db:
        await load_data_dir(db, data)
        await approved(db, QUOTE, "normconf-2022/an-ml-fairytale")
        expected = await nuggets_by_talk(db, "normconf-2022")
    assert (QUOTE, None, "Community submission (Discord)") in expected["an-ml-fairytale"]

    out = tmp_path / "export"
    assert (
        await cli("--db", str(path), "nuggets", "export", "normconf-2022", "--out", str(out)) == 0
    )
    exported = read_conference(out / "normconf-2022")
    assert {
        t.slug: [(n.text, n.speaker, n.source) for n in t.nuggets] for t in exported.talks
    } == expected

    async with await Database.open(tmp_path / "fresh.sqlite3") as fresh:
        await load_data_dir(fresh, out)
        assert await nuggets_by_talk(fresh, "normconf-2022") == expected
    # The organiser keeps the export in the data folder: reloading adds no second copy.
    shutil.rmtree(data / "normconf-2022")
    shutil.copytree(out / "normconf-2022", data / "normconf-2022")
    async with await Database.open(path) as db:
        await load_data_dir(db, data)
        assert await nuggets_by_talk(db, "normconf-2022") == expected


async def test_the_export_of_an_imported_conference_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Database.open(path) as db:
        await replace_conferences(db, [camp()], origin="import:camp.json")
        await approved(db, QUOTE, "camp-2026/opening")
        expected = await nuggets_by_talk(db, "camp-2026")
    out = tmp_path / "export"
    assert await cli("--db", str(path), "nuggets", "export", "camp-2026", "--out", str(out)) == 0
    async with await Database.open(tmp_path / "fresh.sqlite3") as fresh:
        await load_data_dir(fresh, out)
        assert await nuggets_by_talk(fresh, "camp-2026") == expected
        conference = await conference_records(fresh, "camp-2026")
        assert conference is not None and conference.talks[0].starts_at == camp().talks[0].starts_at


async def test_pending_approve_and_reject_from_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Database.open(path) as db:
        await load_data_dir(db, BUNDLED_DATA)
        for words in ("First queued words here.", "Second queued words here."):
            await store.add(
                db,
                text=words,
                speaker=None,
                talk=TalkRef("normconf-2022", "an-ml-fairytale", None),
                frontend="slack",
                submitter="U1",
                submitted_by="U1",
                link=None,
                at=AT,
            )
    assert await cli("--db", str(path), "nuggets", "pending") == 0
    listed = capsys.readouterr().out
    assert "#1 “First queued words here.”" in listed and "2 waiting for review" in listed
    assert await cli("--db", str(path), "nuggets", "approve", "1") == 0
    assert await cli("--db", str(path), "nuggets", "reject", "2") == 0
    assert await cli("--db", str(path), "nuggets", "reject", "2") == 1
    assert "already rejected" in capsys.readouterr().err
    assert await cli("--db", str(path), "nuggets", "export", "nope-2020") == 1
