"""The web console's credentials, without the web server: scrypt password hashes, one-time
login links, session tokens and their digests.

`confbot web-login` and `confbot web-password` (bot/cli_web.py) use this module alone, so
they load no web library. Passwords are hashed with `hashlib.scrypt` (a fresh 16-byte salt
each, n=2**14, r=8, p=1, 64 bytes) and compared in constant time; login links and sessions
are 256-bit random tokens of which only the SHA-256 is stored (bot/store/web_auth.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import quote

from bot.store import web_auth
from bot.store.db import Database

LINK_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # scrypt's cost grows with the input; nobody types more
MAX_USER_LENGTH = 64
DEFAULT_USER = "organiser"
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LENGTH = 2**14, 8, 1, 64
LINK_PATH = "/login/link/"


class CredentialError(ValueError):
    """A password or user name that cannot be used; the message says why, in one line."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_user(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_USER_LENGTH or not name.isprintable():
        raise CredentialError(
            f"a user name is 1 to {MAX_USER_LENGTH} printable characters, like {DEFAULT_USER}"
        )
    return name


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash' (base64), for `verify_password`."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_LENGTH,
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def set_password(db: Database, user: str, password: str, now: datetime) -> None:
    """Store a new password for `user` (made if new); CredentialError for a weak one."""
    user = check_user(user)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CredentialError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise CredentialError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    await web_auth.set_password_hash(db, user, hash_password(password), now)


async def make_login_link(db: Database, user: str, now: datetime, base_url: str) -> str:
    """A link that logs `user` in once, within LINK_LIFETIME of `now`."""
    user = check_user(user)
    token = new_token()
    await web_auth.add_login_link(db, token_digest(token), user, now, now + LINK_LIFETIME)
    return f"{base_url.rstrip('/')}{LINK_PATH}{quote(token, safe='')}"
