"""The console in a real browser (headless Chromium, tests/web/browser.py) against the app
on 127.0.0.1: log in with a one-time link, create a subscription, see a programme change
highlighted, move by keyboard; and a screenshot of every page (`make screenshots` keeps them
in docs/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from playwright.async_api import Page

from bot.store import delivery_views
from tests.fakes.discord import FakeDiscord
from tests.frontends.discord.test_discord_e2e import embed, fields, started
from tests.web.browser import chromium, screenshot_dir
from tests.web.conftest import Console

CHANNEL = "123456789012345678"


async def log_in(page: Page, console: Console) -> None:
    await page.goto(await console.login_link("ada"))
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("heading", name="Overview", level=1).wait_for()


async def test_log_in_with_a_one_time_link_and_only_once(console: Console, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        link = await console.login_link("ada")
        await page.goto(link)
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_role("heading", name="Overview", level=1).wait_for()
        assert await page.get_by_text("ada", exact=True).is_visible()
        cookies = await browser.cookies()
        session = next(c for c in cookies if c["name"] == "confbot_session")
        assert session["httpOnly"] and session["sameSite"] == "Strict"

        await page.get_by_role("button", name="Log out").click()
        await page.get_by_role("heading", name="Log in to the confbot console").wait_for()
        await page.goto(link)
        await page.get_by_role("button", name="Log in").click()
        await page.get_by_role("heading", name="This login link does not work").wait_for()


async def test_create_a_daily_wisdom_subscription(console: Console, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await log_in(page, console)
        await page.get_by_role("link", name="Subscriptions").click()
        form = page.locator("form[action='/subscriptions/wisdom']")
        await form.get_by_label("Platform").select_option("discord")
        await form.get_by_label("Server or workspace id").fill("G1")
        await form.get_by_label("Channel id").fill(CHANNEL)
        await form.get_by_label("Local time (HH:MM)").fill("9am")
        await form.get_by_label("Time zone (IANA)").fill("Europe/Amsterdam")
        await form.get_by_role("button", name="Subscribe to daily wisdom").click()
        status = page.get_by_role("status")
        assert "For 9am write 09:00." in await status.inner_text()  # the chat's own words
        assert await delivery_views.subscriptions(console.db) == []

        await form.get_by_label("Server or workspace id").fill("G1")
        await form.get_by_label("Channel id").fill(CHANNEL)
        await form.get_by_label("Local time (HH:MM)").fill("09:00")
        await form.get_by_label("Time zone (IANA)").fill("Europe/Amsterdam")
        await form.get_by_role("button", name="Subscribe to daily wisdom").click()
        assert "Daily wisdom subscribed" in await page.get_by_role("status").inner_text()
        row = page.get_by_role("row").filter(has_text=CHANNEL)
        assert "09:00 Europe/Amsterdam" in await row.inner_text()
        (sub,) = await delivery_views.subscriptions(console.db)
        assert sub.created_by == "ada (web:ada)" and sub.enabled


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_a_programme_change_is_highlighted(camp: Console, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await log_in(page, camp)
        await page.get_by_role("link", name="Programme").click()
        await page.get_by_label("Day", exact=True).select_option("2019-08-22")
        await page.get_by_role("button", name="Show").click()
        moved = page.locator("td.changed").filter(has_text="OpenCodes")
        assert "moved from 12:00" in await moved.inner_text()
        plain = page.locator("td.talk:not(.changed)").first
        highlight = await moved.evaluate("cell => getComputedStyle(cell).backgroundColor")
        normal = await plain.evaluate("cell => getComputedStyle(cell).backgroundColor")
        assert highlight != normal  # seen, not only in the markup
        assert await page.get_by_role("columnheader", name="Curie").is_visible()


async def test_a_nugget_saved_on_discord_is_approved_in_the_review_queue(
    console: Console, tmp_path: Path
) -> None:
    words = "She took all the orders that were placed in the United States."
    async with FakeDiscord() as fake, started(fake, console.core):
        message = fake.post_user_message(f"@everyone {words}")
        saved = await fake.invoke_message_command("Save as nugget", message)
        assert saved.ephemeral and embed(saved)["title"] == "Queued for review"

        async with chromium(tmp_path / "profile") as browser:
            page = await browser.new_page()
            await log_in(page, console)
            await page.get_by_role("link", name="Nuggets").click()
            review = page.get_by_role("article").filter(has_text="Submission #1")
            assert "not named yet" in await review.inner_text()
            await review.get_by_role("button", name="Approve #1").click()
            assert "has no talk yet" in await page.get_by_role("status").inner_text()

            review = page.get_by_role("article").filter(has_text="Submission #1")
            await review.get_by_label("Words of #1").fill(words)
            await review.get_by_label("Speaker of #1").fill("Vicki Boykis")
            await review.get_by_label("Talk of #1").fill("normconf-2022/an-ml-fairytale")
            await review.get_by_role("button", name="Save #1").click()
            assert "Edited #1" in await page.get_by_role("status").inner_text()
            review = page.get_by_role("article").filter(has_text="Submission #1")
            assert "found in the talk's transcript" in await review.inner_text()
            await page.screenshot(path=str(screenshot_dir(tmp_path) / "nuggets-queue.png"))
            await review.get_by_role("button", name="Approve #1").click()
            assert "Approved #1" in await page.get_by_role("status").inner_text()
            assert "Nothing waits for review." in await page.inner_text("main")

        seen = set()
        for _ in range(25):
            result = await fake.invoke(
                "nugget", {"talk": "normconf-2022/an-ml-fairytale"}, subcommand="random"
            )
            seen.add(embed(result)["description"])
        assert f"“{words}”" in seen  # quoted, as /nugget shows every nugget
    assert fields(saved)["Said by"] == "unattributed"


async def test_the_pages_work_by_keyboard(console: Console, tmp_path: Path) -> None:
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto(console.url + "/login")
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.textContent")
        assert focused == "Skip to content"
        await page.get_by_label("User name").focus()
        assert await page.evaluate("document.activeElement.id") == "user"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "password"
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Log in"


PAGES = {
    "login": "/login",
    "overview": "/",
    "programme": "/programme?conference=camp2019&day=2019-08-22",
    "subscriptions": "/subscriptions",
    "deliveries": "/deliveries",
    "nuggets": "/nuggets?q=data",
    "public-programme": "/public/camp2019?day=2019-08-22",
    "public-talk": "/public/normconf-2022/talk/an-ml-fairytale",
}


@pytest.mark.samples("samples/frab-camp2019.json")
async def test_screenshots_of_every_page(camp: Console, tmp_path: Path) -> None:
    target = screenshot_dir(tmp_path)
    async with chromium(tmp_path / "profile") as browser:
        page = await browser.new_page()
        await page.goto(camp.url + "/login")
        await page.screenshot(path=str(target / "login.png"), full_page=False)
        await log_in(page, camp)
        form = page.locator("form[action='/subscriptions/wisdom']")
        await page.goto(camp.url + "/subscriptions")
        await form.get_by_label("Server or workspace id").fill("G1")
        await form.get_by_label("Channel id").fill(CHANNEL)
        await form.get_by_label("Local time (HH:MM)").fill("09:00")
        await form.get_by_label("Time zone (IANA)").fill("Europe/Berlin")
        await form.get_by_role("button", name="Subscribe to daily wisdom").click()
        for name, path in PAGES.items():
            if name == "login":
                continue
            response = await page.goto(camp.url + path)
            assert response is not None and response.status == 200, path
            await page.screenshot(path=str(target / f"{name}.png"), full_page=False)
    assert_pngs(target, PAGES)


def assert_pngs(folder: Path, names: Iterable[str]) -> None:
    for name in names:
        shot = folder / f"{name}.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
