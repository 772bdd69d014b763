"""The values every delivery shares, whatever its kind: what a post is to a poster, the
`Poster` protocol each front end implements, the two kinds of send failure, the outcome
kinds, and the retry and disable policy.

Daily wisdom (`bot.wisdom`) and talk reminders (`bot.reminders`) both speak this: one poster
contract, one error taxonomy, one backoff. Platform-neutral: nothing here imports Discord or
Slack, and nothing here builds a platform payload (a front end renders the `Answer`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar

from bot.answer import Answer

DISABLE_AFTER = 3
"""Consecutive permanent send failures (deleted channel, missing permission) that disable a
subscription."""

TRANSIENT_BACKOFF_START = timedelta(seconds=30)
TRANSIENT_BACKOFF_MAX = timedelta(minutes=10)
PERMANENT_RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30))
"""After the 1st and 2nd consecutive permanent failure; the DISABLE_AFTER-th disables."""

NONCE_MAX_LENGTH = 25
"""Discord accepts a message nonce of at most 25 characters."""

OutcomeKind = Literal["sent", "recovered", "skipped", "retry", "failed", "disabled"]
"""sent: delivered now. recovered: a claim left by a crash or an unknown outcome turned out
delivered already. skipped: not sent and never will be (window closed, talk started,
unsubscribed). retry: failed, tried again at `retry_at`. failed: given up after errors.
disabled: the subscription was turned off after repeated permanent errors."""


class PermanentSendError(Exception):
    """The platform refuses the post and will keep refusing: the channel was deleted, the bot
    lost its permission to post. Counts towards disabling the subscription."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientSendError(Exception):
    """The post may succeed later: rate limited (give `retry_after` seconds when the platform
    says), a server error, a timeout. The service retries with backoff; never disables."""

    def __init__(self, reason: str = "temporary platform error", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def describe(error: BaseException) -> str:
    """A send failure in one line for the log, the status command and the post log."""
    if isinstance(error, PermanentSendError | TransientSendError):
        return error.reason
    return f"{type(error).__name__}: {error}"


def transient_delay(attempts: int, retry_after: float | None) -> timedelta:
    """Delay before retrying after the `attempts`-th failed attempt at a post.

    A rate limit says when to come back (honoured, within a second and an hour); other
    transient errors back off exponentially from 30 s, capped at 10 minutes so a platform
    outage that ends inside the grace window is noticed quickly.
    """
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 1.0), 3600.0))
    exponent = max(attempts - 1, 0)
    delay = TRANSIENT_BACKOFF_START * (1 << min(exponent, 16))
    return min(delay, TRANSIENT_BACKOFF_MAX)


def permanent_delay(failures: int) -> timedelta:
    """Delay before retrying after the `failures`-th consecutive permanent failure."""
    index = min(max(failures, 1), len(PERMANENT_RETRY_DELAYS)) - 1
    return PERMANENT_RETRY_DELAYS[index]


class Post(Protocol):
    """What a poster needs of any post: where it goes, when it was due and first tried, and
    the idempotency key the platform deduplicates it by."""

    @property
    def frontend(self) -> str: ...

    @property
    def guild_id(self) -> str: ...

    @property
    def channel_id(self) -> str: ...

    @property
    def scheduled_at(self) -> datetime: ...

    @property
    def attempted_at(self) -> datetime | None: ...

    @property
    def idempotency_key(self) -> str: ...


P = TypeVar("P", bound=Post, contravariant=True)


class Poster(Protocol[P]):
    """What a front end implements so the bot can post on its own (daily wisdom, reminders).

    `send` delivers the post and returns the platform's message id. It must pass
    `post.idempotency_key` wherever the platform offers one (Discord: `channel.send(...,
    nonce=key)`; discord.py 2.7 then sets `enforce_nonce`, so a repeated send inside Discord's
    nonce window of a few minutes returns the first message instead of posting again; Slack:
    put it in the message `metadata`, and `answer.meta["idempotency_key"]` carries it too).
    Raise `PermanentSendError` for a deleted channel or a missing permission and
    `TransientSendError` for rate limits (with `retry_after`), 5xx answers and timeouts.

    `find_existing` is asked before a claim is sent again: after a crash between claim and
    record, or after a failed attempt that may have been delivered anyway (a timeout). It
    returns the message id of a message already carrying `post.idempotency_key` (Slack:
    `conversations.history` from `post.attempted_at` with `include_all_metadata`, every page;
    Discord: the bot's own messages in the channel's history after a snowflake of
    `post.attempted_at`, paging by 100 to the end, whose nonce or embed matches), or None
    when there is none. However much was said in the channel since, the lookup must read
    until past the attempt: a chatty channel is no reason to post twice. Return None also when the
    platform cannot tell (no history permission): the service then resends with the same
    idempotency key, which the platform deduplicates only inside its nonce window, so a
    lookup that can answer is what makes a resend after a long outage safe.
    """

    async def send(self, post: P, answer: Answer) -> str: ...

    async def find_existing(self, post: P) -> str | None: ...
