"""Following a source end to end: a real schedule server on 127.0.0.1, a real SQLite file.

Whether the importer ran is told by the store's data version (every import bumps it) and by
what the server counted, never by mocking our own functions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Core
from bot.frontends.console import render_text
from bot.records import Conference
from bot.sources.detect import load_schedule
from bot.sources.follow import (
    MAX_BACKOFF,
    IntervalError,
    PollOutcome,
    follow,
    next_delay,
    parse_interval,
    poll_due,
    programme_staleness,
)
from bot.store.content import DATA_VERSION_KEY, get_meta, replace_conferences
from bot.store.db import Database
from bot.store.queries import talk_titles
from bot.store.sources import Source, list_sources
from tests.conftest import SHARED, shared_bytes
from tests.fakes.clock import FakeClock
from tests.fakes.schedule_server import ScheduleServer

DEMOCON = shared_bytes("samples/pretalx-democon.json")
CAMP = SHARED / "samples" / "frab-camp2019.json"
FIRST_TITLE = "Focused 5thgeneration hardware"
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
EVERY = timedelta(minutes=2)


def retitled(new_title: str) -> bytes:
    document = json.loads(DEMOCON)
    day = document["schedule"]["conference"]["days"][0]
    day["rooms"]["Gray Room"][0]["title"] = new_title
    return json.dumps(document).encode()


@pytest.fixture
async def server() -> AsyncIterator[ScheduleServer]:
    async with ScheduleServer(DEMOCON) as running:
        yield running


async def data_version(db: Database) -> str | None:
    return await get_meta(db, DATA_VERSION_KEY)


async def titles(db: Database) -> list[str]:
    return [title for _, title, _, _ in await talk_titles(db)]


async def only_source(db: Database) -> Source:
    (source,) = await list_sources(db)
    return source


async def poll_once(db: Database, now: datetime, time_limit: float = 30.0) -> PollOutcome:
    outcomes = await poll_due(db, now, rng=random.Random(3), time_limit=time_limit)
    assert len(outcomes) == 1, outcomes
    return outcomes[0]


async def followed(db: Database, server: ScheduleServer) -> PollOutcome:
    """Follow the server's export and make the first, good import."""
    assert await follow(db, server.url, EVERY, T0)
    first = await poll_once(db, T0)
    assert first.result == "imported", first
    return first


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_the_first_poll_imports_and_a_304_costs_no_parse(
    db: Database, server: ScheduleServer
) -> None:
    first = await followed(db, server)
    assert first.detail == "democon: 36 talk(s)" and first.conference == "democon"
    assert FIRST_TITLE in await titles(db)
    version = await data_version(db)

    assert await poll_due(db, T0 + timedelta(seconds=60)) == []  # not due: nothing asked
    assert server.counts.requests == 1
    second = await poll_once(db, (await only_source(db)).next_poll_at)
    assert (second.result, second.detail) == ("unchanged", "not modified")
    assert server.counts.not_modified == 1 and server.counts.full_bodies == 1
    assert await data_version(db) == version  # the importer did not run


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_a_changed_export_is_imported_on_the_next_poll(
    db: Database, server: ScheduleServer
) -> None:
    await followed(db, server)
    version = await data_version(db)
    server.publish(retitled("Focused sixth generation hardware"))
    outcome = await poll_once(db, (await only_source(db)).next_poll_at)
    assert outcome.result == "imported"
    assert "Focused sixth generation hardware" in await titles(db)
    assert FIRST_TITLE not in await titles(db)
    assert await data_version(db) != version
    assert (await only_source(db)).etag == server.etag


@pytest.mark.samples("samples/pretalx-democon.json", "samples/frab-camp2019.json")
async def test_a_renamed_conference_replaces_the_one_the_source_fed_and_no_other(
    db: Database, server: ScheduleServer
) -> None:
    await replace_conferences(db, [load_schedule(CAMP)], origin="import:camp.json")
    await followed(db, server)
    document = json.loads(DEMOCON)
    document["schedule"]["conference"]["acronym"] = "democon-2"
    server.publish(json.dumps(document).encode())
    outcome = await poll_once(db, (await only_source(db)).next_poll_at)
    assert (outcome.result, outcome.conference) == ("imported", "democon-2")
    slugs = {slug for _, _, slug, _ in await talk_titles(db)}
    assert slugs == {"democon-2", "camp2019"}
    assert (await only_source(db)).conference_slug == "democon-2"


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_an_identical_body_without_validators_is_unchanged_and_not_parsed(
    db: Database,
) -> None:
    async with ScheduleServer(DEMOCON, validators=False) as server:
        await followed(db, server)
        version = await data_version(db)
        outcome = await poll_once(db, (await only_source(db)).next_poll_at)
        assert (outcome.result, outcome.detail) == ("unchanged", "same body")
        assert server.counts.full_bodies == 2 and server.counts.conditional == 0
        assert await data_version(db) == version


