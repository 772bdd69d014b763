"""`confbot run` as a real process serving Discord and Slack at once, against both local fakes."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.reminder_service import ReminderService
from bot.frontends.slack.poster import SlackPoster
from bot.sources.detect import load_schedule
from bot.store.content import load_data_dir, replace_conferences
from bot.store.db import Database
from tests.conftest import BUNDLED_DATA, SHARED
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_run_startup import confbot_run, discord_env, slack_env

# The CCCamp 2019 Opening Ceremony starts at 11:00 in Berlin on Wednesday 21 August 2019.
OPENING = datetime(2019, 8, 21, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))


async def test_run_serves_discord_and_slack_in_one_process(tmp_path: Path) -> None:
    async with FakeDiscord() as discord, FakeSlack() as slack:
        env = {**discord_env(discord), **slack_env(slack, SLACK_APP_TOKEN=slack.app_token)}
        async with confbot_run(tmp_path, **env) as run:
            try:
                await discord.wait_until_identified(timeout=30)
                await slack.wait_for_socket(timeout=30)

                on_discord = await discord.invoke("talk", {"query": "keynote"}, timeout=10)
                assert on_discord.embeds[0]["title"] == "An ML Fairytale"

                user = slack.add_user("ada")
                channel = slack.add_channel("general")
                on_slack = await slack.socket_slash_command(
                    "/talk", "keynote", user_id=user, channel_id=channel, wait_responses=1
                )
                assert "An ML Fairytale" in str(on_slack.responses[0].blocks)
            finally:
                code = await run.stop()
        log = run.log
        assert "Slack connected as @" in log
        assert discord.token not in log and slack.bot_token not in log
        assert slack.app_token not in log
        assert "Traceback" not in log
        assert code == 0, log


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_rehearsal_runs_the_post_loop_on_the_simulated_clock(tmp_path: Path) -> None:
    """`run --at 10:45 --speed 60`: the reminder due at 10:50 (simulated) goes out within
    seconds of real time, and the log says loudly that the clock is simulated."""
    async with FakeSlack() as slack:
        channel = slack.add_channel("talks")
        async with await Database.open(tmp_path / "run.sqlite3") as db:
            await load_data_dir(db, BUNDLED_DATA)
            camp = load_schedule(SHARED / "samples" / "frab-camp2019.json")
            await replace_conferences(db, [camp], origin="import")
            client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
            await ReminderService(
                db,
                SlackPoster(client),
                frontend="slack",
                clock=FakeClock(OPENING - timedelta(hours=2)),
            ).subscribe(
                guild_id=slack.team_id,
                channel_id=channel,
                minutes_before=10,
                created_by="U1",
                can_post=True,
                filter_kind="room",
                filter_value="curie",
            )
        start = (OPENING - timedelta(minutes=15)).isoformat()
        env = slack_env(slack, SLACK_APP_TOKEN=slack.app_token)
        async with confbot_run(tmp_path, "--at", start, "--speed", "60", **env) as run:
            try:
                await slack.wait_for_socket(timeout=30)
                post = await slack.wait_for_post(channel, timeout=60)
            finally:
                code = await run.stop()
    log = run.log
    assert "Opening Ceremony" in str(post)
    assert "WARNING" in log and "REHEARSAL: the clock is simulated" in log
    assert f"starts at {start}" in log and "runs 60 times faster" in log
    assert "Traceback" not in log
    assert code == 0, log
