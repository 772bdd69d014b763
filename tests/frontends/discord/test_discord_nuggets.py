"""Community nuggets on Discord, end to end: the real discord.py client against FakeDiscord.

"Save as nugget" from a message's context menu (type 3 application command), /nugget
submit with autocompleted speaker and talk, and an admin's review with Approve, Edit (a
modal) and Reject buttons; only then does /nugget random show it. Mentions never ping.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core import Core
from bot.frontends.discord import ConfBot
from bot.store.db import Database
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord, InteractionResult
from tests.frontends.discord.test_discord_e2e import (
    MONDAY_8AM_AMSTERDAM,
    assert_clean,
    embed,
    fields,
    started,
)

JSON = dict[str, Any]
FAIRYTALE = "normconf-2022/an-ml-fairytale"
WORDS = "She took all the orders that were placed in the United States."
QUOTE = f"@everyone {WORDS}"


@pytest.fixture
def core(bundled_db: Database) -> Core:
    return Core(bundled_db, rng=random.Random(5), clock=FakeClock(MONDAY_8AM_AMSTERDAM))


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core) -> AsyncIterator[ConfBot]:
    async with started(fake, core) as bot:
        yield bot


@pytest.fixture
def admin(fake: FakeDiscord) -> JSON:
    return fake.add_member("root", admin=True)


def button(result: InteractionResult, label: str) -> str:
    for row in result.components:
        for item in row["components"]:
            if item.get("label") == label:
                return str(item["custom_id"])
    raise AssertionError(f"no {label!r} button in {result.components}")


async def test_save_as_nugget_is_a_message_command_synced_with_the_slash_commands(
    fake: FakeDiscord, bot: ConfBot
) -> None:
    menu = fake.command("Save as nugget")
    assert menu is not None and menu["type"] == 3 and menu["description"] == ""
    group = fake.command("nugget")
    assert group is not None
    assert [o["name"] for o in group["options"]] == [
        "random",
        "submit",
        "review",
        "approve",
        "edit",
        "reject",
    ]


async def test_a_saved_message_is_queued_privately_with_its_link_and_reviewed_by_an_admin(
    fake: FakeDiscord, bot: ConfBot, admin: JSON
) -> None:
    message = fake.post_user_message(QUOTE)
    saved = await fake.invoke_message_command("Save as nugget", message)
    assert saved.ephemeral and embed(saved)["title"] == "Queued for review"
    assert fields(saved)["Said by"] == "unattributed"
    link = f"https://discord.com/channels/{fake.guild_id}/{message['channel_id']}/{message['id']}"

    refused = await fake.invoke("nugget", subcommand="review", user=fake.default_user)
    assert refused.ephemeral and refused.type == 4
    assert "Manage Server" in (refused.content or "") + str(refused.embeds)

    review = await fake.invoke("nugget", subcommand="review", user=admin)
    assert review.ephemeral and fields(review)["Where"] == link
    assert fields(review)["Talk"].startswith("not named yet")
    assert "Transcript" not in fields(review)  # no talk yet, so no transcript to look in
    edit = await fake.click(review, button(review, "Edit"), user=admin)
    assert edit.type == 9  # a modal, prefilled with the words as saved
    assert QUOTE in str(edit.data)
    edited = await fake.submit_modal(
        edit, {"text": WORDS, "talk": FAIRYTALE, "speaker": "Vicki Boykis"}, user=admin
    )
    assert embed(edited)["description"].startswith("Edited #1")
    assert fields(edited)["Talk"].startswith("An ML Fairytale")
    assert fields(edited)["Transcript"] == "found in the talk's transcript"

    approved = await fake.click(edited, button(edited, "Approve"), user=admin)
    assert embed(approved)["description"].startswith("Approved #1")
    seen = set()
    for _ in range(25):
        result = await fake.invoke("nugget", {"talk": FAIRYTALE}, subcommand="random")
        seen.add(embed(result)["description"])
    assert any("United States" in text for text in seen)
    for payload in [r.json for r in fake.requests_to("/callback", "POST") if r.json]:
        mentions = payload.get("data", {}).get("allowed_mentions")
        assert mentions is None or mentions.get("parse") == [], payload
    assert_clean(fake)


async def test_slash_submit_autocompletes_and_a_member_cannot_click_approve(
    fake: FakeDiscord, bot: ConfBot, admin: JSON
) -> None:
    talks = await fake.autocomplete(
        "nugget", {"talk": "fairy"}, focused="talk", subcommand="submit"
    )
    speakers = await fake.autocomplete(
        "nugget", {"speaker": "vick"}, focused="speaker", subcommand="submit"
    )
    assert talks and speakers
    queued = await fake.invoke(
        "nugget",
        {
            "text": "Counting is most of the real work here.",
            "talk": talks[0]["value"],
            "speaker": speakers[0]["value"],
        },
        subcommand="submit",
    )
    assert queued.ephemeral and fields(queued)["Said by"] == "Vicki Boykis"
    again = await fake.invoke(
        "nugget", {"text": "counting is MOST of the real work here!"}, subcommand="submit"
    )
    assert "already in the pool or waiting" in embed(again)["description"]

    review = await fake.invoke("nugget", subcommand="review", user=admin)
    member_click = await fake.click(review, button(review, "Reject"))
    assert "Only admins" in embed(member_click)["description"]
    rejected = await fake.click(review, button(review, "Reject"), user=admin)
    assert embed(rejected)["description"].startswith("Rejected #1")
    assert "Nothing is waiting" in embed(rejected)["description"]
    assert_clean(fake)
