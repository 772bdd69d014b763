"""The fakes enforce the platforms' rate limits at their real values: Discord's route buckets
and global limit with every `X-RateLimit-*` header and a 429 body, Slack's tiers and one post a
second in a channel with `Retry-After`; windows reset, and every 429 is counted by route or
method. A manual clock moves the fakes' windows, so nothing here waits."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.ratelimits import DiscordRateLimits
from tests.fakes.slack import FakeSlack
from tests.fakes.slack.ratelimits import SlackRateLimits

MESSAGES = "POST /channels/{channel_id}/messages"


class ManualClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def discord_fake() -> AsyncIterator[tuple[FakeDiscord, ManualClock]]:
    clock = ManualClock()
    async with FakeDiscord() as fake:
        fake.limiter.buckets.monotonic = clock
        yield fake, clock


async def rest(
    fake: FakeDiscord, method: str, path: str, body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.api_base + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json(), dict(response.headers)


async def post(fake: FakeDiscord, channel: int, text: str) -> tuple[int, Any, dict[str, str]]:
    return await rest(fake, "POST", f"/channels/{channel}/messages", {"content": text})


async def test_every_discord_answer_announces_its_route_bucket(
    discord_fake: tuple[FakeDiscord, ManualClock],
) -> None:
    fake, _ = discord_fake
    other = fake.add_channel("other")
    answers = [await post(fake, fake.channel_id, f"m{n}") for n in range(3)]
    elsewhere = await post(fake, other, "hello")
    me = await rest(fake, "GET", "/users/@me")

    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert [h["X-RateLimit-Remaining"] for _, _, h in answers] == ["4", "3", "2"]
    first = answers[0][2]
    assert first["X-RateLimit-Limit"] == "5"
    assert 0 < float(first["X-RateLimit-Reset-After"]) <= 5.0
    assert float(first["X-RateLimit-Reset"]) == pytest.approx(
        time.time() + float(first["X-RateLimit-Reset-After"]), abs=2.0
    )
    # One bucket (hash) for the route, counted apart per channel (its top-level resource).
    assert elsewhere[2]["X-RateLimit-Bucket"] == first["X-RateLimit-Bucket"]
    assert elsewhere[2]["X-RateLimit-Remaining"] == "4"
    assert me[2]["X-RateLimit-Bucket"] != first["X-RateLimit-Bucket"]
    assert "X-RateLimit-Scope" not in first and "X-RateLimit-Global" not in first
    assert fake.limiter.refused.total() == 0


async def test_a_sixth_message_in_five_seconds_is_refused_until_the_window_resets(
    discord_fake: tuple[FakeDiscord, ManualClock],
) -> None:
    fake, clock = discord_fake
    for n in range(5):
        assert (await post(fake, fake.channel_id, f"m{n}"))[0] == 200
    clock.now += 1.5
    status, body, headers = await post(fake, fake.channel_id, "one too many")

    assert status == 429
    assert body["global"] is False and body["retry_after"] == pytest.approx(3.5)
    assert body["message"] == "You are being rate limited."
    assert headers["Retry-After"] == "4"
    assert headers["X-RateLimit-Scope"] == "user" and "X-RateLimit-Global" not in headers
    assert headers["X-RateLimit-Remaining"] == "0" and headers["Via"]
    assert [m["content"] for m in fake.channel_messages(fake.channel_id)][-1] == "m4"
    assert fake.limiter.refused == {MESSAGES: 1}
    assert fake.rate_limited_count == 1

    clock.now += 3.5
    status, _, headers = await post(fake, fake.channel_id, "after the reset")
    assert (status, headers["X-RateLimit-Remaining"]) == (200, "4")


async def test_by_default_the_51st_request_in_a_second_is_refused_globally(
    discord_fake: tuple[FakeDiscord, ManualClock],
) -> None:
    fake, clock = discord_fake
    channels = [fake.add_channel(f"c{n}") for n in range(51)]  # 51 route buckets, one limit
    answers = [await rest(fake, "GET", f"/channels/{channel}") for channel in channels]
    assert [status for status, _, _ in answers] == [200] * 50 + [429]
    assert answers[-1][1]["global"] is True
    assert fake.limiter.refused == {"global": 1}
    clock.now += 1.0
    assert (await rest(fake, "GET", f"/channels/{channels[-1]}"))[0] == 200


async def test_the_global_limit_counts_every_route_but_interaction_endpoints() -> None:
    clock = ManualClock()
    limits = DiscordRateLimits(global_limit=3, global_period=1.0)
    async with FakeDiscord(rate_limits=limits) as fake:
        fake.limiter.buckets.monotonic = clock
        channels = [fake.add_channel(f"c{n}") for n in range(4)]
        answers = [await post(fake, channel, "hi") for channel in channels]
        # An interaction webhook is not bound by the global limit (404: no such token).
        webhook = await rest(
            fake, "POST", f"/webhooks/{fake.application_id}/nope", {"content": "x"}
        )
        assert [status for status, _, _ in answers] == [200, 200, 200, 429]
        _, body, headers = answers[3]
        assert body["global"] is True and 0 < body["retry_after"] <= 1.0
        assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
        assert webhook[0] == 404
        assert fake.limiter.refused == {"global": 1}
        assert fake.channel_messages(channels[3]) == []

        clock.now += 1.0
        assert (await post(fake, channels[3], "later"))[0] == 200


async def test_discord_limits_can_be_turned_off() -> None:
    async with FakeDiscord(rate_limits=DiscordRateLimits(enabled=False)) as fake:
        answers = [await post(fake, fake.channel_id, f"m{n}") for n in range(8)]
        assert {status for status, _, _ in answers} == {200}
        assert all("X-RateLimit-Limit" not in headers for _, _, headers in answers)


@pytest.fixture
async def slack_fake() -> AsyncIterator[tuple[FakeSlack, ManualClock, AsyncWebClient]]:
    clock = ManualClock()
    async with FakeSlack(monotonic=clock) as fake:
        yield fake, clock, AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)


async def test_a_second_slack_post_in_a_channel_within_a_second_gets_429(
    slack_fake: tuple[FakeSlack, ManualClock, AsyncWebClient],
) -> None:
    fake, clock, client = slack_fake
    general, random = fake.add_channel("general"), fake.add_channel("random")
    await client.chat_postMessage(channel=general, text="one")
    await client.chat_postMessage(channel=random, text="elsewhere")
    clock.now += 0.4
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=general, text="too soon")
    response = refused.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "1"
    assert fake.limiter.refused == {"chat.postMessage": 1}
    assert [p["text"] for p in fake.posted] == ["one", "elsewhere"]

    clock.now += 0.6
    assert (await client.chat_postMessage(channel=general, text="a second later"))["ok"]


async def test_a_tier_3_method_allows_50_calls_a_minute(
    slack_fake: tuple[FakeSlack, ManualClock, AsyncWebClient],
) -> None:
    fake, clock, client = slack_fake
    users = [fake.add_user(f"user{n}") for n in range(51)]
    for user in users[:50]:
        assert (await client.conversations_open(users=user))["ok"]
    clock.now += 20.0
    with pytest.raises(SlackApiError) as refused:
        await client.conversations_open(users=users[50])
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "40"
    assert fake.limiter.refused == {"conversations.open": 1}
    assert (await client.users_info(user=users[0]))["ok"]  # another method, its own tier

    clock.now += 40.0
    assert (await client.conversations_open(users=users[50]))["ok"]


async def test_slack_limits_can_be_lowered_or_turned_off() -> None:
    clock = ManualClock()
    lowered = SlackRateLimits(tiers={1: 1, 2: 2, 3: 2, 4: 2}, period=1.0)
    async with FakeSlack(rate_limits=lowered, monotonic=clock) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        user = fake.add_user("ada")
        for _ in range(2):
            await client.conversations_open(users=user)
        with pytest.raises(SlackApiError):
            await client.conversations_open(users=user)
    async with FakeSlack(rate_limits=SlackRateLimits(enabled=False)) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.api_url)
        channel = fake.add_channel("general")
        for n in range(5):
            await client.chat_postMessage(channel=channel, text=f"m{n}")
        assert len(fake.posted) == 5 and fake.limiter.refused.total() == 0
