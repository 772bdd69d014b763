"""Discord's rate limits, enforced by the fake: the global 50 requests a second per bot token
and per-route buckets, with Discord's headers on every answer and its 429 when exceeded.

What Discord documents (docs.discord.com, "Rate Limits") and the fake does:

* per-route buckets keyed by the route and its top-level resource (channel_id, guild_id, or
  webhook id + token), announced on every answer in ``X-RateLimit-Limit``, ``-Remaining``,
  ``-Reset`` (epoch seconds), ``-Reset-After`` (seconds) and ``-Bucket`` (a hash that names
  the route's limit, not its resource);
* a global limit of 50 requests a second per bot token, which interaction endpoints
  (callbacks and interaction webhooks) are not bound by;
* a request over either limit is not carried out: 429 with ``{"message", "retry_after"
  (seconds, float), "global"}``, ``Retry-After`` (whole seconds), ``X-RateLimit-Scope``
  (``user`` or ``global``), ``X-RateLimit-Global: true`` for the global limit, and ``Via``
  (without it discord.py takes the 429 for a Cloudflare ban).

Discord publishes no per-route values; `ROUTE_LIMITS` holds the one the community has measured
for a long time (5 messages per 5 s in a channel) and `DEFAULT_ROUTE` stands in for the rest.
A test may lower any of them (`DiscordRateLimits` fields) to keep itself fast, or turn the
whole thing off (``enabled=False``). Every 429 the limiter sends is counted by route
(`refused`), apart from the 429s a test injects with `rate_limit_next`.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from ..buckets import Buckets, Verdict
from .limits import _ApiError

GLOBAL_LIMIT = 50
GLOBAL_PERIOD = 1.0
ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
}
DEFAULT_ROUTE: tuple[int, float] = (50, 1.0)
MAJOR_PARAMETERS = ("channel_id", "guild_id")
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")
"""Interaction callbacks and interaction webhooks: bound by no global limit, and given no
route bucket by this fake (their own limits are per interaction token)."""


@dataclass
class DiscordRateLimits:
    """The limits one `FakeDiscord` enforces (on by default, at Discord's values)."""

    enabled: bool = True
    global_limit: int = GLOBAL_LIMIT
    global_period: float = GLOBAL_PERIOD
    routes: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(ROUTE_LIMITS))
    """``"METHOD /template"`` -> (limit, period); the template as routed, without /api/v10."""
    default_route: tuple[int, float] | None = DEFAULT_ROUTE
    """The bucket of every other route; None: only the global limit applies to them."""


def _bucket_hash(route: str) -> str:
    return hashlib.sha1(route.encode()).hexdigest()[:16]


class DiscordLimiter:
    """Checks each REST request against the global and route buckets; see the module doc."""

    def __init__(self, limits: DiscordRateLimits | None = None) -> None:
        self.limits = limits or DiscordRateLimits()
        self.buckets = Buckets(time.monotonic)

    @property
    def refused(self) -> Counter[str]:
        """429s sent by the limiter, by ``"METHOD /template"`` (``"global"`` for the global
        limit)."""
        return self.buckets.refused

    def check(self, request: web.Request, rel: str, token: str) -> dict[str, str]:
        """The rate-limit headers for this request's answer; raises a 429 `_ApiError` when a
        limit is exceeded (the request is then not carried out)."""
        if not self.limits.enabled or rel.startswith(EXEMPT_PREFIXES):
            return {}
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else rel
        route = f"{request.method} {template.removeprefix('/api/v10')}"
        if route.endswith("/{tail}"):  # the fake's catch-all: no such route
            return {}
        now = self.buckets.monotonic()
        glob = self.buckets.bucket(
            ("global", token), self.limits.global_limit, self.limits.global_period
        )
        limit = self.limits.routes.get(route) or self.limits.default_route
        bucket = None
        headers: dict[str, str] = {}
        if limit is not None:
            major = tuple(request.match_info.get(name, "") for name in MAJOR_PARAMETERS)
            bucket = self.buckets.bucket(("route", route, *major), *limit)
            headers = _route_headers(bucket.peek(now), _bucket_hash(route))
        if not (overall := glob.peek(now)).allowed:
            self._refuse("global", overall.reset_after, headers, is_global=True)
        if bucket is not None and not (own := bucket.peek(now)).allowed:
            self._refuse(route, own.reset_after, headers, is_global=False)
        glob.hit(now)
        if bucket is not None:
            headers = _route_headers(bucket.hit(now), _bucket_hash(route))
        return headers

    def _refuse(
        self, name: str, retry_after: float, headers: dict[str, str], *, is_global: bool
    ) -> None:
        self.buckets.refuse(name)
        extra: dict[str, object] = {"retry_after": round(retry_after, 3), "global": is_global}
        answer = {
            **headers,
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if is_global:
            answer["X-RateLimit-Global"] = "true"
        raise _ApiError(429, 0, "You are being rate limited.", headers=answer, extra=extra)


def _route_headers(verdict: Verdict, bucket_hash: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(verdict.limit),
        "X-RateLimit-Remaining": str(verdict.remaining),
        "X-RateLimit-Reset": f"{time.time() + verdict.reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{verdict.reset_after:.3f}",
        "X-RateLimit-Bucket": bucket_hash,
    }
