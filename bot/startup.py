"""Start-up retries: a platform that is slow or briefly away when confbot starts is retried with
backoff and one log line a try, for a bounded window, then given up with one clear line.

A front end's start-up step raises `Unavailable` for what may pass (no connection, a time-out,
HTTP 5xx, a rate limit) and its own error for what will not (a rejected token). Once a platform
is connected its client library owns reconnecting; this is only for getting there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

DEFAULT_START_RETRY_SECONDS = 300.0


class Unavailable(Exception):
    """The platform did not answer, or answered "not now"; `reason` is one line for the log."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Backoff:
    """Retry for `window` seconds in all (0: never), waiting `first`, then twice as long each
    time up to `cap` (or what the platform asked for, when longer)."""

    window: float = 0.0
    first: float = 1.0
    cap: float = 30.0


async def with_retries(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    log: logging.Logger,
    give_up: Callable[[str], Exception],
) -> T:
    """Run `attempt` until it returns; retry each `Unavailable` until the window is over, then
    raise `give_up(reason)` (no traceback chained: the reason says it all)."""
    deadline = time.monotonic() + backoff.window
    delay = backoff.first
    tries = 0
    while True:
        try:
            return await attempt()
        except Unavailable as error:
            tries += 1
            wait = max(delay, error.retry_after or 0.0)
            if time.monotonic() + wait > deadline:
                if tries > 1:
                    raise give_up(f"{error.reason} (gave up after {tries} tries)") from None
                raise give_up(error.reason) from None
            log.warning("%s: %s; retrying in %.0f s (try %d)", what, error.reason, wait, tries)
            await asyncio.sleep(wait)
            delay = min(delay * 2, backoff.cap)
