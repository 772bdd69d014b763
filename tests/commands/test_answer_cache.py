"""The answer cache: /talk, /speaker and /search answered once per data version and scope,
fresh after the data changes, and nothing cached that depends on the clock, chance or the
caller."""

from __future__ import annotations

import random
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path

from bot.commands.invocation import Invocation
from bot.commands.suggest import suggestions
from bot.commands.table import COMMANDS
from bot.core import Core
from bot.store.content import load_data_dir
from bot.store.db import Database
from tests.commands.conftest import NOW
from tests.fakes.clock import FakeClock


async def statements_of(db: Database, run: Awaitable[object]) -> int:
    """How many SQL statements `run` (an awaitable) sent."""
    sent: list[str] = []
    await db.connection.set_trace_callback(sent.append)
    try:
        await run
    finally:
        await db.connection.set_trace_callback(None)  # type: ignore[arg-type]
    return len(sent)


async def test_a_repeated_talk_is_answered_without_the_store(core: Core) -> None:
    first = await core.talk("docker")
    again = await core.ask("/talk docker")

    assert again == first and core.answers.hits == 1
    assert await statements_of(core.db, core.talk("docker")) == 0


async def test_each_argument_and_each_scope_is_its_own_answer(core: Core) -> None:
    page_one = await core.search("data")
    page_two = await core.search("data", page=2)
    narrowed = await core.search("data", conference="normconf-2022")

    assert page_one.page == 1 and page_two.page == 2
    assert narrowed.invocation is not None and narrowed.invocation.get("conference")
    assert core.answers.hits == 0


async def test_an_answer_made_while_the_data_changed_is_not_kept(
    db: Database, data_copy: Path
) -> None:
    await load_data_dir(db, data_copy)
    core = Core(db)
    core.version_check_seconds = 0
    invocation = Invocation.of("talk", query="docker")
    _, before = await core.answers.get((invocation, ()))
    path = data_copy / "normconf-2022" / "how-small-can-i-get-that-docker-container.toml"
    path.write_text(path.read_text().replace("multi-stage builds", "multi stage builds"))
    await load_data_dir(db, data_copy)  # a changed talk bumps the data version (new data
    # after a reload is shown: tests/test_core.py, test_a_reload_is_seen_by_a_running_core)
    await core.answers.get((Invocation.of("talk", query="other"), ()))  # sees the new version

    core.answers.keep(before, (invocation, ()), await core.talk("crontab"))

    assert (await core.answers.get((invocation, ())))[0] is None


async def test_a_random_nugget_is_never_kept(core: Core) -> None:
    drawn = {(await core.ask("/nugget")).text for _ in range(8)}

    assert len(drawn) > 1 and core.answers.hits == 0


async def test_size_zero_keeps_nothing(bundled_db: Database) -> None:
    core = Core(bundled_db, answer_cache_size=0)
    await core.talk("docker")
    await core.talk("docker")

    assert core.answers.hits == 0
    assert await statements_of(bundled_db, core.talk("docker")) > 0


async def test_every_cached_command_answers_the_same_whatever_the_clock_and_chance(
    bundled_db: Database,
) -> None:
    """What `cached` promises, for every command that declares it: two cores with other
    random sources and clocks a day apart give equal answers."""
    cached = [command for command in COMMANDS.leaves() if command.cached]
    assert {command.name for command in cached} == {"talk", "speaker", "search"}
    lines = ["/talk keynote", "/talk docker", "/talk zzzz", "/speaker vicki", "/speaker jam"]
    lines += ["/search data", "/search data --page 2", "/search crontab"]
    one = Core(bundled_db, rng=random.Random(1), clock=FakeClock(NOW), answer_cache_size=0)
    other = Core(
        bundled_db,
        rng=random.Random(99),
        clock=FakeClock(NOW + timedelta(days=1, hours=5)),
        answer_cache_size=0,
    )
    for line in lines:
        assert line.split()[0][1:] in {command.name for command in cached}
        assert await one.ask(line) == await other.ask(line), line


async def test_talk_and_speaker_autocomplete_is_kept_per_scope(core: Core) -> None:
    first = await suggestions(core, "talks", "da", {})
    narrowed = await suggestions(core, "talks", "da", {"conference": "tumocon-2023"})

    assert await suggestions(core, "talks", "da", {}) == first
    assert await statements_of(core.db, suggestions(core, "speakers", "vi", {})) > 0
    assert await statements_of(core.db, suggestions(core, "speakers", "vi", {})) == 0
    assert narrowed != first and core.suggested.hits == 2


async def test_a_nugget_picked_again_is_answered_without_the_store(bundled_db: Database) -> None:
    core = Core(bundled_db, rng=random.Random(5))
    first = await core.ask("/nugget")
    core.rng = random.Random(5)  # the same pick again

    again = await core.ask("/nugget")

    assert again is first and core.nugget_answers.hits == 1
    core.rng = random.Random(5)
    assert await statements_of(bundled_db, core.ask("/nugget")) == 0
