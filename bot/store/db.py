"""The one place that owns the SQLite connection: pragmas, migrations and transactions.

Every other store module receives a `Database` and uses `fetch_all` / `fetch_one` (one thread
hop each, through aiosqlite's `execute_fetchall`) and `transaction()` for writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.schema import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]


class StoreError(RuntimeError):
    """The database cannot be used (corrupt, newer schema than this code, locked)."""


class Database:
    """An open confbot database. Build it with `await Database.open(path)`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path | str) -> None:
        self.connection = connection
        self.path = path
        # One connection is shared by every coroutine (commands, post loops, a reload), so
        # transactions take turns: a second one waits instead of failing or interleaving.
        self._write_lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, path: Path | str, *, migrate: bool = True) -> Database:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        connection.row_factory = aiosqlite.Row
        database = cls(connection, path)
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA synchronous=NORMAL")
            if migrate:
                await database.migrate()
        except Exception:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def in_transaction(self) -> bool:
        """True while a `transaction()` is open on this connection (by any coroutine)."""
        return self._write_lock.locked()

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply every migration newer than the file's `user_version`, each in its own
        transaction together with the version bump, so a crash never half-applies one."""
        current = await self.schema_version()
        newest = MIGRATIONS[-1][0]
        if current > newest:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this confbot "
                f"understands ({newest}); upgrade confbot or use another --db"
            )
        for version, script in MIGRATIONS:
            if version <= current:
                continue
            async with self.transaction():
                for statement in _split_statements(script):
                    await self.connection.execute(statement)
                await self.connection.execute(f"PRAGMA user_version={version:d}")
            log.info("migrated %s to schema version %d", self.path, version)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception.

        Coroutines take turns; opening a second transaction inside one's own is an error.
        """
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            raise StoreError("nested transaction")
        async with self._write_lock:
            self._owner = task
            try:
                await self.connection.execute("BEGIN IMMEDIATE")
                try:
                    yield self.connection
                except BaseException:
                    await self.connection.execute("ROLLBACK")
                    raise
                else:
                    try:
                        await self.connection.execute("COMMIT")
                    except BaseException:
                        # A failed COMMIT (disk full, I/O error) leaves the transaction open;
                        # roll it back so the shared connection stays usable.
                        with contextlib.suppress(Exception):
                            await self.connection.execute("ROLLBACK")
                        raise
            finally:
                self._owner = None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        rows = await self.connection.execute_fetchall(sql, params)
        return list(rows)

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self.connection.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in autocommit mode (or inside an open transaction);
        returns the number of changed rows."""
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self._execute(sql, params)
        async with self._write_lock:  # never slip into another coroutine's transaction
            return await self._execute(sql, params)

    async def execute_returning(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Like `execute()` for one write statement with RETURNING: the rows it returns."""
        if self._owner is not None and self._owner is asyncio.current_task():
            return await self.fetch_all(sql, params)
        async with self._write_lock:  # never slip into another coroutine's transaction
            return await self.fetch_all(sql, params)

    async def _execute(self, sql: str, params: Params) -> int:
        cursor = await self.connection.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        if self._owner is not None and self._owner is asyncio.current_task():
            await self.connection.executemany(sql, rows)
            return
        async with self._write_lock:  # like execute(): never inside another's transaction
            await self.connection.executemany(sql, rows)


def _split_statements(script: str) -> list[str]:
    """Split a migration script on ';' at line ends (our scripts hold no triggers with ';')."""
    return [part.strip() for part in script.split(";\n") if part.strip()]
