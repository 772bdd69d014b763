"""The shared connection: transactions from several coroutines take turns, never interleave."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.store.db import (
    DEFAULT_QUERY_BUDGET,
    Database,
    QueryBudgetExceeded,
    StoreError,
)


async def test_concurrent_transactions_take_turns(db: Database) -> None:
    order: list[str] = []

    async def write(name: str) -> None:
        async with db.transaction() as connection:
            order.append(f"{name} begins")
            await connection.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (name, "1"))
            await asyncio.sleep(0.01)  # let the other coroutine try to start its transaction
            order.append(f"{name} ends")

    await asyncio.gather(write("a"), write("b"))
    assert order in (
        ["a begins", "a ends", "b begins", "b ends"],
        ["b begins", "b ends", "a begins", "a ends"],
    )
    rows = await db.fetch_all("SELECT key FROM meta WHERE key IN ('a', 'b') ORDER BY key")
    assert [r[0] for r in rows] == ["a", "b"]


async def test_a_write_outside_a_transaction_waits_for_the_open_one(db: Database) -> None:
    entered = asyncio.Event()

    async def failing_transaction() -> None:
        with pytest.raises(RuntimeError):
            async with db.transaction() as connection:
                await connection.execute("INSERT INTO meta(key, value) VALUES ('t', '1')")
                entered.set()
                await asyncio.sleep(0.01)
                raise RuntimeError("rolled back")

    async def plain_write() -> None:
        await entered.wait()
        await db.execute("INSERT INTO meta(key, value) VALUES ('plain', '1')")

    await asyncio.gather(failing_transaction(), plain_write())
    rows = await db.fetch_all("SELECT key FROM meta WHERE key IN ('t', 'plain')")
    assert [r[0] for r in rows] == ["plain"]  # not swept away by the other's rollback


async def test_a_nested_transaction_is_refused(db: Database) -> None:
    async with db.transaction():
        with pytest.raises(StoreError, match="nested"):
            async with db.transaction():
                pass
    assert not db.in_transaction


async def test_execute_many_also_waits_for_an_open_transaction(db: Database) -> None:
    entered = asyncio.Event()

    async def failing_transaction() -> None:
        with pytest.raises(RuntimeError):
            async with db.transaction():
                entered.set()
                await asyncio.sleep(0.01)
                raise RuntimeError("rolled back")

    async def batch_write() -> None:
        await entered.wait()
        await db.execute_many("INSERT INTO meta(key, value) VALUES (?, '1')", [("m1",), ("m2",)])

    await asyncio.gather(failing_transaction(), batch_write())
    rows = await db.fetch_all("SELECT key FROM meta WHERE key LIKE 'm_' ORDER BY key")
    assert [r[0] for r in rows] == ["m1", "m2"]


# -- the query budget and bindable text (issue 10) --------------------------------------------

# Counts to N in a recursive CTE: millions of VM steps, no table needed.
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
    "SELECT max(i) FROM n"
)


async def test_a_query_over_its_budget_is_stopped_and_the_connection_still_works(
    db: Database,
) -> None:
    db.query_budget = 0.01
    with pytest.raises(QueryBudgetExceeded):
        await db.fetch_one(SLOW, (100_000_000,))
    row = await db.fetch_one("SELECT 41 + 1")
    assert row is not None and row[0] == 42
    with pytest.raises(QueryBudgetExceeded):
        await db.fetch_all(SLOW, (100_000_000,))
    async with db.transaction() as connection:  # and a transaction still commits
        await connection.execute("INSERT INTO meta(key, value) VALUES ('after', '1')")
    assert await db.fetch_one("SELECT value FROM meta WHERE key = 'after'") is not None


async def test_the_default_budget_is_a_fifth_of_a_second(db: Database) -> None:
    assert db.query_budget == DEFAULT_QUERY_BUDGET == 0.2


async def test_statements_inside_a_transaction_are_never_stopped(db: Database) -> None:
    db.query_budget = 0.001
    async with db.transaction():
        row = await db.fetch_one(SLOW, (2_000_000,))
        await db.execute("INSERT INTO meta(key, value) VALUES ('slow', ?)", (str(row and row[0]),))
    assert await db.fetch_one("SELECT value FROM meta WHERE key = 'slow'") is not None
    with pytest.raises(QueryBudgetExceeded):  # the same statement outside one is
        await db.fetch_one(SLOW, (2_000_000,))


async def test_a_budget_of_zero_turns_it_off(db: Database) -> None:
    db.query_budget = 0
    row = await db.fetch_one(SLOW, (300_000,))
    assert row is not None and row[0] == 300_000


async def test_lone_surrogates_in_parameters_are_replaced_before_binding(db: Database) -> None:
    row = await db.fetch_one("SELECT ?", ("a\udcffb",))
    assert row is not None and row[0] == "a\ufffdb"
    row = await db.fetch_one("SELECT :x", {"x": "\ud800"})
    assert row is not None and row[0] == "\ufffd"
    await db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", ("k\udcff", "v"))
    await db.execute_many("INSERT INTO meta(key, value) VALUES (?, ?)", [("m\udcff", "v")])
    rows = await db.fetch_all("SELECT key FROM meta WHERE key IN (?, ?)", ("k\ufffd", "m\ufffd"))
    assert len(rows) == 2


async def test_the_statements_of_one_command_share_one_budget(db: Database) -> None:
    db.query_budget = 0.02
    with db.command_budget():
        with pytest.raises(QueryBudgetExceeded):
            await db.fetch_one(SLOW, (100_000_000,))
        with pytest.raises(QueryBudgetExceeded):  # nothing is left for this command
            await db.fetch_one("SELECT 1")
        assert await db.fetch_all("SELECT 1", own_budget=True)  # a cache read has its own
    row = await db.fetch_one("SELECT 1")  # the next command starts afresh
    assert row is not None and row[0] == 1


async def test_a_full_text_search_over_its_budget_is_stopped(db: Database) -> None:
    # FTS5 runs statements of its own on its index tables while a search runs; they must not
    # count as a new statement's start, or a search over a big index would never be stopped
    # (seen at 10,000 talks, when the budget was a trace callback in SQLite's thread).
    async with db.transaction() as connection:
        await connection.execute("CREATE VIRTUAL TABLE words USING fts5(body)")
        await connection.executemany(
            "INSERT INTO words(body) VALUES (?)",
            ((" ".join(f"w{(n * 7 + k) % 500}" for k in range(40)),) for n in range(20_000)),
        )
    search = "SELECT count(*) FROM words WHERE words MATCH ? ORDER BY bm25(words)"
    db.query_budget = 0  # unbounded, it answers
    row = await db.fetch_one(search, ("w1* OR w2* OR w3* OR w4*",))
    assert row is not None and row[0] > 0
    db.query_budget = 0.001
    with pytest.raises(QueryBudgetExceeded):
        for _ in range(20):  # one of them runs past a millisecond, whatever the machine
            await db.fetch_one(search, ("w1* OR w2* OR w3* OR w4*",))


async def test_a_budget_counts_cpu_time_not_time_spent_waiting(db: Database) -> None:
    # While the event loop is busy the SQLite thread waits on nothing: a statement that
    # takes little CPU is never stopped, however late its answer is picked up.
    db.query_budget = 0.05
    pending = asyncio.ensure_future(db.fetch_one("SELECT 1"))
    started = time.monotonic()
    while time.monotonic() - started < 0.1:  # the loop is busy for twice the budget
        pass
    row = await pending
    assert row is not None and row[0] == 1
