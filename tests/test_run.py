"""`confbot run` as a real process serving Discord and Slack at once, against both local fakes."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_cli import clean_env


async def test_run_serves_discord_and_slack_in_one_process(tmp_path: Path) -> None:
    async with FakeDiscord() as discord, FakeSlack() as slack:
        env = clean_env(tmp_path / "run.sqlite3")
        env.update(
            DISCORD_TOKEN=discord.token,
            DISCORD_API_BASE=discord.api_base,
            DISCORD_GATEWAY_URL=discord.gateway_url,
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_APP_TOKEN=slack.app_token,
            SLACK_API_URL=slack.api_url,
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
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
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(process.communicate(), 30)
        log = err.decode()
        assert "Slack connected as @" in log
        assert discord.token not in log and slack.bot_token not in log
        assert slack.app_token not in log
        assert "Traceback" not in log
        assert process.returncode == 0, log
