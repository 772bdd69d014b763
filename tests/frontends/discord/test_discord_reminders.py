"""/remind on Discord, end to end: the real discord.py client runs `ConfBot` against
`FakeDiscord`, over real SQLite with the CCCamp 2019 sample schedule imported.

The reminder service runs in the bot's post loop on an injected clock (nothing waits for the
wall clock): an admin subscribes a channel to reminders 10 minutes before each talk in room
Curie, and at 10:50 in Berlin on Wednesday 21 August 2019 the reminder of the 11:00 Opening
Ceremony arrives, once.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.sources.detect import load_schedule
from bot.store.content import replace_conferences
from bot.store.db import Database
from tests.conftest import SHARED
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, InteractionResult, running_bot
from tests.fakes.waiting import eventually

pytestmark = pytest.mark.samples("samples/frab-camp2019.json")

JSON = dict[str, Any]
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2019, 8, 21, 10, 0, tzinfo=BERLIN)
TEN_TO_ELEVEN = datetime(2019, 8, 21, 10, 50, tzinfo=BERLIN)


@pytest.fixture
async def camp_db(db: Database) -> Database:
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    await replace_conferences(db, [sample], origin="import")
    return db


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MORNING)


async def _bot(fake: FakeDiscord, db: Database, clock: FakeClock) -> AsyncIterator[ConfBot]:
    core = Core(db, rng=random.Random(7), clock=clock)
    bot = ConfBot(core, db, clock=clock, guild_ready_timeout=0.05, wisdom_interval=3600.0)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield bot


@pytest.fixture
async def bot(fake: FakeDiscord, camp_db: Database, clock: FakeClock) -> AsyncIterator[ConfBot]:
    async for bot in _bot(fake, camp_db, clock):
        yield bot


@pytest.fixture
def admin(fake: FakeDiscord) -> JSON:
    return fake.add_member("ada", admin=True)


def embed(result: InteractionResult) -> JSON:
    assert result.embeds, f"no embed in {result!r}"
    return result.embeds[0]


def fields(result: InteractionResult) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed(result).get("fields", [])}


def channel_posts(fake: FakeDiscord) -> list[JSON]:
    """What the bot posted in channels itself (not interaction answers)."""
    return [
        r.json
        for r in fake.requests_to("/messages", "POST")
        if r.path.startswith("/channels/") and isinstance(r.json, dict)
    ]


async def remind(
    fake: FakeDiscord, admin: JSON, subcommand: str, **options: Any
) -> InteractionResult:
    return await fake.invoke("remind", options, subcommand=subcommand, user=admin)


async def test_an_admin_subscribes_and_the_reminder_arrives_once_before_the_talk(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock, admin: JSON
) -> None:
    subscribed = await remind(fake, admin, "subscribe", minutes=10, room="curie")

    assert subscribed.ephemeral
    assert embed(subscribed)["title"] == "Reminders subscribed"
    assert 'in a room matching "curie"' in embed(subscribed)["description"]
    assert fields(subscribed)["Next reminder"].startswith("Opening Ceremony")
    assert await bot.wake_reminders() == []  # 10:00 in Berlin: not due yet
    assert fake.channel_messages(fake.channel_id) == []

    clock.set(TEN_TO_ELEVEN)
    outcomes = await bot.wake_reminders()
    message = await fake.wait_for_message(fake.channel_id, timeout=5)

    assert [(o.kind, o.title) for o in outcomes] == [("sent", "Opening Ceremony")]
    assert outcomes[0].message_id == message["id"]
    assert message["embeds"][0]["title"] == "Starting in 10 minutes: Opening Ceremony"
    reminder_fields = {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}
    assert reminder_fields["Room"] == "Curie"
    assert message["nonce"].startswith("r-") and len(message["nonce"]) <= 25
    payload = channel_posts(fake)[-1]
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["enforce_nonce"] is True

    assert await bot.wake_reminders() == []  # the same talk is never reminded twice
    assert len(fake.channel_messages(fake.channel_id)) == 1
    assert fake.unhandled == [] and fake.errors == []


async def test_status_list_and_unsubscribe(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock, admin: JSON
) -> None:
    await remind(fake, admin, "subscribe", minutes=10, room="curie")
    clock.set(TEN_TO_ELEVEN)
    await bot.wake_reminders()

    status = await remind(fake, admin, "status")
    listed = await remind(fake, admin, "list")
    off = await remind(fake, admin, "unsubscribe")

    assert embed(status)["title"] == "Reminder status"
    [(name, value)] = fields(status).items()
    assert 'room matching "curie"' in name
    assert "Next: card10 Badge" in value and "1 sent" in value
    assert embed(listed)["title"] == "Reminder subscriptions"
    assert f"in channel {fake.channel_id}:" in embed(listed)["description"]
    assert embed(off)["title"] == "Reminders unsubscribed"
    for result in (status, listed, off):
        assert result.ephemeral

    clock.set(clock.now() + timedelta(hours=1))  # 11:50: card10 Badge at 12:00 in Curie
    assert await bot.wake_reminders() == []
    assert len(fake.channel_messages(fake.channel_id)) == 1
    nothing = await remind(fake, admin, "unsubscribe")
    assert embed(nothing)["description"] == "This channel has no reminder subscription."


async def test_another_channel_and_one_conference(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock, admin: JSON
) -> None:
    talks = fake.add_channel("talks")
    await eventually(lambda: bot.get_channel(talks) is not None)

    result = await remind(fake, admin, "subscribe", minutes=5, conference="camp2019", channel=talks)

    assert embed(result)["title"] == "Reminders subscribed"
    assert bot.reminders is not None
    [sub] = await bot.reminders.subscriptions()
    assert (sub.channel_id, sub.conference, sub.minutes_before) == (str(talks), "camp2019", 5)
    assert (sub.filter_kind, sub.guild_id) == ("all", str(fake.guild_id))
    clock.set(datetime(2019, 8, 21, 10, 55, tzinfo=BERLIN))
    assert [o.kind for o in await bot.wake_reminders()] == ["sent"]
    [message] = fake.channel_messages(talks)
    assert message["embeds"][0]["title"] == "Starting in 5 minutes: Opening Ceremony"
    assert fake.channel_messages(fake.channel_id) == []


@pytest.mark.parametrize(
    ("options", "explained"),
    [
        ({"minutes": 0, "room": "curie"}, "0 minutes is out of range; give 1 to 1440"),
        ({"minutes": 10, "room": "nowhere"}, "No talk is in a room matching 'nowhere'"),
        ({"minutes": 10, "room": "curie", "track": "art"}, "a room or a track, not both"),
        ({"minutes": 10, "conference": "nocon"}, "No conference \\`nocon\\`; known:"),
    ],
)
async def test_bad_input_is_explained_ephemerally_and_nothing_is_stored(
    fake: FakeDiscord, bot: ConfBot, admin: JSON, options: JSON, explained: str
) -> None:
    result = await remind(fake, admin, "subscribe", **options)

    assert result.ephemeral
    assert explained in embed(result)["description"]
    assert bot.reminders is not None
    assert await bot.reminders.subscriptions() == []


async def test_remind_is_hidden_from_members_without_manage_server(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    with pytest.raises(PermissionError):
        await fake.invoke("remind", {"minutes": 10}, subcommand="subscribe")


async def test_a_member_without_manage_server_is_refused_at_run_time(
    camp_db: Database, clock: FakeClock
) -> None:
    async with FakeDiscord(enforce_command_visibility=False) as fake:
        async for bot in _bot(fake, camp_db, clock):
            refused = await fake.invoke(
                "remind", {"minutes": 10, "room": "curie"}, subcommand="subscribe"
            )
            listed = await fake.invoke("remind", subcommand="list")

            assert refused.ephemeral and listed.ephemeral
            assert refused.content == (
                "You need the Manage Server permission to use /remind subscribe."
            )
            assert bot.reminders is not None
            assert await bot.reminders.subscriptions() == []


async def test_room_and_conference_autocomplete(
    fake: FakeDiscord, bot: ConfBot, admin: JSON
) -> None:
    rooms = await fake.autocomplete(
        "remind",
        {"minutes": 10, "room": "cu"},
        focused="room",
        subcommand="subscribe",
        user=admin,
    )
    conferences = await fake.autocomplete(
        "remind", {"conference": "camp"}, focused="conference", subcommand="subscribe", user=admin
    )

    assert {"name": "Curie", "value": "Curie"} in rooms
    assert [c["value"] for c in conferences] == ["camp2019"]


async def reimport(db: Database, change: Callable[[Any], Any | None]) -> None:
    """Import the camp again with each talk passed through `change` (None drops it)."""
    sample = load_schedule(SHARED / "samples" / "frab-camp2019.json")
    talks = tuple(t for t in (change(talk) for talk in sample.talks) if t is not None)
    await replace_conferences(db, [replace(sample, talks=talks)], origin="import")


async def test_a_reminded_channel_is_told_once_when_the_talk_is_cancelled(
    fake: FakeDiscord, bot: ConfBot, camp_db: Database, clock: FakeClock, admin: JSON
) -> None:
    await remind(fake, admin, "subscribe", minutes=10, room="curie")
    clock.set(TEN_TO_ELEVEN)
    await bot.wake_reminders()
    await fake.wait_for_message(fake.channel_id, timeout=5)

    def retitle(talk: Any) -> Any:  # a title that tries to ping everyone
        return (
            replace(talk, title="Opening @everyone") if talk.title == "Opening Ceremony" else talk
        )

    def cancel(talk: Any) -> Any | None:
        return None if talk.title == "Opening Ceremony" else talk

    await reimport(camp_db, retitle)
    clock.set(TEN_TO_ELEVEN + timedelta(minutes=1))
    await bot.wake_reminders()  # the title changed: nothing to tell
    await reimport(camp_db, cancel)
    clock.set(TEN_TO_ELEVEN + timedelta(minutes=2))
    outcomes = await bot.wake_reminders()

    assert [o.kind for o in outcomes] == ["sent"]
    reminder, notice = fake.channel_messages(fake.channel_id)
    assert notice["embeds"][0]["title"] == "Talk cancelled"
    description = notice["embeds"][0]["description"]
    assert description.startswith("Cancelled: **Opening @") and "(was 11:00, Curie)" in description
    assert "@everyone" not in description  # escaped, and no mention is parsed anyway
    assert notice["nonce"] != reminder["nonce"] and len(notice["nonce"]) <= 25
    assert channel_posts(fake)[-1]["allowed_mentions"] == {"parse": []}

    await reimport(camp_db, cancel)  # the same export again, and another run: nothing more
    clock.set(TEN_TO_ELEVEN + timedelta(minutes=3))
    assert await bot.wake_reminders() == []
    assert len(fake.channel_messages(fake.channel_id)) == 2
    assert fake.unhandled == [] and fake.errors == []


async def test_a_reminded_talk_that_moves_is_reminded_again_at_its_new_time(
    fake: FakeDiscord, bot: ConfBot, camp_db: Database, clock: FakeClock, admin: JSON
) -> None:
    await remind(fake, admin, "subscribe", minutes=10, room="curie")
    clock.set(TEN_TO_ELEVEN)
    await bot.wake_reminders()
    half_past = datetime(2019, 8, 21, 11, 30, tzinfo=BERLIN)

    def move(talk: Any) -> Any:
        if talk.title != "Opening Ceremony":
            return talk
        return replace(talk, starts_at=half_past, ends_at=half_past + timedelta(minutes=30))

    await reimport(camp_db, move)
    clock.set(half_past - timedelta(minutes=11))
    assert await bot.wake_reminders() == []
    clock.set(half_past - timedelta(minutes=10))
    assert [(o.kind, o.title) for o in await bot.wake_reminders()] == [("sent", "Opening Ceremony")]
    _, again = fake.channel_messages(fake.channel_id)
    assert again["embeds"][0]["title"] == "Moved, now starting in 10 minutes: Opening Ceremony"
    moved = {f["name"]: f["value"] for f in again["embeds"][0]["fields"]}
    assert moved["Moved from"] == "Wednesday 21 August 11:00 CEST (09:00 UTC)"
    assert moved["Time"] == "Wednesday 21 August 11:30 CEST (09:30 UTC)"
    clock.set(half_past - timedelta(minutes=5))
    assert await bot.wake_reminders() == []
