"""Waiting, in a test, for something the bot does on its own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def eventually(condition: Callable[[], bool], attempts: int = 500) -> None:
    """Let the bot's event loop run until `condition` holds (bounded; no wall-clock check)."""
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")
