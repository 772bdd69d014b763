"""The Discord front end end to end: the real discord.py client runs `ConfBot` against
`FakeDiscord` over HTTP and the gateway, over real SQLite with the bundled data.

Every command and its autocomplete, the ambiguity flow, buttons across a restart, the /wisdom
admin commands and their permission gate, the daily post at a simulated time (an injected
clock; nothing waits for the wall clock), deleted and denied channels, a dropped gateway, a
burst of concurrent commands, errors, and running, syncing and logging through `serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands

from bot.answer import Answer
from bot.commands.invocation import Invocation
from bot.commands.registry import NOBODY, Caller
from bot.config import DiscordSettings, Secret
from bot.core import Core
from bot.frontends.discord import (
    ConfBot,
    DiscordStartError,
    fetch_application_id,
    invite_url,
    serve,
    sync_commands,
)
from bot.frontends.discord.components import QueryStash
from bot.frontends.discord.errors import ERROR_LINE
from bot.frontends.discord.start import TOKEN_REJECTED
from bot.wisdom import Outcome
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, InteractionResult, running_bot, use_fake_discord
from tests.fakes.waiting import eventually

JSON = dict[str, Any]
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
# 2024-06-03 is a Monday; Amsterdam is on CEST (UTC+2), so 09:00 local is 07:00 UTC.
MONDAY_8AM_AMSTERDAM = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)


@pytest.fixture
async def lenient_fake() -> AsyncIterator[FakeDiscord]:
    """A fake that lets a user run a command Discord would hide from them."""
    async with FakeDiscord(enforce_command_visibility=False) as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_8AM_AMSTERDAM)


@contextlib.asynccontextmanager
async def started(
    fake: FakeDiscord, core: Core, clock: FakeClock | None = None, **options: Any
) -> AsyncIterator[ConfBot]:
    """ConfBot logged in and ready against `fake`, its commands synced globally."""
    options.setdefault("wisdom_interval", 3600.0)
    bot = ConfBot(core, core.db, clock=clock, guild_ready_timeout=0.05, **options)
    async with running_bot(bot, fake):
        await bot.tree.sync()
        yield bot


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core, clock: FakeClock) -> AsyncIterator[ConfBot]:
    async with started(fake, core, clock) as bot:
        yield bot


def embed(result: InteractionResult) -> JSON:
    assert result.embeds, f"no embed in {result!r}"
    return result.embeds[0]


def fields(result: InteractionResult) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed(result).get("fields", [])}


def callback_payloads(fake: FakeDiscord) -> list[JSON]:
    return [r.json for r in fake.requests_to("/callback", "POST") if r.json]


def select_values(result: InteractionResult) -> list[str]:
    for row in result.components:
        for item in row["components"]:
            if item["type"] == 3:
                return [option["value"] for option in item["options"]]
    return []


def assert_clean(fake: FakeDiscord) -> None:
    """Discord refused nothing the bot sent and the bot used no route the fake lacks."""
    assert fake.unhandled == []
    refused = [(r.method, r.path, r.status, r.response) for r in fake.errors]
    assert refused == []


# -- the command definitions -------------------------------------------------------------------


async def test_every_cog_loads_with_unique_commands_within_discord_limits(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    names = [c.name for c in bot.tree.get_commands(type=discord.AppCommandType.chat_input)]
    menus = [c.name for c in bot.tree.get_commands(type=discord.AppCommandType.message)]
    assert menus == ["Save as nugget"]  # the message commands of the table
    assert sorted(names) == [
        "agenda",
        "conference",
        "follow",
        "next",
        "now",
        "nugget",
        "programme",
        "remind",
        "schedule",
        "search",
        "source",
        "speaker",
        "talk",
        "unfollow",
        "wisdom",
    ]
    assert len(names) == len(set(names))
    for command in bot.tree.walk_commands():
        assert COMMAND_NAME.match(command.name) and command.name == command.name.lower()
        assert 1 <= len(command.description) <= 100, command.qualified_name
        if isinstance(command, app_commands.Command):
            assert len(command.parameters) <= 25
            for parameter in command.parameters:
                assert COMMAND_NAME.match(parameter.display_name), parameter.display_name
                assert 1 <= len(parameter.description) <= 100, parameter.display_name
    registered = {c["name"]: c for c in fake.commands() if c["type"] == 1}
    assert set(registered) == set(names)
    assert [c["name"] for c in fake.commands() if c["type"] == 3] == menus
    required = registered["wisdom"]["default_member_permissions"]
    assert int(required) == discord.Permissions(manage_guild=True).value
    wisdom_subcommands = {o["name"] for o in registered["wisdom"]["options"]}
    assert wisdom_subcommands == {"subscribe", "unsubscribe", "status", "preview", "now"}
    required = registered["remind"]["default_member_permissions"]
    assert int(required) == discord.Permissions(manage_guild=True).value
    remind_subcommands = {o["name"] for o in registered["remind"]["options"]}
    assert remind_subcommands == {"subscribe", "unsubscribe", "status", "list"}
    required = registered["programme"]["default_member_permissions"]
    assert int(required) == discord.Permissions(manage_guild=True).value
    programme_subcommands = {o["name"] for o in registered["programme"]["options"]}
    assert programme_subcommands == {"subscribe", "unsubscribe", "subscriptions"}
    assert_clean(fake)


async def test_the_bot_asks_for_no_privileged_intent(fake: FakeDiscord, bot: ConfBot) -> None:
    intents = discord.Intents._from_value(int(fake.identify_payloads[0]["intents"]))

    assert intents.guilds
    assert not (intents.members or intents.presences or intents.message_content)


# -- /talk ------------------------------------------------------------------------------------


async def test_talk_answers_with_a_rich_embed(fake: FakeDiscord, bot: ConfBot) -> None:
    result = await fake.invoke("talk", {"query": "keynote"})

    assert result.type == 4 and not result.ephemeral
    assert embed(result)["title"] == "An ML Fairytale"
    assert "Vectorella" in embed(result)["description"]
    assert fields(result)["Speaker"] == "Vicki Boykis"
    assert fields(result)["Conference"] == "NormConf 2022"
    assert "fancy crontab" in "".join(f["value"] for f in embed(result)["fields"])
    assert result.custom_ids == ["cf:a:nugget?query=normconf-2022/an-ml-fairytale"]
    assert callback_payloads(fake)[-1]["data"]["allowed_mentions"] == {"parse": []}
    assert fake.channel_messages(fake.channel_id) == [result.message]
    assert_clean(fake)


async def test_talk_autocomplete_offers_at_most_25_talks(fake: FakeDiscord, bot: ConfBot) -> None:
    choices = await fake.autocomplete("talk", {"query": "fairy"})
    everything = await fake.autocomplete("talk", {"query": ""})

    assert {
        "name": "An ML Fairytale · Vicki Boykis · NormConf 2022",
        "value": "normconf-2022/an-ml-fairytale",
    } in choices
    assert 0 < len(everything) <= 25
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in everything)
    picked = await fake.invoke("talk", {"query": choices[0]["value"]})
    assert embed(picked)["title"] == "An ML Fairytale"


async def test_an_ambiguous_talk_is_picked_from_a_select_menu(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    ambiguous = await fake.invoke("talk", {"query": "data"})
    assert embed(ambiguous)["title"].startswith("Several talks match")
    values = select_values(ambiguous)
    assert len(values) >= 2 and ambiguous.custom_ids[0] == "cf:pick:e"

    picked = await fake.click(ambiguous, "cf:pick:e", values=[values[1]])

    assert picked.type == 7  # the message itself now shows the chosen talk
    assert picked.message_id == ambiguous.message_id
    assert embed(ambiguous)["title"] == "Data management"
    assert "Conference" in fields(ambiguous)
    assert_clean(fake)


async def test_no_match_is_ephemeral_with_suggestions_to_pick(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    missed = await fake.invoke("talk", {"query": "vectorella unicorn"})
    nothing = await fake.invoke("talk", {"query": "zzqxw qqqv"})

    assert missed.ephemeral and embed(missed)["title"] == "No talk found"
    assert "Did you mean" in embed(missed)["description"]
    assert nothing.ephemeral and nothing.components == []
    assert fake.channel_messages(fake.channel_id) == []
    picked = await fake.click(missed, "cf:pick:e", values=select_values(missed)[:1])
    assert picked.type == 7 and picked.ephemeral  # the private message becomes the talk
    assert embed(missed)["title"] == "An ML Fairytale"


async def test_talk_works_in_a_direct_message(fake: FakeDiscord, bot: ConfBot) -> None:
    stranger = fake.add_user("sam")

    result = await fake.invoke("talk", {"query": "keynote"}, user=stranger, guild_id=None)

    assert embed(result)["title"] == "An ML Fairytale"


# -- /speaker ---------------------------------------------------------------------------------


async def test_speaker_autocompletes_and_answers_with_talks(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    choices = await fake.autocomplete("speaker", {"query": "vic"})
    assert "Vicki Boykis" in {c["value"] for c in choices}

    result = await fake.invoke("speaker", {"query": "Vicki Boykis"})

    assert embed(result)["title"] == "Vicki Boykis"
    assert "An ML Fairytale" in fields(result)["Talk"]
    assert result.custom_ids == ["cf:pick:n", "cf:a:nugget?query=Vicki Boykis"]
    opened = await fake.click(result, "cf:pick:n", values=select_values(result)[:1])
    assert opened.type == 4 and opened.message_id != result.message_id
    assert embed(opened)["title"] == "An ML Fairytale"
    assert_clean(fake)


# -- /nugget ----------------------------------------------------------------------------------


async def test_nugget_has_an_another_one_button(fake: FakeDiscord, bot: ConfBot) -> None:
    result = await fake.invoke("nugget", {"speaker": "Vicki Boykis"}, subcommand="random")

    assert embed(result)["title"] == "Nugget of wisdom"
    assert fields(result)["Said by"] == "Vicki Boykis"
    another = await fake.click(result, "cf:a:nugget random?speaker=Vicki Boykis")
    assert another.type == 4 and another.message_id != result.message_id
    assert fields(another)["Said by"] == "Vicki Boykis"
    anything = await fake.invoke("nugget", subcommand="random")
    assert embed(anything)["title"] == "Nugget of wisdom"
    assert anything.custom_ids == ["cf:a:nugget random?"]
    assert_clean(fake)


async def test_nugget_options_autocomplete_speakers_and_talks(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    speakers = await fake.autocomplete(
        "nugget", {"speaker": "vick"}, focused="speaker", subcommand="random"
    )
    talks = await fake.autocomplete(
        "nugget", {"talk": "fairy"}, focused="talk", subcommand="random"
    )

    assert speakers[0]["value"] == "Vicki Boykis"
    assert talks[0]["value"] == "normconf-2022/an-ml-fairytale"
    from_talk = await fake.invoke("nugget", {"talk": talks[0]["value"]}, subcommand="random")
    assert "An ML Fairytale" in fields(from_talk)["Talk"]


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, core: Core) -> None:
    async with started(fake, core) as first:
        result = await fake.invoke("nugget", {"speaker": "Vicki Boykis"}, subcommand="random")
        await eventually(lambda: first.served == 1)

    async with started(fake, core):
        another = await fake.click(result, "cf:a:nugget random?speaker=Vicki Boykis")

    assert fields(another)["Said by"] == "Vicki Boykis"


async def test_a_long_query_pages_through_the_stash_until_it_is_forgotten(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    long_query = "data model team zebra " * 5  # no talk has all: any word, 3 pages
    first = await fake.invoke("search", {"text": long_query})
    next_id = first.custom_ids[-1]
    assert "#" in next_id and len(next_id) <= 100  # too long for a custom_id: stashed

    second = await fake.click(first, next_id)
    assert second.type == 7 and embed(first)["footer"]["text"].endswith("Page 2 of 3")

    bot.stash = QueryStash()  # what a restart forgets
    previous_id = first.custom_ids[-2]
    expired = await fake.click(first, previous_id)

    assert expired.ephemeral and expired.content is not None and "expired" in expired.content
    assert embed(first)["footer"]["text"].endswith("Page 2 of 3")  # left as it was


# -- /search ----------------------------------------------------------------------------------


async def test_search_shows_ranked_hits_with_snippets_and_pages(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    first = await fake.invoke("search", {"text": "data"})

    assert embed(first)["title"] == "Search: data"
    hits = embed(first)["fields"]
    assert 1 <= len(hits) <= 5 and any("**" in hit["value"] for hit in hits)
    assert embed(first)["footer"]["text"].endswith("Page 1 of 2")
    next_id = first.custom_ids[-1]
    assert next_id == "cf:r:search?page=2&text=data"

    second = await fake.click(first, next_id)

    assert second.type == 7 and second.message_id == first.message_id
    assert embed(first)["footer"]["text"].endswith("Page 2 of 2")
    back = await fake.click(first, "cf:r:search?page=1&text=data")
    assert embed(back)["footer"]["text"].endswith("Page 1 of 2")
    assert_clean(fake)


async def test_search_narrowed_to_a_conference_keeps_it_on_the_next_page(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    first = await fake.invoke("search", {"text": "data", "conference": "normconf-2022"})
    assert embed(first)["description"] == "6 talk(s) match."
    assert embed(first)["footer"]["text"].endswith("Page 1 of 2")

    second = await fake.click(first, first.custom_ids[-1])  # Next ▶

    assert embed(first)["footer"]["text"].endswith("Page 2 of 2")
    assert embed(first)["description"] == "6 talk(s) match."  # not every conference's talks
    assert second.type == 7


async def server_uses(fake: FakeDiscord, slugs: str) -> None:
    """An admin of the fake's server says which conference(s) it is about."""
    admin = fake.add_member("ada", admin=True)
    used = await fake.invoke("conference", {"slugs": slugs}, subcommand="use", user=admin)
    assert f"default to {slugs}" in embed(used)["description"]


