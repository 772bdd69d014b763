"""Daily wisdom in a community that said which conference it is about (/conference use):
its channels quote only that conference's nuggets (the post, the preview and "now"), a
channel of another community quotes every conference, and nothing else of the rotation
changes (bot.store.communities.community_pool is the one place this is decided)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.delivery.reports import wisdom_report
from bot.delivery.wisdom_service import WisdomService
from bot.store.communities import set_conferences
from bot.store.db import Database
from bot.wisdom import WisdomPost
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

# A Monday, 08:00 UTC; the channels post at 09:00 UTC.
START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def tumocon_talk(line: str, titles: set[str]) -> bool:
    return any(line.endswith(f", {title})") for title in titles)


async def subscribe(service: WisdomService, guild: str, channel: str) -> None:
    await service.subscribe(
        guild_id=guild,
        channel_id=channel,
        post_time="09:00",
        zone="UTC",
        created_by="ada",
        can_post=True,
    )


async def test_a_communitys_daily_wisdom_quotes_its_conference(bundled_db: Database) -> None:
    clock = FakeClock(START)
    poster = FakePoster(clock)
    service = WisdomService(bundled_db, poster, frontend="discord", clock=clock)
    await set_conferences(bundled_db, "discord", "G1", ["tumocon-2023"])
    await subscribe(service, "G1", "C1")
    await subscribe(service, "G2", "C2")
    titles = {
        str(row[0])
        for row in await bundled_db.fetch_all(
            "SELECT t.title FROM talks t JOIN conferences c ON c.id = t.conference_id "
            "WHERE c.slug = 'tumocon-2023'"
        )
    }

    report = await wisdom_report(bundled_db, 12, START)
    preview = await service.preview("C1")
    now = await service.post_now("C1")
    for day in range(1, 12):
        clock.set(START + timedelta(days=day, hours=1, seconds=5))
        await service.run_due()

    posts = [d.post for d in poster.delivered if isinstance(d.post, WisdomPost)]
    here = [p.conference_name for p in posts if p.channel_id == "C1"]
    there = [p.conference_name for p in posts if p.channel_id == "C2"]
    assert preview is not None and preview.conference_name == "TuMoCon 2023"
    # `confbot wisdom` foretells the same: channel C1 quotes only TuMoCon's talks.
    foretold = [line for line in report.splitlines() if "discord/C1 " in line]
    assert len(foretold) == 12 and all(tumocon_talk(line, titles) for line in foretold)
    assert now.kind == "sent"
    assert len(here) == 12 and set(here) == {"TuMoCon 2023"}
    assert len(there) == 11 and set(there) == {"NormConf 2022", "TuMoCon 2023"}
