"""Settings from the environment (and a `.env` file via python-dotenv), read once and checked.

Nothing is read at import time: `Settings.from_env()` is called by the CLI. Tokens are held in
`Secret`, whose repr never shows the value, so a logged Settings cannot leak one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.startup import DEFAULT_START_RETRY_SECONDS

BUNDLED_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = Path("confbot.sqlite3")

# Every setting confbot reads, with its meaning; .env.example and the README list the same.
SETTINGS_HELP: dict[str, str] = {
    "CONFBOT_DB": "SQLite file (default ./confbot.sqlite3)",
    "CONFBOT_DATA": "data folder to load (default: the bundled data/)",
    "CONFBOT_LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR",
    "CONFBOT_WISDOM_GRACE_HOURS": "how late a missed daily post may still go out (default 6)",
    "CONFBOT_START_RETRY_SECONDS": "how long `confbot run` retries a platform that is away at "
    "start (default 300; 0: not at all)",
    "CONFBOT_IMPORT_MAX_MB": "largest schedule export `confbot import` accepts, in MB (default 50)",
    "CONFBOT_IMPORT_MAX_EVENTS": "most events one schedule export may hold (default 20000)",
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
    "CONFBOT_WEB_PORT": "when set, `confbot run` serves the organisers' web console on this port",
    "CONFBOT_WEB_HOST": "address the web console listens on (default 127.0.0.1)",
    "CONFBOT_WEB_PUBLIC": "1: also serve the public programme, talk pages and calendar feeds",
    "CONFBOT_WEB_URL": "the console's address as browsers reach it, for `confbot web-login` "
    "(default http://HOST:PORT)",
    "CONFBOT_WEB_TRUST_PROXY": "1: trust X-Forwarded-Proto from a reverse proxy (secure cookies "
    "behind https)",
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

    @property
    def missing(self) -> str | None:
        """What Slack still needs to be served, or None. A bot token alone is enough for
        `confbot ask` and `confbot console`, which do not serve Slack; `confbot run` refuses."""
        if self.app_token or self.signing_secret:
            return None
        return (
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
            "SLACK_SIGNING_SECRET (HTTP mode) is: set one of them to serve Slack, or unset "
            "SLACK_BOT_TOKEN"
        )


@dataclass(frozen=True)
class WebSettings:
    """The organisers' web console (bot/frontends/web): where it listens, whether the public
    pages are on, the address a login link names, and whether a proxy's X-Forwarded-Proto is
    believed."""

    port: int
    host: str = "127.0.0.1"
    public: bool = False
    base_url: str = ""
    trust_proxy: bool = False

    @property
    def url(self) -> str:
        """The console's address as browsers reach it, without a trailing slash."""
        if self.base_url:
            return self.base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@dataclass(frozen=True)
class Settings:
    db_path: Path = DEFAULT_DB
    data_dir: Path = BUNDLED_DATA
    log_level: str = "INFO"
    wisdom_grace_hours: float = 6.0
    start_retry_seconds: float = DEFAULT_START_RETRY_SECONDS
    import_max_mb: int = 50
    import_max_events: int = 20_000
    query_budget_ms: float = 200.0
    discord: DiscordSettings | None = None
    slack: SlackSettings | None = None
    web: WebSettings | None = None

    def secrets(self) -> list[str]:
        """Every configured token and secret, for the log filter (`bot.logs`)."""
        found = [self.discord.token] if self.discord else []
        if self.slack:
            found += [self.slack.bot_token, self.slack.app_token, self.slack.signing_secret]
        return [secret.reveal() for secret in found if secret]

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
            start_retry_seconds=_seconds(env, "CONFBOT_START_RETRY_SECONDS"),
            db_path=Path(env.get("CONFBOT_DB") or DEFAULT_DB),
            import_max_mb=_positive_int(env, "CONFBOT_IMPORT_MAX_MB", 50),
            import_max_events=_positive_int(env, "CONFBOT_IMPORT_MAX_EVENTS", 20_000),
            data_dir=Path(env.get("CONFBOT_DATA") or BUNDLED_DATA),
            log_level=level,
            wisdom_grace_hours=grace_hours,
            query_budget_ms=query_budget_ms,
            discord=discord,
            slack=slack,
            web=_web(env),
        )


def _web(env: Mapping[str, str]) -> WebSettings | None:
    port = _int(env, "CONFBOT_WEB_PORT")
    if port is None:
        return None
    if not 1 <= port <= 65535:
        raise SettingsError(f"CONFBOT_WEB_PORT must be a port from 1 to 65535, not {port}")
    base_url = env.get("CONFBOT_WEB_URL", "")
    if base_url and not base_url.startswith(("http://", "https://")):
        raise SettingsError(
            f"CONFBOT_WEB_URL must start with http:// or https://, not {base_url!r}"
        )
    return WebSettings(
        port=port,
        host=env.get("CONFBOT_WEB_HOST") or "127.0.0.1",
        public=_flag(env, "CONFBOT_WEB_PUBLIC"),
        base_url=base_url,
        trust_proxy=_flag(env, "CONFBOT_WEB_TRUST_PROXY"),
    )


def _flag(env: Mapping[str, str], key: str) -> bool:
    value = env.get(key, "").lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise SettingsError(f"{key} must be 1 or 0, not {value!r}")


def _seconds(env: Mapping[str, str], key: str) -> float:
    value = env.get(key) or str(DEFAULT_START_RETRY_SECONDS)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise SettingsError(f"{key} must be a number of seconds (0 or more), not {value!r}")
    return seconds


def _int(env: Mapping[str, str], key: str) -> int | None:
    value = env.get(key)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, not {value!r}") from None


def _positive_int(env: Mapping[str, str], key: str, default: int) -> int:
    value = _int(env, key)
    if value is None:
        return default
    if value < 1:
        raise SettingsError(f"{key} must be at least 1, not {value}")
    return value
