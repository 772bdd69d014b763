"""The one fake poster of the test suite: a chat platform reduced to what delivery needs.

It implements `bot.delivery.model.Poster` for any post: `send` records the message under the
post's idempotency key (a scripted error in `errors` is raised instead), `find_existing`
answers from what was delivered (or from `already`, messages a test says the platform holds:
posts an earlier process sent before it died). `KilledAfterSending` wraps a real poster (the
Discord or Slack one, against its fake) and dies right after a delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from bot.answer import Answer
from bot.clock import Clock
from bot.delivery.model import Post, Poster

P = TypeVar("P", bound=Post)


class Crash(BaseException):
    """The process is killed here (not an Exception: nothing in delivery may swallow it)."""


class KilledAfterSending(Generic[P]):
    """A real poster, but the process dies once the post is out, before it is recorded."""

    def __init__(self, poster: Poster[P]) -> None:
        self.poster = poster

    async def send(self, post: P, answer: Answer) -> str:
        await self.poster.send(post, answer)
        raise Crash("killed before hearing back")

    async def find_existing(self, post: P) -> str | None:
        return await self.poster.find_existing(post)


@dataclass
class Delivered:
    message_id: str
    post: Post
    answer: Answer
    at: datetime


@dataclass
class FakePoster:
    clock: Clock
    already: dict[str, str] = field(default_factory=dict)
    """Idempotency key -> message id of messages the platform already holds."""
    errors: list[BaseException] = field(default_factory=list)
    lookup: bool = True
    delivered: list[Delivered] = field(default_factory=list)
    lookups: int = 0

    async def send(self, post: Post, answer: Answer) -> str:
        if self.errors:
            raise self.errors.pop(0)
        message_id = f"m{len(self.delivered) + 1}"
        self.delivered.append(Delivered(message_id, post, answer, self.clock.now()))
        return message_id

    async def find_existing(self, post: Post) -> str | None:
        self.lookups += 1
        if not self.lookup:
            return None
        if post.idempotency_key in self.already:
            return self.already[post.idempotency_key]
        for message in self.delivered:
            if message.post.idempotency_key == post.idempotency_key:
                return message.message_id
        return None

    def keys(self) -> list[str]:
        return [message.post.idempotency_key for message in self.delivered]
