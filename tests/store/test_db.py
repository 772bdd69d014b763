"""The shared connection: transactions from several coroutines take turns, never interleave."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.db import Database, StoreError


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
