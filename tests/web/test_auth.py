"""Getting into the web console: one-time links (once, within 10 minutes), passwords
(scrypt hashes only), session cookies, login rate limits and the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.frontends.web.auth import SESSION_COOKIE
from bot.frontends.web.credentials import (
    CredentialError,
    hash_password,
    set_password,
    verify_password,
)
from bot.store import audit, web_auth
from bot.store.db import Database
from tests.web.conftest import Console, start_console


async def use_link(console: Console, link: str) -> aiohttp.ClientResponse:
    csrf = await console.csrf_of(link.removeprefix(console.url))
    response = await console.http.post(
        console.url + "/login/link",
        data={"csrf": csrf, "token": link.rsplit("/", 1)[1]},
        allow_redirects=False,
    )
    await response.read()
    return response


async def test_a_login_link_logs_in_once(console: Console) -> None:
    link = await console.login_link("ada")
    opened = await console.page(link.removeprefix(console.url))
    assert opened[0] == 200 and "Log in" in opened[1]
    first = await use_link(console, link)
    assert first.status == 303 and first.headers["Location"] == "/"
    status, page = await console.page("/")
    assert status == 200 and "Overview" in page and "ada" in page

    console.http.cookie_jar.clear_domain("127.0.0.1")
    second = await use_link(console, link)
    assert second.status == 403
    assert "does not work" in await second.text()
    assert (await console.page("/"))[0] == 303


async def test_a_login_link_expires_after_ten_minutes(console: Console) -> None:
    link = await console.login_link()
    console.clock.advance(timedelta(minutes=10, seconds=1))
    response = await use_link(console, link)
    assert response.status == 403
    assert (await console.page("/"))[0] == 303


async def test_an_unknown_link_is_refused(console: Console) -> None:
    link = await console.login_link()
    response = await use_link(console, link[:-4] + "AAAA")
    assert response.status == 403


async def test_only_a_digest_of_a_link_is_stored(console: Console) -> None:
    link = await console.login_link()
    token = link.rsplit("/", 1)[1]
    rows = await console.db.fetch_all("SELECT token_hash FROM web_login_links")
    assert len(rows) == 1 and token not in str(rows[0][0]) and len(rows[0][0]) == 64


async def test_a_password_is_stored_as_a_salted_scrypt_hash(db: Database) -> None:
    await set_password(db, "ada", "correct horse battery", datetime.now(UTC))
    stored = await web_auth.password_hash(db, "ada")
    assert stored is not None and stored.startswith("scrypt$16384$8$1$")
    assert "correct horse" not in stored
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert hash_password("same password here") != hash_password("same password here")
    with pytest.raises(CredentialError, match="at least 12"):
        await set_password(db, "ada", "short", datetime.now(UTC))


async def password_form(console: Console, user: str, password: str) -> aiohttp.ClientResponse:
    csrf = await console.csrf_of("/login")
    response = await console.http.post(
        console.url + "/login",
        data={"csrf": csrf, "user": user, "password": password, "next": "/deliveries"},
        allow_redirects=False,
    )
    await response.read()
    return response


async def test_the_password_form_logs_in_and_goes_where_it_was_asked(console: Console) -> None:
    await set_password(console.db, "ada", "correct horse battery", console.clock.now())
    wrong = await password_form(console, "ada", "incorrect horse")
    assert wrong.status == 401 and "do not match" in await wrong.text()
    right = await password_form(console, "ada", "correct horse battery")
    assert right.status == 303 and right.headers["Location"] == "/deliveries"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


async def test_login_attempts_are_rate_limited(console: Console) -> None:
    await set_password(console.db, "ada", "correct horse battery", console.clock.now())
    for _ in range(5):
        assert (await password_form(console, "ada", "guess guess guess")).status == 401
    limited = await password_form(console, "ada", "correct horse battery")
    assert limited.status == 429 and "Too many" in await limited.text()
    link = await use_link(console, await console.login_link())
    assert link.status == 429
    console.clock.advance(timedelta(minutes=15, seconds=1))
    assert (await password_form(console, "ada", "correct horse battery")).status == 303


async def test_logins_and_actions_are_audited_with_who_did_them(console: Console) -> None:
    await password_form(console, "mallory", "not the password")
    await console.log_in("ada")
    csrf = await console.csrf_of("/")
    response = await console.http.post(
        console.url + "/logout", data={"csrf": csrf}, allow_redirects=False
    )
    assert response.status == 303
    entries = await audit.recent(console.db)
    said = [(entry.user, entry.action) for entry in reversed(entries)]
    assert said == [
        ("anonymous", "login refused (password)"),
        ("ada", "logged in (one-time link)"),
        ("ada", "logged out"),
    ]
    assert all(entry.remote == "127.0.0.1" for entry in entries)
    assert (await console.page("/"))[0] == 303  # the session is over


@pytest.fixture
async def behind_proxy(bundled_db: Database) -> AsyncIterator[Console]:
    async for running in start_console(bundled_db, trust_proxy=True):
        yield running


async def proxied_link_login(console: Console) -> aiohttp.ClientResponse:
    """A link login whose request says it came over https from 203.0.113.9."""
    link = await console.login_link()
    csrf = await console.csrf_of(link.removeprefix(console.url))
    return await console.http.post(
        console.url + "/login/link",
        data={"csrf": csrf, "token": link.rsplit("/", 1)[1]},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        allow_redirects=False,
    )


async def test_the_cookie_is_secure_behind_a_trusted_https_proxy(behind_proxy: Console) -> None:
    response = await proxied_link_login(behind_proxy)
    assert response.status == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert (await audit.recent(behind_proxy.db))[0].remote == "203.0.113.9"


async def test_an_untrusted_proxy_header_changes_nothing(console: Console) -> None:
    response = await proxied_link_login(console)
    assert response.status == 303
    assert "Secure" not in response.headers["Set-Cookie"]
    assert (await audit.recent(console.db))[0].remote == "127.0.0.1"
