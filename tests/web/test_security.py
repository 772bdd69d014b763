"""The console's defences, route by route: no page of data without a session, no form
without its CSRF token, and user text shown as text (escaped) wherever it comes back."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import quote

from markupsafe import escape

from bot.commands.nugget_queue import NuggetQueue, Submitter
from bot.config import WebSettings
from bot.frontends.web.server import build_app
from tests.web.conftest import Console

HOSTILE = '<script>alert("x")</script>\'"&'
SAMPLE = {"id": "1", "token": "not-a-token", "conference": "normconf-2022", "slug": "keynote"}


def routes(method: str, *, public: bool) -> list[str]:
    """Every path of the app for `method`, with sample values for its parameters."""
    core = SimpleNamespace(calendar_base=None)  # only the route table is read: no core runs
    console = build_app(core, None, WebSettings(port=1, public=public), clock=None)  # type: ignore[arg-type]
    paths: list[str] = []
    for route in console.router.routes():
        if route.method != method:
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix", "")
        paths.append(re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: SAMPLE.get(m[1], "x"), str(path)))
    return paths


def test_the_route_lists_are_the_whole_app() -> None:
    gets, posts = routes("GET", public=False), routes("POST", public=False)
    assert {"/", "/deliveries", "/subscriptions", "/programme", "/nuggets"} <= set(gets)
    assert {"/subscriptions/wisdom", "/subscriptions/1/enable", "/logout"} <= set(posts)
    assert {f"/nuggets/review/1/{step}" for step in ("approve", "edit", "reject")} <= set(posts)
    assert "/public" in routes("GET", public=True) and "/public" not in gets


async def test_every_page_without_a_session_goes_to_the_login_and_shows_nothing(
    console: Console,
) -> None:
    open_paths = ("/login", "/static", "/public", "/agenda/calendar/")  # the feed: its token
    private = [p for p in routes("GET", public=True) if not p.startswith(open_paths)]
    assert len(private) >= 5
    for path in private:
        async with console.http.get(console.url + path, allow_redirects=False) as response:
            body = await response.text()
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/login?next="), path
            assert "normconf" not in body.lower() and "<table" not in body, path


async def test_every_form_without_its_csrf_token_is_refused(console: Console) -> None:
    await console.log_in()
    before = await console.db.fetch_all("SELECT count(*) FROM web_audit")
    for path in routes("POST", public=True):
        for form in ({}, {"csrf": "forged"}):
            async with console.http.post(
                console.url + path, data={**form, "channel": "C1", "time": "09:00"}
            ) as response:
                assert response.status == 403, path
                assert "security token" in await response.text()
    after = await console.db.fetch_all("SELECT count(*) FROM web_audit")
    assert after[0][0] == before[0][0]
    assert (await console.db.fetch_all("SELECT count(*) FROM subscriptions"))[0][0] == 0
    assert (await console.page("/"))[0] == 200  # /logout refused too: still logged in


async def test_a_post_without_a_session_goes_to_the_login(console: Console) -> None:
    for path in routes("POST", public=True):
        if path.startswith("/login"):
            continue
        async with console.http.post(
            console.url + path, data={"csrf": "x"}, allow_redirects=False
        ) as response:
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/login"), path


async def test_hostile_text_in_every_subscription_field_comes_back_escaped(
    console: Console,
) -> None:
    await console.log_in()
    fields = {
        "/subscriptions/wisdom": ("platform", "community", "channel", "time", "timezone"),
        "/subscriptions/reminders": (
            "platform",
            "community",
            "channel",
            "minutes",
            "room",
            "track",
            "conference",
        ),
    }
    for path, names in fields.items():
        for name in names:
            form = {
                "platform": "discord",
                "community": "G1",
                "channel": "123456789012345678",
                "time": "09:00",
                "timezone": "Europe/Amsterdam",
                "minutes": "10",
            }
            form[name] = HOSTILE
            status, location, _ = await console.post(path, **form)
            assert status == 303 and location == "/subscriptions", (path, name)
            status, page = await console.page("/subscriptions")
            assert status == 200
            assert "<script>" not in page, (path, name)
            if name in ("channel", "time", "timezone"):
                assert "&lt;script&gt;" in page, (path, name)  # said back, as text
    assert (await console.db.fetch_all("SELECT count(*) FROM subscriptions"))[0][0] == 0


async def test_hostile_text_in_a_submission_and_every_review_field_comes_back_escaped(
    console: Console,
) -> None:
    queue = NuggetQueue(console.db, console.core.lookup, console.clock)
    by = Submitter("discord", "42", HOSTILE, "javascript:alert(1)")
    item = await queue.submit(f"{HOSTILE} said the speaker", by=by)
    await console.log_in()
    _, page = await console.page("/nuggets")
    assert "<script>" not in page and 'href="javascript:' not in page
    assert str(escape(HOSTILE)) in page  # the words and the submitter, as text
    path = f"/nuggets/review/{item.submission.id}/edit"
    for name in ("text", "speaker", "talk"):
        status, location, _ = await console.post(path, **{name: HOSTILE})
        assert status == 303 and location.startswith("/nuggets"), name
        status, page = await console.page("/nuggets")
        assert status == 200 and "<script>" not in page, name
    assert (await queue.item(item.submission.id)).submission.status == "pending"


async def test_hostile_text_in_queries_and_the_login_form_comes_back_escaped(
    console: Console,
) -> None:
    status, page = await console.page(f"/login?next={quote(HOSTILE)}")
    assert status == 200 and "<script>" not in page
    await console.log_in()
    for path in ("/nuggets?q=", "/nuggets?page=", "/programme?day=", "/programme?conference="):
        status, page = await console.page(path + quote(HOSTILE))
        assert status == 200, path
        assert "<script>" not in page, path
    _, page = await console.page("/nuggets?q=" + quote(HOSTILE))
    assert str(escape(HOSTILE)) in page  # in the search box and in "no nugget matches"


async def test_every_response_forbids_scripts_and_framing(console: Console) -> None:
    for path in ("/login", "/", "/static/style.css"):
        async with console.http.get(console.url + path, allow_redirects=False) as response:
            policy = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "no-referrer"
