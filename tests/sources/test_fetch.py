"""The fetcher against a real HTTP server on 127.0.0.1: validators, failures, redaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sources.fetch import (
    USER_AGENT,
    Failed,
    Fetched,
    Unchanged,
    body_digest,
    fetch_source,
    redact_url,
)
from tests.conftest import shared_bytes
from tests.fakes.schedule_server import ScheduleServer

DEMOCON = shared_bytes("samples/pretalx-democon.json")


@pytest.fixture
async def server() -> AsyncIterator[ScheduleServer]:
    async with ScheduleServer(DEMOCON) as running:
        yield running


async def test_a_first_fetch_returns_the_body_with_its_validators(server: ScheduleServer) -> None:
    result = await fetch_source(server.url)
    assert isinstance(result, Fetched)
    assert result.text == DEMOCON.decode()
    assert result.etag == server.etag
    assert result.last_modified == "Thu, 01 Jan 2026 00:00:01 GMT"
    assert result.body_hash == body_digest(DEMOCON)
    assert server.counts.conditional == 0
    assert server.counts.last_headers["User-Agent"] == USER_AGENT


async def test_the_validators_make_the_next_fetch_a_304(server: ScheduleServer) -> None:
    first = await fetch_source(server.url)
    assert isinstance(first, Fetched)
    again = await fetch_source(server.url, etag=first.etag, last_modified=first.last_modified)
    assert again == Unchanged("not modified", server.etag, "Thu, 01 Jan 2026 00:00:01 GMT")
    assert server.counts.last_headers["If-None-Match"] == first.etag
    assert server.counts.last_headers["If-Modified-Since"] == first.last_modified
    assert server.counts.not_modified == 1


async def test_if_modified_since_alone_is_honoured(server: ScheduleServer) -> None:
    result = await fetch_source(server.url, last_modified="Thu, 01 Jan 2026 00:00:01 GMT")
    assert isinstance(result, Unchanged) and result.why == "not modified"
    server.publish(DEMOCON + b"\n")
    changed = await fetch_source(server.url, last_modified="Thu, 01 Jan 2026 00:00:01 GMT")
    assert isinstance(changed, Fetched)
    assert changed.last_modified == "Thu, 01 Jan 2026 00:00:02 GMT"


async def test_a_body_with_the_last_good_hash_is_unchanged_without_validators() -> None:
    async with ScheduleServer(DEMOCON, validators=False) as server:
        result = await fetch_source(server.url, body_hash=body_digest(DEMOCON))
        assert result == Unchanged("same body", None, None)
        assert server.counts.full_bodies == 1  # it came in full, and was not decoded


@pytest.mark.samples("samples/pretalx-democon.json")
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("not found", "answered HTTP 404"),
        ("unavailable", "answered HTTP 503"),
        ("truncated", "truncated"),
        ("truncated chunks", "truncated"),
        ("always 304", "answered 304 Not Modified to a request that named no version"),
    ],
)
async def test_failures_are_values_with_one_line_reasons(
    server: ScheduleServer, mode: str, reason: str
) -> None:
    server.mode = mode  # type: ignore[assignment]
    result = await fetch_source(server.url)
    assert isinstance(result, Failed)
    assert result.reason.startswith(reason)
    assert "\n" not in result.reason


async def test_a_slow_answer_times_out(server: ScheduleServer) -> None:
    server.mode = "slow"
    result = await fetch_source(server.url, time_limit=0.3)
    assert result == Failed("no complete answer within 0.3 s")


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_a_body_over_the_size_cap_is_refused(server: ScheduleServer) -> None:
    result = await fetch_source(server.url, max_bytes=1000)
    assert result == Failed("larger than 1000 bytes", 200)


async def test_a_body_that_is_not_utf8_is_refused() -> None:
    async with ScheduleServer(b'{"schedule": "\xff\xfe"}') as server:
        assert await fetch_source(server.url) == Failed("not UTF-8 text", 200)


async def test_nothing_listening_and_not_http_are_failures() -> None:
    closed = await fetch_source("http://127.0.0.1:9/schedule.json", time_limit=5)
    assert isinstance(closed, Failed) and closed.reason.startswith("cannot connect")
    assert await fetch_source("file:///etc/passwd") == Failed("not an http:// or https:// URL")


def test_redaction_drops_credentials_query_values_and_fragments() -> None:
    shown = redact_url("https://alice:hunter2@pretalx.example.org:8443/ev/s.json?token=t0k&a=1#x")
    assert shown == "https://pretalx.example.org:8443/ev/s.json?token=***&a=***"
    assert redact_url("http://[::1]/s.json") == "http://[::1]/s.json"
    assert redact_url("http://host:notaport/") == "<unparsable URL>"
