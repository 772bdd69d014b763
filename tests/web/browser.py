"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright's
Python package (never a browser download), with a fresh profile per test.

`make test` installs chromium when it is missing (see the Makefile); if it is still missing,
the tests fail with a line saying so instead of being skipped, so CI cannot pass without
having run them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, async_playwright

CHROMIUM = Path(os.environ.get("CONFBOT_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(`make test` installs it: apt-get install -y chromium chromium-driver)"
        )


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """A browser with a fresh user-data dir at `profile`, 1280×900, English."""
    require_chromium()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
            locale="en-GB",
        )
        try:
            yield context
        finally:
            await context.close()


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: docs/screenshots/ under `make screenshots`
    (CONFBOT_SCREENSHOTS), else the test's temp dir."""
    target = Path(os.environ.get("CONFBOT_SCREENSHOTS") or tmp_path / "screenshots")
    target.mkdir(parents=True, exist_ok=True)
    return target
