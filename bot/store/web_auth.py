"""The web console's logins in the store: users and their password hashes, one-time login
links and sessions (migration 12).

Persistence only: the hashing, the lifetimes and the checks are bot/frontends/web/auth.py's.
Links and sessions are stored as the SHA-256 of their token, so the token itself (the only
thing that lets a browser in) is never written anywhere. A link is used up by one UPDATE that
succeeds only while it is unused and unexpired, so two clicks racing cannot both log in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.db import Database


@dataclass(frozen=True)
class WebSession:
    user: str
    csrf_token: str
    expires_at: datetime


def stamp(moment: datetime) -> str:
    """A moment as stored: UTC ISO 8601, fixed width, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def ensure_user(db: Database, name: str, now: datetime) -> None:
    await db.execute(
        "INSERT INTO web_users (name, created_at, updated_at) VALUES (?1, ?2, ?2) "
        "ON CONFLICT (name) DO NOTHING",
        (name, stamp(now)),
    )


async def set_password_hash(db: Database, name: str, password_hash: str, now: datetime) -> None:
    await db.execute(
        "INSERT INTO web_users (name, password_hash, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?3) "
        "ON CONFLICT (name) DO UPDATE SET password_hash = ?2, updated_at = ?3",
        (name, password_hash, stamp(now)),
    )


async def password_hash(db: Database, name: str) -> str | None:
    row = await db.fetch_one("SELECT password_hash FROM web_users WHERE name = ?", (name,))
    return str(row[0]) if row and row[0] else None


async def add_login_link(
    db: Database, token_hash: str, user: str, now: datetime, expires_at: datetime
) -> None:
    await ensure_user(db, user, now)
    await db.execute(
        "INSERT INTO web_login_links (token_hash, user_name, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (token_hash, user, stamp(now), stamp(expires_at)),
    )


async def use_login_link(db: Database, token_hash: str, now: datetime) -> str | None:
    """Use up the link: its user, or None when it is unknown, used or expired."""
    rows = await db.execute_returning(
        "UPDATE web_login_links SET used_at = ?1 "
        "WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 RETURNING user_name",
        (stamp(now), token_hash),
    )
    return str(rows[0][0]) if rows else None


async def add_session(
    db: Database,
    token_hash: str,
    user: str,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (stamp(now),))
    await db.execute(
        "INSERT INTO web_sessions (token_hash, user_name, csrf_token, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (token_hash, user, csrf_token, stamp(now), stamp(expires_at)),
    )


async def session(db: Database, token_hash: str, now: datetime) -> WebSession | None:
    row = await db.fetch_one(
        "SELECT user_name, csrf_token, expires_at FROM web_sessions "
        "WHERE token_hash = ? AND expires_at > ?",
        (token_hash, stamp(now)),
    )
    if row is None:
        return None
    return WebSession(str(row[0]), str(row[1]), datetime.fromisoformat(row[2]))


async def end_session(db: Database, token_hash: str) -> None:
    await db.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))
