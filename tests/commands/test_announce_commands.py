"""/programme as the command table declares it, over a real announcement service: admins only,
the Slack words spread over channel and filter, the community's conferences as the default
and --conference over them, bad filters explained with nothing stored, and rooms and tracks
as autocomplete sources. (On each front end: tests/delivery/test_announce_run.py.)"""

from __future__ import annotations

import logging
import random
from dataclasses import replace

import pytest

from bot.commands.delivery import Delivery
from bot.commands.invocation import Invocation
from bot.commands.registry import Caller
from bot.commands.suggest import suggestions
from bot.commands.table import COMMANDS
from bot.core import Core
from bot.delivery.announce_service import AnnouncementService
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.commands.conftest import NOW, walk_conference
from tests.fakes.clock import FakeClock
from tests.fakes.poster import FakePoster

ADMIN = Caller("test", "U1", "T1", "C0HERE01", admin=True)


@pytest.fixture
async def announcing(db: Database) -> tuple[Core, AnnouncementService]:
    walk = walk_conference()
    tracked = tuple(replace(t, track="Data & Society") for t in walk.talks)
    other = replace(walk, slug="other-2026", name="Other 2026", talks=tracked)
    await replace_conferences(db, [walk, other], origin="import")
    clock = FakeClock(NOW)
    core = Core(db, rng=random.Random(3), clock=clock)
    service = AnnouncementService(
        db, FakePoster(clock), frontend="test", clock=clock, log=logging.getLogger("test")
    )
    core.delivery["test"] = Delivery(programme=service)
    return core, service


def parsed(line: str) -> dict[str, str]:
    invocation = COMMANDS.parse_line(line)
    assert isinstance(invocation, Invocation), line
    return invocation.as_dict()


def test_the_slack_words_go_to_channel_and_filter() -> None:
    assert parsed("/programme subscribe <#C0CURIE01> room Hall A") == {
        "channel": "<#C0CURIE01>",
        "room": "Hall A",
    }
    assert parsed("/programme subscribe track data --conference walk-2026") == {
        "track": "data",
        "conference": "walk-2026",
    }
    assert parsed("/programme subscribe speaker ada")["filter"] == "speaker ada"
    assert parsed("/programme unsubscribe <#C0CURIE01>") == {"channel": "<#C0CURIE01>"}


async def test_only_admins_and_only_where_the_service_runs(
    announcing: tuple[Core, AnnouncementService], core: Core
) -> None:
    announcer, service = announcing
    refused = await announcer.ask("/programme subscribe")
    assert (refused.title, refused.found) == ("Not allowed", False)
    assert await service.subscriptions("T1") == []
    elsewhere = await core.ask("/programme subscriptions", ADMIN)
    assert "not running" in elsewhere.text and elsewhere.ephemeral


async def test_subscribe_defaults_to_the_communitys_conferences_and_conference_wins(
    announcing: tuple[Core, AnnouncementService],
) -> None:
    core, service = announcing
    everything = await core.ask("/programme subscribe", ADMIN)
    assert everything.title == "Programme changes subscribed" and everything.ephemeral
    assert "(all conferences)" in everything.text
    used = await core.ask("/conference use walk-2026 other-2026", ADMIN)
    assert used.found, used.text
    both = await core.ask("/programme subscribe <#C0OTHER01> room hall a", ADMIN)
    assert 'in a room matching "hall a" (walk-2026)' in both.text
    assert "(other-2026)" in both.text
    one = await core.ask("/programme subscribe <#C0OTHER02> --conference other-2026", ADMIN)
    assert "(other-2026)" in one.text and "walk-2026" not in one.text

    subs = await service.subscriptions("T1")
    assert sorted((s.channel_id, s.conference or "") for s in subs) == [
        ("C0HERE01", ""),
        ("C0OTHER01", "other-2026"),
        ("C0OTHER01", "walk-2026"),
        ("C0OTHER02", "other-2026"),
    ]
    listed = await core.ask("/programme subscriptions", ADMIN)
    assert listed.text.count("\n") == 3 and "in channel C0OTHER01" in listed.text
    off = await core.ask("/programme unsubscribe <#C0OTHER01>", ADMIN)
    assert off.title == "Programme changes unsubscribed" and off.text.count("#") == 2
    again = await core.ask("/programme unsubscribe <#C0OTHER01>", ADMIN)
    assert again.found is False and "no programme-change subscription" in again.text
    assert "(off: unsubscribed by U1)" in (await core.ask("/programme subscriptions", ADMIN)).text


async def test_bad_filters_and_unknown_conferences_are_explained_and_nothing_is_stored(
    announcing: tuple[Core, AnnouncementService],
) -> None:
    core, service = announcing
    speaker = await core.ask("/programme subscribe speaker ada", ADMIN)
    both = await core.ask("/programme subscribe --room hall --track data", ADMIN)
    unknown = await core.ask("/programme subscribe --conference nosuch", ADMIN)
    assert speaker.found is False and "room NAME or track NAME" in speaker.text
    assert both.found is False and "not both" in both.text
    assert unknown.found is False and "No conference `nosuch`" in unknown.text
    assert all(a.ephemeral for a in (speaker, both, unknown))
    assert await service.subscriptions("T1") == []


async def test_rooms_and_tracks_autocomplete(announcing: tuple[Core, AnnouncementService]) -> None:
    core, _ = announcing
    subscribe = COMMANDS.get("programme subscribe")
    assert subscribe is not None
    assert [subscribe.param(n).autocomplete for n in ("room", "track")] == [  # type: ignore[union-attr]
        "rooms",
        "tracks",
    ]
    rooms = await suggestions(core, "rooms", "hall", {"conference": "walk-2026"})
    tracks = await suggestions(core, "tracks", "soc", {})
    assert [c.query for c in rooms] == ["Hall A", "Hall B"]
    assert [c.query for c in tracks] == ["Data & Society"]
    assert await suggestions(core, "tracks", "", {"conference": "walk-2026"}) == []