@pytest.mark.samples("samples/pretalx-democon.json")
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("not found", "answered HTTP 404"),
        ("unavailable", "answered HTTP 503"),
        ("slow", "no complete answer within 0.5 s"),
        ("truncated", "truncated"),
        ("not a schedule", "not a usable schedule: "),
    ],
)
async def test_a_bad_fetch_keeps_the_last_good_programme_and_says_why(
    db: Database,
    server: ScheduleServer,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    reason: str,
) -> None:
    await followed(db, server)
    version = await data_version(db)
    server.mode = mode  # type: ignore[assignment]
    server.publish(retitled("A title that must not arrive"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot"):
        due = (await only_source(db)).next_poll_at
        outcome = await poll_once(db, due, time_limit=0.5 if mode == "slow" else 30.0)
    assert outcome.result == "failed" and outcome.failures == 1
    assert outcome.detail.startswith(reason), outcome.detail
    assert "keeping democon as imported 2026-12-01 20:00 UTC" in outcome.detail
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"source {server.url}: failed: {outcome.detail}"]
    assert await data_version(db) == version
    assert FIRST_TITLE in await titles(db)
    at_talk = datetime(2020, 12, 14, 9, 10, tzinfo=UTC) + timedelta(hours=-1)
    now = render_text(await Core(db, clock=FakeClock(at_talk)).ask("/now gray"))
    assert FIRST_TITLE in now
    source = await only_source(db)
    assert source.last_error is not None and source.last_error.startswith(reason)
    assert source.failures == 1 and source.body_hash is not None


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_a_json_export_that_is_not_a_valid_schedule_is_refused(
    db: Database, server: ScheduleServer
) -> None:
    await followed(db, server)
    server.publish(b'{"schedule": {"version": "1", "conference": {}}}')
    outcome = await poll_once(db, (await only_source(db)).next_poll_at)
    assert outcome.result == "failed"
    assert outcome.detail.startswith(f"not a usable schedule: {server.url}")
    assert FIRST_TITLE in await titles(db)


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_backoff_doubles_per_failure_up_to_the_cap_and_resets_on_success(
    db: Database, server: ScheduleServer
) -> None:
    await followed(db, server)
    server.mode = "unavailable"
    expected = [EVERY * 2, EVERY * 4, EVERY * 8, MAX_BACKOFF, MAX_BACKOFF]
    for failures, delay in enumerate(expected, start=1):
        now = (await only_source(db)).next_poll_at
        outcome = await poll_once(db, now)
        assert outcome.result == "failed" and outcome.failures == failures
        assert delay * 0.9 <= outcome.next_poll_at - now <= delay * 1.1
    server.mode = "ok"
    now = (await only_source(db)).next_poll_at
    recovered = await poll_once(db, now)
    assert (recovered.result, recovered.detail) == ("unchanged", "not modified")
    assert EVERY * 0.9 <= recovered.next_poll_at - now <= EVERY * 1.1
    source = await only_source(db)
    assert source.failures == 0 and source.last_error is None


def test_jitter_stays_within_ten_percent_and_backoff_never_undercuts_the_interval() -> None:
    rng = random.Random(11)
    delays = [next_delay(EVERY, 0, rng) for _ in range(500)]
    assert all(EVERY * 0.9 <= delay <= EVERY * 1.1 for delay in delays)
    assert max(delays) - min(delays) > EVERY * 0.15  # spread, not a constant
    hourly = timedelta(hours=1)
    assert all(next_delay(hourly, 5, rng) >= hourly * 0.9 for _ in range(50))


async def test_two_pollers_at_once_fetch_a_due_source_once(
    db: Database, server: ScheduleServer
) -> None:
    await follow(db, server.url, EVERY, T0)
    both = await asyncio.gather(poll_due(db, T0), poll_due(db, T0))
    assert sorted(len(outcomes) for outcomes in both) == [0, 1]
    assert server.counts.requests == 1


def test_intervals_read_as_people_write_them_and_the_minimum_holds() -> None:
    assert parse_interval("30s") == timedelta(seconds=30)
    assert parse_interval("2m") == timedelta(minutes=2)
    assert parse_interval("1h") == timedelta(hours=1)
    assert parse_interval("90") == timedelta(seconds=90)
    with pytest.raises(IntervalError, match="10s is too short: the minimum is 30s"):
        parse_interval("10s")
    with pytest.raises(IntervalError, match="not an interval: 'soon'"):
        parse_interval("soon")
    assert parse_interval("5s", minimum=timedelta(seconds=1)) == timedelta(seconds=5)


async def test_following_refuses_a_short_interval_and_a_non_http_url(db: Database) -> None:
    with pytest.raises(IntervalError, match="minimum is 30s"):
        await follow(db, "https://example.org/s.json", timedelta(seconds=29), T0)
    with pytest.raises(IntervalError, match="not an http"):
        await follow(db, "ftp://example.org/s.json", EVERY, T0)
    assert await list_sources(db) == []


async def test_credentials_are_used_but_never_logged(
    db: Database, server: ScheduleServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret_url = server.url.replace("http://", "http://alice:hunter2@") + "?token=s3cret"
    await follow(db, secret_url, EVERY, T0)
    server.mode = "unavailable"
    with caplog.at_level(logging.DEBUG, logger="bot"):
        outcome = await poll_once(db, T0)
    assert server.counts.last_headers["Authorization"].startswith("Basic ")
    assert outcome.url == server.url + "?token=***"
    assert "hunter2" not in caplog.text and "s3cret" not in caplog.text
    assert "hunter2" not in outcome.describe()


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_a_programme_is_stale_once_polls_have_not_confirmed_it_for_two_intervals(
    db: Database, server: ScheduleServer
) -> None:
    await followed(db, server)
    assert await programme_staleness(db, "democon", T0 + EVERY * 2) is None
    assert await programme_staleness(db, "nosuch", T0 + timedelta(days=1)) is None
    server.mode = "unavailable"
    await poll_once(db, (await only_source(db)).next_poll_at)
    stale = await programme_staleness(db, "democon", T0 + timedelta(minutes=7))
    assert stale is not None and stale.age == timedelta(minutes=7)
    assert stale.footer() == (
        f"Programme last confirmed 7 min ago from {server.url} (answered HTTP 503); "
        "it may be out of date."
    )


@pytest.mark.samples("samples/pretalx-democon.json")
async def test_an_unexpected_error_in_one_source_keeps_the_others_outcomes(
    db: Database, server: ScheduleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.sources.follow as following
    from bot.sources.detect import parse_schedule as original  # before the patch
    from bot.sources.files import ImportLimits

    def fails_for_one(
        text: str, *, origin_file: str, limits: ImportLimits, timezone: str | None = None
    ) -> Conference:
        if "broken" in origin_file:
            raise RuntimeError("a bug")  # injected fault: stands for any bug or store error
        return original(text, origin_file=origin_file, limits=limits, timezone=timezone)

    monkeypatch.setattr(following, "parse_schedule", fails_for_one)
    await follow(db, server.url, EVERY, T0)
    await follow(db, server.url + "?broken=1", EVERY, T0)
    outcomes = sorted(await poll_due(db, T0), key=lambda o: o.url)
    assert [(o.result, o.detail.split(";")[0]) for o in outcomes] == [
        ("imported", "democon: 36 talk(s)"),
        ("failed", "internal error (RuntimeError)"),
    ]
    assert await poll_due(db, T0 + timedelta(seconds=1)) == []  # held, not retried at once
    broken = next(s for s in await list_sources(db) if "broken" in s.url)
    assert broken.last_error == "internal error (RuntimeError); see the log"
    assert broken.failures == 1 and broken.next_poll_at == outcomes[1].next_poll_at


@pytest.mark.samples("samples/fosdem2017-pentabarf.xml")
async def test_a_followed_pentabarf_export_takes_the_sources_timezone(db: Database) -> None:
    fosdem = (SHARED / "samples" / "fosdem2017-pentabarf.xml").read_bytes()
    async with ScheduleServer(fosdem) as server:
        assert await follow(db, server.url, EVERY, T0)
        refused = await poll_once(db, T0)
        assert refused.result == "failed" and "--timezone" in refused.detail
        assert not await follow(db, server.url, EVERY, T0, timezone="Europe/Brussels")
        assert (await only_source(db)).timezone == "Europe/Brussels"
        imported = await poll_once(db, (await only_source(db)).next_poll_at)
        assert (imported.result, imported.detail) == ("imported", "fosdem-2017: 668 talk(s)")
        # Changing only the interval keeps the zone.
        assert not await follow(db, server.url, EVERY * 2, T0)
        assert (await only_source(db)).timezone == "Europe/Brussels"
