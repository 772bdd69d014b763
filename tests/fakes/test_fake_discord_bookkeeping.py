"""The Discord fake's own bookkeeping, kept cheap per interaction and still exact: waiting
(`wait_until`), the copies it hands out, the answers it records, and MESSAGE_* events (sent
only to a bot with the intent, blanked without the message-content intent, the stored message
left as it is)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakes.discord import FakeDiscord, running_bot
from tests.fakes.discord.wire import _copy_json


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as fake:
        yield fake


# ------------------------------------------------------------------------------------ waiting


async def test_wait_until_returns_once_a_change_makes_the_predicate_true(
    fake: FakeDiscord,
) -> None:
    box: list[str] = []

    def change() -> None:
        box.append("there")
        fake._notify()

    asyncio.get_running_loop().call_later(0.01, change)

    assert await fake.wait_until(lambda: box[0] if box else None, timeout=2) == "there"
    assert fake._waiters == {}


async def test_wait_until_checks_each_waiter_once_per_turn_however_many_changes(
    fake: FakeDiscord,
) -> None:
    calls = 0
    done = False

    def predicate() -> bool | None:
        nonlocal calls
        calls += 1
        return True if done else None

    waiting = asyncio.create_task(fake.wait_until(predicate, timeout=2))
    await asyncio.sleep(0)  # the task checked once and waits
    for _ in range(100):
        fake._notify()
    await asyncio.sleep(0)  # one re-check for the hundred changes
    assert calls == 2
    done = True
    fake._notify()
    assert await waiting is True
    assert calls == 3


async def test_wait_until_times_out_with_what_it_waited_for(fake: FakeDiscord) -> None:
    with pytest.raises(TimeoutError, match=r"timed out after 0.05s waiting for the moon"):
        await fake.wait_until(lambda: None, timeout=0.05, what="the moon")
    with pytest.raises(TimeoutError, match="waiting for nothing"):
        await fake.wait_until(lambda: None, timeout=0, what="nothing")
    assert fake._waiters == {}


async def test_wait_until_checks_a_last_time_at_its_deadline(fake: FakeDiscord) -> None:
    box: list[int] = []
    # A change nobody announces: only the check at the deadline sees it.
    asyncio.get_running_loop().call_later(0.01, box.append, 7)

    assert await fake.wait_until(lambda: box[0] if box else None, timeout=0.1) == 7


async def test_a_predicate_that_raises_raises_in_the_waiting_task(fake: FakeDiscord) -> None:
    state = {"ok": True}

    def predicate() -> bool | None:
        if not state["ok"]:
            raise KeyError("gone")
        return None

    waiting = asyncio.create_task(fake.wait_until(predicate, timeout=2))
    await asyncio.sleep(0)
    state["ok"] = False
    fake._notify()
    with pytest.raises(KeyError, match="gone"):
        await waiting
    assert fake._waiters == {}


async def test_a_cancelled_wait_leaves_no_waiter(fake: FakeDiscord) -> None:
    waiting: asyncio.Task[None] = asyncio.create_task(fake.wait_until(lambda: None, timeout=5))
    await asyncio.sleep(0)
    assert len(fake._waiters) == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert fake._waiters == {}
    fake._notify()  # nothing left to wake


# ------------------------------------------------------------------------------------- copies


def test_a_json_copy_is_equal_and_shares_no_container() -> None:
    tree: dict[str, Any] = {
        "a": [1, 2.5, "x", None, True, {"b": [{"c": []}]}],
        "d": {"e": {}},
        "t": ([1], "y"),  # not JSON: copied by copy.deepcopy
    }
    copied = _copy_json(tree)

    assert copied == tree
    assert copied is not tree
    assert copied["a"] is not tree["a"]
    assert copied["a"][5]["b"][0]["c"] is not tree["a"][5]["b"][0]["c"]
    assert copied["d"]["e"] is not tree["d"]["e"]
    assert copied["t"][0] is not tree["t"][0]


def test_commands_and_members_are_handed_out_as_copies(fake: FakeDiscord) -> None:
    fake._commands[fake.guild_id] = [{"id": "1", "name": "ping", "type": 1, "options": []}]
    command = fake.command("ping", guild_id=fake.guild_id)
    assert command is not None
    command["options"].append({"name": "x"})
    assert fake._commands[fake.guild_id][0]["options"] == []

    member = fake.member(fake.default_user)
    member["roles"].append("1")
    member["user"]["username"] = "changed"
    assert fake._guilds[fake.guild_id].members[int(fake.default_user["id"])]["roles"] == []
    assert fake.default_user["username"] == "tester"


# ---------------------------------------------------------------------------------- records


async def test_a_recorded_answer_is_the_json_sent_then_even_after_later_edits(
    fake: FakeDiscord,
) -> None:
    headers = {"Authorization": f"Bot {fake.token}"}
    base = f"{fake.api_base}/channels/{fake.channel_id}/messages"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(base, json={"content": "first"}) as answer:
            sent = await answer.json()
        async with http.patch(f"{base}/{sent['id']}", json={"content": "second"}) as answer:
            assert answer.status == 200
        async with http.get(f"{fake.api_base}/nowhere") as answer:
            assert answer.status == 404

    post, edit, missing = fake.requests
    assert post.response == sent
    assert post.response["content"] == "first"
    assert fake.message(int(sent["id"]))["content"] == "second"
    assert edit.response["content"] == "second"
    assert (missing.status, missing.code, missing.response["message"]) == (
        404,
        0,
        "404: Not Found",
    )
    assert "'first'" in repr(post)
    post.response = {"replaced": True}
    assert post.response == {"replaced": True}


# --------------------------------------------------------------------------- message events


class _Listener(discord.Client):
    def __init__(self, intents: discord.Intents) -> None:
        super().__init__(intents=intents, guild_ready_timeout=0.05, chunk_guilds_at_startup=False)
        self.seen: asyncio.Queue[discord.Message] = asyncio.Queue()

    async def on_message(self, message: discord.Message) -> None:
        self.seen.put_nowait(message)


def _dispatched(fake: FakeDiscord, event: str) -> list[dict[str, Any]]:
    assert fake._session is not None
    frames = [json.loads(frame) for _, frame in fake._session.frames]
    return [f["d"] for f in frames if f["t"] == event]


async def test_message_events_follow_the_intents_and_leave_the_stored_message_alone(
    fake: FakeDiscord,
) -> None:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = True  # no message-content intent
    async with running_bot(_Listener(intents), fake) as bot:
        posted = fake.post_user_message("hello there")
        mentioned = fake.post_user_message(f"<@{fake.application_id}> hello")
        first = await asyncio.wait_for(bot.seen.get(), 5)
        second = await asyncio.wait_for(bot.seen.get(), 5)

    assert (first.id, first.content) == (int(posted["id"]), "")
    assert (second.id, second.content) == (int(mentioned["id"]), mentioned["content"])
    assert fake.message(int(posted["id"]))["content"] == "hello there"
    created = _dispatched(fake, "MESSAGE_CREATE")
    assert created[0]["guild_id"] == str(fake.guild_id)
    assert created[0]["member"]["roles"] == []
    assert "member" not in posted and "guild_id" not in posted


async def test_a_bot_without_the_messages_intent_gets_no_message_event(
    fake: FakeDiscord,
) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    async with running_bot(_Listener(intents), fake) as bot:
        fake.post_user_message("hello there")
        await asyncio.sleep(0.05)
        assert bot.seen.empty()
        assert _dispatched(fake, "MESSAGE_CREATE") == []
        assert _dispatched(fake, "GUILD_CREATE")  # the session itself did get events
