"""Settings come from the environment or .env, are checked once, and never show a token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Secret, Settings, SettingsError


def test_defaults_need_no_setting_at_all() -> None:
    settings = Settings.from_env({})
    assert settings.discord is None and settings.slack is None
    assert settings.db_path == Path("confbot.sqlite3")
    assert (settings.data_dir / "normconf-2022" / "conference.toml").is_file()


def test_tokens_never_show_in_repr_or_str() -> None:
    settings = Settings.from_env(
        {"DISCORD_TOKEN": "abc.def.ghi", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-2"}
    )
    for text in (repr(settings), str(settings)):
        assert "abc.def.ghi" not in text and "xoxb-1" not in text and "xapp-2" not in text
    assert settings.discord is not None and settings.discord.token.reveal() == "abc.def.ghi"
    assert settings.slack is not None and settings.slack.socket_mode
    assert repr(Secret("x")) == "Secret('***')"


def test_slack_needs_socket_mode_or_a_signing_secret() -> None:
    """Only to be served: a bot token alone is read (ask and console work) and says what is
    missing; `confbot run` refuses to start with that line."""
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert settings.slack is not None and settings.slack.missing is not None
    assert "SLACK_APP_TOKEN" in settings.slack.missing
    assert "SLACK_SIGNING_SECRET" in settings.slack.missing
    for mode in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        served = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", mode: "x"}).slack
        assert served is not None and served.missing is None


@pytest.mark.parametrize("value", ["soon", "-1", "inf", "nan"])
def test_the_start_retry_window_is_a_number_of_seconds(value: str) -> None:
    with pytest.raises(SettingsError, match="CONFBOT_START_RETRY_SECONDS"):
        Settings.from_env({"CONFBOT_START_RETRY_SECONDS": value})
    assert Settings.from_env({"CONFBOT_START_RETRY_SECONDS": "0"}).start_retry_seconds == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [("DISCORD_DEV_GUILD", "my-guild"), ("CONFBOT_LOG_LEVEL", "LOUD"), ("SLACK_PORT", "http")],
)
def test_a_bad_value_names_the_setting(name: str, value: str) -> None:
    env = {"DISCORD_TOKEN": "t", "SLACK_BOT_TOKEN": "b", "SLACK_APP_TOKEN": "a", name: value}
    with pytest.raises(SettingsError, match=name):
        Settings.from_env(env)


def test_dotenv_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONFBOT_DB", "")  # recorded, so load_dotenv's write is undone after
    monkeypatch.delenv("CONFBOT_DB")
    (tmp_path / ".env").write_text("CONFBOT_DB=from-dotenv.sqlite3\n")
    assert Settings.from_env().db_path == Path("from-dotenv.sqlite3")