async def test_a_server_that_uses_a_conference_searches_it_on_every_page(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    await server_uses(fake, "normconf-2022")

    first = await fake.invoke("search", {"text": "data"})
    next_id = first.custom_ids[-1]
    await fake.click(first, next_id)  # Next ▶, pressed by another member of the server

    assert next_id == "cf:r:search?page=2&text=data"  # the default is not carried
    assert embed(first)["footer"]["text"].endswith("Page 2 of 2")
    assert embed(first)["description"] == "6 talk(s) match in normconf-2022."
    assert_clean(fake)


async def test_talk_and_speaker_default_to_the_servers_conference(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    await server_uses(fake, "tumocon-2023")

    talk = await fake.invoke("talk", {"query": "fairytale"})
    reached = await fake.invoke("talk", {"query": "fairytale", "conference": "normconf-2022"})
    speaker = await fake.invoke("speaker", {"query": "vicki"})
    unknown = await fake.invoke("speaker", {"query": "vicki", "conference": "nosuch"})

    assert embed(talk)["title"] == "No talk found"
    assert "in tumocon-2023" in embed(talk)["description"]
    assert embed(reached)["title"] == "An ML Fairytale"
    assert embed(speaker)["title"] == "No speaker found"
    # The embed escapes Markdown: the backticks show as typed.
    escaped = "No conference \\`nosuch\\`; known: normconf-2022, tumocon-2023."
    assert escaped in embed(unknown)["description"]
    assert_clean(fake)


async def test_autocomplete_stays_in_the_servers_conference(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    await server_uses(fake, "tumocon-2023")

    talks = await fake.autocomplete("talk", {"query": ""})
    speakers = await fake.autocomplete(
        "nugget", {"speaker": "vick"}, focused="speaker", subcommand="random"
    )
    asked = await fake.autocomplete(
        "nugget",
        {"speaker": "vick", "conference": "normconf-2022"},
        focused="speaker",
        subcommand="random",
    )

    assert talks and all(c["name"].endswith("TuMoCon 2023") for c in talks)
    assert speakers == []
    assert [c["value"] for c in asked] == ["Vicki Boykis"]


async def test_an_admin_picks_the_servers_conference_from_the_list(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    admin = fake.add_member("ada", admin=True)
    listed = await fake.invoke("conference", subcommand="list", user=admin)
    values = select_values(listed)

    picked = await fake.click(listed, "cf:pick:n", values=values[1:2], user=admin)
    narrowed = [
        fields(await fake.invoke("nugget", {}, subcommand="random"))["Talk"] for _ in range(5)
    ]
    reached = await fake.invoke("nugget", {"conference": "normconf-2022"}, subcommand="random")

    assert "Commands here now default to tumocon-2023" in embed(picked)["description"]
    assert all(talk.endswith("(TuMoCon 2023)") for talk in narrowed)
    assert fields(reached)["Talk"].endswith("(NormConf 2022)")


async def test_search_offers_the_conference_option_with_autocomplete(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    choices = await fake.autocomplete(
        "search", {"text": "data", "conference": "norm"}, focused="conference"
    )
    assert [c["value"] for c in choices] == ["normconf-2022"]


# -- /wisdom: admin commands and the permission gate ------------------------------------------


async def subscribe(
    fake: FakeDiscord, admin: JSON, channel_id: int, when: str = "09:00"
) -> InteractionResult:
    return await fake.invoke(
        "wisdom",
        {"channel": channel_id, "time": when, "timezone": "Europe/Amsterdam"},
        subcommand="subscribe",
        user=admin,
    )


async def test_wisdom_admin_commands_answer_ephemerally(fake: FakeDiscord, bot: ConfBot) -> None:
    admin = fake.add_member("ada", admin=True)

    subscribed = await subscribe(fake, admin, fake.channel_id)
    status = await fake.invoke("wisdom", subcommand="status", user=admin)
    preview = await fake.invoke("wisdom", subcommand="preview", user=admin)
    now = await fake.invoke("wisdom", subcommand="now", user=admin)
    again = await fake.invoke("wisdom", subcommand="now", user=admin)
    off = await fake.invoke("wisdom", subcommand="unsubscribe", user=admin)

    assert embed(subscribed)["title"] == "Daily wisdom subscribed"
    assert "09:00 Europe/Amsterdam" in embed(subscribed)["description"]
    assert embed(status)["title"] == "Daily wisdom status"
    assert embed(preview)["title"].startswith("Preview")
    assert embed(now)["title"] == "Posted"
    assert embed(again)["title"] == "Daily wisdom"  # refused: today's nugget is out
    assert "already posted" in embed(again)["description"]
    assert embed(off)["title"] == "Daily wisdom unsubscribed"
    for result in (subscribed, status, preview, now, again, off):
        assert result.ephemeral, result
    posted = fake.channel_messages(fake.channel_id)
    assert len(posted) == 1 and posted[0]["embeds"][0]["title"].startswith("Nugget of wisdom")
    assert posted[0]["nonce"].startswith("wisdom-")
    assert_clean(fake)


async def test_wisdom_is_hidden_from_members_without_manage_server(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    with pytest.raises(PermissionError):
        await fake.invoke("wisdom", subcommand="status")


async def test_a_member_without_manage_server_is_refused_at_run_time(
    lenient_fake: FakeDiscord, core: Core, clock: FakeClock
) -> None:
    fake = lenient_fake
    async with started(fake, core, clock) as bot:
        refused = await subscribe(fake, fake.default_user, fake.channel_id)
        status = await fake.invoke("wisdom", subcommand="status")

        assert refused.ephemeral and status.ephemeral
        assert refused.content == "You need the Manage Server permission to use /wisdom subscribe."
        assert bot.wisdom is not None
        assert await bot.wisdom.subscriptions() == []
        assert_clean(fake)


async def test_wisdom_timezone_autocompletes_iana_names(fake: FakeDiscord, bot: ConfBot) -> None:
    admin = fake.add_member("ada", admin=True)

    found = await fake.autocomplete(
        "wisdom",
        {"channel": fake.channel_id, "time": "09:00", "timezone": "amster"},
        focused="timezone",
        subcommand="subscribe",
        user=admin,
    )
    common = await fake.autocomplete(
        "wisdom", {"timezone": ""}, focused="timezone", subcommand="subscribe", user=admin
    )

    assert found[0] == {"name": "Europe/Amsterdam", "value": "Europe/Amsterdam"}
    assert 0 < len(common) <= 25 and {"name": "UTC", "value": "UTC"} in common


async def test_bad_wisdom_input_is_explained_ephemerally(fake: FakeDiscord, bot: ConfBot) -> None:
    admin = fake.add_member("ada", admin=True)

    result = await fake.invoke(
        "wisdom",
        {"channel": fake.channel_id, "time": "9am", "timezone": "Mars/Olympus"},
        subcommand="subscribe",
        user=admin,
    )

    assert result.ephemeral
    text = embed(result)["description"]
    assert "09:00" in text and "Mars/Olympus" in text


async def test_subscribing_a_channel_the_bot_cannot_post_in_is_refused(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    admin = fake.add_member("ada", admin=True)
    locked = fake.add_channel("locked")
    fake.deny_channel(locked)
    await eventually(lambda: _denied(bot, locked))  # the CHANNEL_UPDATE reached the cache

    result = await subscribe(fake, admin, locked)

    assert result.ephemeral and "cannot post" in embed(result)["description"]


def _denied(bot: ConfBot, channel_id: int) -> bool:
    channel = bot.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        return False
    return not channel.permissions_for(channel.guild.me).send_messages


# -- the daily post ---------------------------------------------------------------------------


async def test_the_daily_post_arrives_at_the_simulated_time_once(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock
) -> None:
    admin = fake.add_member("ada", admin=True)
    await subscribe(fake, admin, fake.channel_id, "09:00")

    assert await bot.wake_wisdom() == []  # 08:00 in Amsterdam: nothing due yet
    assert fake.channel_messages(fake.channel_id) == []

    clock.set(MONDAY_8AM_AMSTERDAM + timedelta(hours=1, seconds=5))  # 09:00:05 local
    outcomes = await bot.wake_wisdom()
    message = await fake.wait_for_message(fake.channel_id, timeout=5)

    assert [o.kind for o in outcomes] == ["sent"]
    assert outcomes[0].message_id == message["id"]
    assert message["embeds"][0]["title"] == "Nugget of wisdom for Monday 3 June"
    assert message["nonce"] == "wisdom-1-20240603"
    assert callback_free_payload(fake)["allowed_mentions"] == {"parse": []}
    assert callback_free_payload(fake)["enforce_nonce"] is True

    assert await bot.wake_wisdom() == []  # the same day never posts twice
    clock.set(clock.now() + timedelta(days=1))
    await bot.wake_wisdom()
    tuesday = await fake.wait_for_message(fake.channel_id, timeout=5)
    assert tuesday["embeds"][0]["title"] == "Nugget of wisdom for Tuesday 4 June"
    assert tuesday["embeds"][0]["description"] != message["embeds"][0]["description"]
    assert len(fake.channel_messages(fake.channel_id)) == 2
    assert_clean(fake)


def callback_free_payload(fake: FakeDiscord) -> JSON:
    """The last channel post the bot made (not an interaction answer)."""
    posts = [r for r in fake.requests_to("/messages", "POST") if r.path.startswith("/channels/")]
    payload = posts[-1].json
    assert isinstance(payload, dict)
    return payload


async def _post_fails(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock, channel_id: int
) -> list[Outcome]:
    clock.set(MONDAY_8AM_AMSTERDAM + timedelta(hours=1, minutes=1))
    return await bot.wake_wisdom()


async def test_a_deleted_channel_is_a_permanent_failure(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock
) -> None:
    admin = fake.add_member("ada", admin=True)
    doomed = fake.add_channel("doomed")
    await eventually(lambda: bot.get_channel(doomed) is not None)
    await subscribe(fake, admin, doomed)
    fake.delete_channel(doomed)

    outcomes = await _post_fails(fake, bot, clock, doomed)

    assert [o.kind for o in outcomes] == ["retry"]
    assert "no longer exists" in outcomes[0].detail
    status = await fake.invoke(
        "wisdom", {"channel": fake.channel_id}, subcommand="status", user=admin
    )
    assert embed(status)["title"] == "Daily wisdom"  # #general itself has no subscription
    assert bot.wisdom is not None
    record = await bot.wisdom.status(str(doomed))
    assert record is not None and record.subscription.failures == 1
    assert "10003" in (record.subscription.last_error or "")


async def test_a_channel_the_bot_may_not_post_in_is_a_permanent_failure(
    fake: FakeDiscord, bot: ConfBot, clock: FakeClock
) -> None:
    admin = fake.add_member("ada", admin=True)
    await subscribe(fake, admin, fake.channel_id)
    fake.deny_channel(fake.channel_id)

    outcomes = await _post_fails(fake, bot, clock, fake.channel_id)

    assert [o.kind for o in outcomes] == ["retry"]
    assert "50013" in outcomes[0].detail
    status = await fake.invoke("wisdom", subcommand="status", user=admin)
    assert "50013" in fields(status)["Last error"]
    assert fake.channel_messages(fake.channel_id) == []


async def test_the_post_loop_starts_in_setup_hook(fake: FakeDiscord, core: Core) -> None:
    bot = ConfBot(core, core.db, guild_ready_timeout=0.05, wisdom_interval=3600.0)
    with use_fake_discord(fake):
        async with bot:
            await bot.login(fake.token)  # not connected, never ready: the loop runs anyway
            assert bot._wisdom_task is not None and not bot._wisdom_task.done()
            assert bot.is_ready() is False
            assert await asyncio.wait_for(bot.wake_wisdom(), 5) == []


# -- the gateway and load ---------------------------------------------------------------------


async def test_a_dropped_gateway_mid_use_is_resumed(fake: FakeDiscord, bot: ConfBot) -> None:
    before = await fake.invoke("talk", {"query": "keynote"})

    await fake.drop_connection(wait=False)
    during = await fake.invoke("speaker", {"query": "Vicki Boykis"})
    after = await fake.invoke("search", {"text": "crontab"})

    assert embed(before)["title"] == "An ML Fairytale"
    assert embed(during)["title"] == "Vicki Boykis"
    assert embed(after)["title"] == "Search: crontab"
    assert (fake.resume_count, fake.identify_count) == (1, 1)
    assert_clean(fake)


async def test_a_burst_of_concurrent_commands_is_all_answered(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    queries = ["keynote", "data", "crontab", "vicki", "docker", "fairytale"]

    async def one(i: int) -> InteractionResult:
        match i % 4:
            case 0:
                return await fake.invoke("talk", {"query": queries[i % len(queries)]})
            case 1:
                return await fake.invoke("search", {"text": queries[i % len(queries)]})
            case 2:
                return await fake.invoke("speaker", {"query": "vicki"})
            case _:
                return await fake.invoke("nugget", subcommand="random")

    results = await asyncio.gather(*(one(i) for i in range(120)))
    choices = await asyncio.gather(
        *(fake.autocomplete("talk", {"query": q[:2]}) for q in queries * 3)
    )

    # Each answered with its embed: at once, or (on a machine too busy to answer within the
    # bot's answer timeout) deferred and then completed; none lost, none failed.
    answered = [r for r in results if (r.type == 4 or (r.type == 5 and r.completed)) and r.embeds]
    assert answered == results, [r for r in results if r not in answered]
    assert all(len(c) <= 25 for c in choices)
    await eventually(lambda: bot.served == 120)
    assert_clean(fake)


# -- errors -----------------------------------------------------------------------------------


async def test_an_error_is_logged_with_its_traceback_and_answered_in_one_ephemeral_line(
    fake: FakeDiscord,
    bot: ConfBot,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(invocation: Invocation, caller: Caller = NOBODY) -> Answer:
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr(bot.core, "run", broken)
    with caplog.at_level(logging.ERROR, logger="confbot"):
        result = await fake.invoke("talk", {"query": "keynote"})

    assert result.ephemeral and result.content == ERROR_LINE
    record = next(r for r in caplog.records if r.name == "confbot.discord")
    assert record.exc_info is not None and "the database caught fire" in caplog.text
    assert "Traceback" in caplog.text
    assert fake.token not in caplog.text


async def test_a_slow_answer_is_deferred_and_an_error_after_it_uses_a_followup(
    fake: FakeDiscord, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with started(fake, core, answer_timeout=0.05) as bot:
        real_run = core.run

        async def slow(invocation: Invocation, caller: Caller = NOBODY) -> Answer:
            await asyncio.sleep(0.3)
            if invocation.get("query") == "boom":
                raise RuntimeError("late failure")
            return await real_run(invocation, caller)

        monkeypatch.setattr(bot.core, "run", slow)
        late = await fake.invoke("talk", {"query": "keynote"})
        failed = await fake.invoke("talk", {"query": "boom"})

    assert late.type == 5 and embed(late)["title"] == "An ML Fairytale"
    assert failed.type == 5
    assert failed.followups and failed.followups[-1]["content"] == ERROR_LINE
    assert failed.followups[-1]["flags"] & 64  # ephemeral


async def test_an_autocomplete_error_gives_no_choices(
    fake: FakeDiscord,
    bot: ConfBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(prefix: str, limit: int = 25, conferences: Any = ()) -> list[Any]:
        raise RuntimeError("no suggestions today")

    monkeypatch.setattr(bot.core, "suggest_talks", broken)
    with caplog.at_level(logging.ERROR, logger="confbot"):
        choices = await fake.autocomplete("talk", {"query": "fa"})

    assert choices == []
    assert "no suggestions today" in caplog.text


# -- running, syncing, logging ----------------------------------------------------------------


def settings_for(fake: FakeDiscord, token: str | None = None) -> DiscordSettings:
    return DiscordSettings(
        token=Secret(token if token is not None else fake.token),
        dev_guild=fake.guild_id,
        api_base=fake.api_base,
        gateway_url=fake.gateway_url,
    )


async def test_sync_registers_the_commands_in_a_dev_guild_or_globally(fake: FakeDiscord) -> None:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY

    in_guild = await sync_commands(settings_for(fake), fake.guild_id)
    assert {c["name"] for c in fake.commands(fake.guild_id)} == set(in_guild)
    assert fake.commands() == []
    everywhere = await sync_commands(settings_for(fake), None)

    assert (
        sorted(in_guild)
        == sorted(everywhere)
        == [
            "Save as nugget",  # the message command (type 3)
            *("agenda", "conference", "follow"),
            *("next", "now", "nugget", "programme", "remind", "schedule", "search", "source"),
            *("speaker", "talk", "unfollow", "wisdom"),
        ]
    )
    assert {c["name"] for c in fake.commands()} == set(everywhere)
    assert base == discord.http.Route.BASE  # the endpoints are put back
    assert gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    assert_clean(fake)


async def test_serve_runs_the_bot_through_the_configured_endpoints(
    fake: FakeDiscord, core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="confbot")
    await sync_commands(settings_for(fake), None)
    running = asyncio.create_task(
        serve(core, core.db, settings_for(fake), guild_ready_timeout=0.05)
    )
    try:
        await fake.wait_until_identified(timeout=10)
        result = await fake.invoke("talk", {"query": "keynote"})
        await eventually(lambda: "served /talk" in caplog.text and "ready as" in caplog.text)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

    assert embed(result)["title"] == "An ML Fairytale"
    assert "ready as confbot" in caplog.text and "FakeConf" in caplog.text
    assert "served /talk" in caplog.text
    assert fake.token not in caplog.text


async def test_a_rejected_token_is_one_clear_line(fake: FakeDiscord, core: Core) -> None:
    with pytest.raises(DiscordStartError) as rejected:
        await serve(core, core.db, settings_for(fake, token="not-the-token"))
    with pytest.raises(DiscordStartError) as unsynced:
        await sync_commands(settings_for(fake, token="not-the-token"), None)
    with pytest.raises(DiscordStartError) as empty:
        await serve(core, core.db, settings_for(fake, token=""))

    assert str(rejected.value) == TOKEN_REJECTED == str(unsynced.value)
    assert "not-the-token" not in str(rejected.value)
    assert rejected.value.__cause__ is None and rejected.value.__suppress_context__
    assert "DISCORD_TOKEN" in str(empty.value)


async def test_the_invite_url_is_for_the_tokens_application(fake: FakeDiscord) -> None:
    application_id = await fetch_application_id(settings_for(fake))

    assert application_id == fake.application_id
    assert f"client_id={fake.application_id}&" in invite_url(application_id)


async def test_an_unreachable_discord_is_one_clear_line(core: Core) -> None:
    settings = DiscordSettings(
        token=Secret("whatever"),
        api_base="http://127.0.0.1:9/api/v10",
        gateway_url="ws://127.0.0.1:9/gateway",
    )

    with pytest.raises(DiscordStartError) as unreachable:
        await serve(core, core.db, settings)

    assert "cannot reach the Discord API" in str(unreachable.value)
