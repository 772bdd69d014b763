"""Settings from the environment (and a `.env` file via python-dotenv), read once and checked.

Nothing is read at import time: `Settings.from_env()` is called by the CLI. Tokens are held in
`Secret`, whose repr never shows the value, so a logged Settings cannot leak one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = Path("confbot.sqlite3")

# Every setting confbot reads, with its meaning; .env.example and the README list the same.
SETTINGS_HELP: dict[str, str] = {
    "CONFBOT_DB": "SQLite file (default ./confbot.sqlite3)",
    "CONFBOT_DATA": "data folder to load (default: the bundled data/)",
    "CONFBOT_LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR",
    "CONFBOT_WISDOM_GRACE_HOURS": "how late a missed daily post may still go out (default 6)",
    "CONFBOT_QUERY_BUDGET_MS": "longest one database query may run before it is stopped "
    "(default 200; 0 turns the budget off)",
    "DISCORD_TOKEN": "bot token; when set, `confbot run` starts the Discord bot",
    "DISCORD_DEV_GUILD": "guild id that `confbot sync` targets by default",
    "DISCORD_API_BASE": "REST base URL (default https://discord.com/api/v10)",
    "DISCORD_GATEWAY_URL": "gateway URL (default wss://gateway.discord.gg/)",
    "SLACK_BOT_TOKEN": "xoxb- token; with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET starts Slack",
    "SLACK_APP_TOKEN": "xapp- token: Socket Mode (the easy default)",
    "SLACK_SIGNING_SECRET": "HTTP mode: verifies Slack's requests",
    "SLACK_PORT": "HTTP mode port (default 3000)",
    "SLACK_API_URL": "Web API base URL (default https://slack.com/api/)",
    "SLACK_ADMIN_USER_IDS": "comma-separated user ids allowed to run /wisdom admin commands",
}


class SettingsError(ValueError):
    """A setting with a value confbot cannot use; the message names the setting."""


class Secret:
    """A string that does not show itself in repr/str/logs."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class DiscordSettings:
    token: Secret
    dev_guild: int | None = None
    api_base: str | None = None
    gateway_url: str | None = None


@dataclass(frozen=True)
class SlackSettings:
    bot_token: Secret
    app_token: Secret = field(default_factory=lambda: Secret(""))
    signing_secret: Secret = field(default_factory=lambda: Secret(""))
    port: int = 3000
    api_url: str | None = None
    admin_user_ids: frozenset[str] = frozenset()

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    data_dir: Path = BUNDLED_DATA
    log_level: str = "INFO"
    wisdom_grace_hours: float = 6.0
    query_budget_ms: float = 200.0
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        if environ is None:
            if dotenv and Path(".env").is_file():
                from dotenv import load_dotenv

                load_dotenv(".env", override=False)
            environ = os.environ
        env = {key: value.strip() for key, value in environ.items()}

        discord = None
        if env.get("DISCORD_TOKEN"):
            discord = DiscordSettings(
                token=Secret(env["DISCORD_TOKEN"]),
                dev_guild=_int(env, "DISCORD_DEV_GUILD"),
                api_base=env.get("DISCORD_API_BASE") or None,
                gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            )
        slack = None
        if env.get("SLACK_BOT_TOKEN"):
            slack = SlackSettings(
                bot_token=Secret(env["SLACK_BOT_TOKEN"]),
                app_token=Secret(env.get("SLACK_APP_TOKEN", "")),
                signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "")),
                port=_int(env, "SLACK_PORT") or 3000,
                api_url=env.get("SLACK_API_URL") or None,
                admin_user_ids=frozenset(
                    part.strip()
                    for part in env.get("SLACK_ADMIN_USER_IDS", "").split(",")
                    if part.strip()
                ),
            )
            if not slack.app_token and not slack.signing_secret:
                raise SettingsError(
                    "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                    "SLACK_SIGNING_SECRET (HTTP mode) is"
                )
        level = env.get("CONFBOT_LOG_LEVEL", "INFO").upper() or "INFO"
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(
                f"CONFBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}"
            )
        grace = env.get("CONFBOT_WISDOM_GRACE_HOURS") or "6"
        try:
            grace_hours = float(grace)
        except ValueError:
            raise SettingsError(
                f"CONFBOT_WISDOM_GRACE_HOURS must be a number, not {grace!r}"
            ) from None
        budget = env.get("CONFBOT_QUERY_BUDGET_MS") or "200"
        try:
            query_budget_ms = float(budget)
        except ValueError:
            query_budget_ms = -1.0
        if not 0 <= query_budget_ms <= 60_000:
            raise SettingsError(
                f"CONFBOT_QUERY_BUDGET_MS must be a number of milliseconds from 0 to 60000, "
                f"not {budget!r}"
            )
        return cls(
            db_path=Path(env.get("CONFBOT_DB") or DEFAULT_DB),
            data_dir=Path(env.get("CONFBOT_DATA") or BUNDLED_DATA),
            log_level=level,
            wisdom_grace_hours=grace_hours,
            query_budget_ms=query_budget_ms,
            discord=discord,
            slack=slack,
        )


def _int(env: Mapping[str, str], key: str) -> int | None:
    value = env.get(key)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, not {value!r}") from None
