"""Slug lookups answer from SQL, so a cold answer never has to read every title first."""

from __future__ import annotations

from bot.core import Core
from bot.store.db import Database
from bot.store.names import talk_ids_by_ref


async def test_a_slug_or_a_conference_slash_slug_finds_the_talk(bundled_db: Database) -> None:
    [by_slug] = await talk_ids_by_ref(bundled_db, "an-ml-fairytale")
    assert await talk_ids_by_ref(bundled_db, "normconf-2022/an-ml-fairytale") == [by_slug]
    assert await talk_ids_by_ref(bundled_db, "an-ml-fairytale", ("normconf-2022",)) == [by_slug]
    assert await talk_ids_by_ref(bundled_db, "an-ml-fairytale", ("tumocon-2023",)) == []
    assert await talk_ids_by_ref(bundled_db, "tumocon-2023/an-ml-fairytale") == []


async def test_text_that_is_no_slug_is_not_sent_to_sqlite(bundled_db: Database) -> None:
    for text in ("\udcff", "a/b/c", "", "keynote please", "x" * 500):
        assert await talk_ids_by_ref(bundled_db, text) == []


async def test_answering_by_slug_or_kind_loads_no_list_of_every_title(core: Core) -> None:
    assert (await core.ask("/talk normconf-2022/an-ml-fairytale")).title == "An ML Fairytale"
    assert (await core.ask("/talk keynote")).kind in {"talk", "choices"}
    index = core.lookup._names
    assert index is not None and index.talks is None and index.speakers is None
    await core.ask("/talk zzzqqqxxx")  # no match: the suggestions' fuzzy matching loads them
    assert core.lookup._names is not None and core.lookup._names.talks is not None
