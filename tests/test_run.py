"""`confbot run` as a real process serving Discord and Slack at once, against both local fakes."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack
from tests.test_run_startup import confbot_run, discord_env, slack_env


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
